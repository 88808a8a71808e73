import assert from "node:assert/strict";
import { base32Decode } from "./base32.ts";
import {
  hotp,
  newTotpSecret,
  otpauthUri,
  type OtpHash,
  timeStep,
  totp,
  TOTP_SECRET_BYTES,
  verifyTotp,
} from "./totp.ts";

const enc = new TextEncoder();
const RFC_KEY = enc.encode("12345678901234567890");

Deno.test("hotp() matches RFC 4226 Appendix D for counters 0 to 9", async () => {
  const want = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
  ];
  for (let c = 0; c < want.length; c++) assert.equal(await hotp(RFC_KEY, c), want[c]);
});

Deno.test("totp() matches RFC 6238 Appendix B (8 digits, SHA-1, SHA-256, SHA-512)", async () => {
  const seeds: Record<OtpHash, Uint8Array> = {
    "SHA-1": enc.encode("12345678901234567890"),
    "SHA-256": enc.encode("12345678901234567890123456789012"),
    "SHA-512": enc.encode("1234567890123456789012345678901234567890123456789012345678901234"),
  };
  const table: [number, string, string, string][] = [
    [59, "94287082", "46119246", "90693936"],
    [1111111109, "07081804", "68084774", "25091201"],
    [1111111111, "14050471", "67062674", "99943326"],
    [1234567890, "89005924", "91819424", "93441116"],
    [2000000000, "69279037", "90698825", "38618901"],
    [20000000000, "65353130", "77737706", "47863826"],
  ];
  for (const [time, sha1, sha256, sha512] of table) {
    assert.equal(await totp(seeds["SHA-1"], time, { digits: 8 }), sha1, `SHA-1 at ${time}`);
    assert.equal(
      await totp(seeds["SHA-256"], time, { digits: 8, hash: "SHA-256" }),
      sha256,
      `SHA-256 at ${time}`,
    );
    assert.equal(
      await totp(seeds["SHA-512"], time, { digits: 8, hash: "SHA-512" }),
      sha512,
      `SHA-512 at ${time}`,
    );
  }
});

Deno.test("timeStep() is floor(now / 30)", () => {
  assert.equal(timeStep(59), 1);
  assert.equal(timeStep(60), 2);
  assert.equal(timeStep(1111111109), 37037036);
});

Deno.test("hotp() refuses negative counters and odd digit counts", async () => {
  await assert.rejects(() => hotp(RFC_KEY, -1), RangeError);
  await assert.rejects(() => hotp(RFC_KEY, 1.5), RangeError);
  await assert.rejects(() => hotp(RFC_KEY, 0, { digits: 5 }), RangeError);
});

Deno.test("verifyTotp() accepts the current step and one step either side, not two", async () => {
  const now = 1_700_000_015;
  const step = timeStep(now);
  for (const d of [-1, 0, 1]) {
    const code = await hotp(RFC_KEY, step + d);
    assert.deepEqual(await verifyTotp(RFC_KEY, code, { now, lastStep: null }), {
      ok: true,
      step: step + d,
    });
  }
  for (const d of [-2, 2]) {
    const code = await hotp(RFC_KEY, step + d);
    const r = await verifyTotp(RFC_KEY, code, { now, lastStep: null });
    assert.equal(r.ok, false, `step ${d} outside the window`);
  }
});

Deno.test("verifyTotp() never accepts a code twice: a step at or before the last is replayed", async () => {
  const now = 1_700_000_015;
  const step = timeStep(now);
  const code = await hotp(RFC_KEY, step);
  const first = await verifyTotp(RFC_KEY, code, { now, lastStep: null });
  assert.ok(first.ok);
  assert.deepEqual(await verifyTotp(RFC_KEY, code, { now, lastStep: step }), {
    ok: false,
    reason: "replayed",
  });
  // An earlier step's code, still in the window, is refused after a later one was used.
  const earlier = await hotp(RFC_KEY, step - 1);
  assert.deepEqual(await verifyTotp(RFC_KEY, earlier, { now, lastStep: step }), {
    ok: false,
    reason: "replayed",
  });
  // The next step's code is still good.
  const next = await hotp(RFC_KEY, step + 1);
  assert.deepEqual(await verifyTotp(RFC_KEY, next, { now, lastStep: step }), {
    ok: true,
    step: step + 1,
  });
});

Deno.test("verifyTotp() refuses malformed and wrong codes", async () => {
  const now = 1_700_000_015;
  for (const bad of ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", "123 45"]) {
    assert.deepEqual(await verifyTotp(RFC_KEY, bad, { now, lastStep: null }), {
      ok: false,
      reason: "malformed",
    }, bad);
  }
  const right = await totp(RFC_KEY, now);
  const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
  assert.deepEqual(await verifyTotp(RFC_KEY, wrong, { now, lastStep: null }), {
    ok: false,
    reason: "wrong",
  });
  // Spaces people type between groups are ignored.
  assert.ok(
    (await verifyTotp(RFC_KEY, `${right.slice(0, 3)} ${right.slice(3)}`, {
      now,
      lastStep: null,
    })).ok,
  );
});

Deno.test("newTotpSecret() is 160 random bits", () => {
  const a = newTotpSecret();
  assert.equal(a.length, TOTP_SECRET_BYTES);
  assert.equal(TOTP_SECRET_BYTES * 8, 160);
  assert.notDeepEqual(a, newTotpSecret());
});

Deno.test("otpauthUri() follows the Key Uri Format, every parameter explicit", () => {
  const secret = enc.encode("12345678901234567890");
  const uri = otpauthUri({ issuer: "Key Pebble", account: "alice@example.com", secret });
  assert.equal(
    uri,
    "otpauth://totp/Key%20Pebble:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" +
      "&issuer=Key%20Pebble&algorithm=SHA1&digits=6&period=30",
  );
  const u = new URL(uri);
  assert.equal(u.protocol, "otpauth:");
  assert.deepEqual(base32Decode(u.searchParams.get("secret")!), secret);
  // An account's colon is encoded; an issuer's is refused.
  assert.match(
    otpauthUri({ issuer: "kp", account: "a:b", secret }),
    /^otpauth:\/\/totp\/kp:a%3Ab\?/,
  );
  assert.throws(() => otpauthUri({ issuer: "a:b", account: "x", secret }), RangeError);
  assert.throws(() => otpauthUri({ issuer: "kp", account: "", secret }), RangeError);
});
