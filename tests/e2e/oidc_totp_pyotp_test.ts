/**
 * TOTP against an independent implementation: Python's `pyotp` (Debian `python3-pyotp`, run with
 * /usr/bin/python3). Codes pyotp computes verify in ours, codes ours computes verify in pyotp,
 * and pyotp reads our `otpauth://` URI back to the same secret and parameters.
 */

import assert from "node:assert/strict";
import { base32Decode, base32Encode } from "../../src/oidc/base32.ts";
import { newTotpSecret, otpauthUri, timeStep, totp, verifyTotp } from "../../src/oidc/totp.ts";

const PYTHON = "/usr/bin/python3";

/** Run a Python snippet with JSON on stdin; its stdout parsed as JSON. */
async function py(script: string, input: unknown): Promise<unknown> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(input)));
  await w.close();
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `python3 failed: ${err}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const TIMES = [59, 1111111109, 1234567890, 1_700_000_000, 1_700_000_029, 2000000000];

Deno.test("pyotp's codes verify in ours, at several times and within one step of drift", async () => {
  const secrets = (await py(
    "import pyotp, json; print(json.dumps([pyotp.random_base32() for _ in range(3)]))",
    null,
  )) as string[];
  const codes = (await py(
    `import pyotp, json, sys
req = json.load(sys.stdin)
print(json.dumps([[pyotp.TOTP(s).at(t) for t in req["times"]] for s in req["secrets"]]))`,
    { secrets, times: TIMES },
  )) as string[][];
  for (let i = 0; i < secrets.length; i++) {
    const key = base32Decode(secrets[i]);
    for (let j = 0; j < TIMES.length; j++) {
      const t = TIMES[j];
      assert.equal(await totp(key, t), codes[i][j], `secret ${i} at ${t}`);
      // The code of t verifies 30 s later (one step of drift), and not twice.
      const r = await verifyTotp(key, codes[i][j], { now: t + 30, lastStep: null });
      assert.deepEqual(r, { ok: true, step: timeStep(t) });
      assert.deepEqual(await verifyTotp(key, codes[i][j], { now: t, lastStep: timeStep(t) }), {
        ok: false,
        reason: "replayed",
      });
    }
  }
});

Deno.test("our codes verify in pyotp, and pyotp refuses them two steps later", async () => {
  const secret = newTotpSecret();
  const codes = await Promise.all(TIMES.map((t) => totp(secret, t)));
  const verdict = (await py(
    `import pyotp, json, sys
req = json.load(sys.stdin)
t = pyotp.TOTP(req["secret"])
print(json.dumps([[t.verify(c, for_time=ts), t.verify(c, for_time=ts + 60)]
                  for c, ts in zip(req["codes"], req["times"])]))`,
    { secret: base32Encode(secret), codes, times: TIMES },
  )) as [boolean, boolean][];
  assert.deepEqual(verdict, TIMES.map(() => [true, false]));
});

Deno.test("pyotp reads our otpauth:// URI back to the same secret, issuer and account", async () => {
  const secret = newTotpSecret();
  const uri = otpauthUri({ issuer: "Keypebble Test", account: "alice@example.com", secret });
  const parsed = (await py(
    `import pyotp, json, sys
req = json.load(sys.stdin)
o = pyotp.parse_uri(req["uri"])
print(json.dumps({"secret": o.secret, "issuer": o.issuer, "name": o.name, "digits": o.digits,
                  "interval": o.interval, "digest": o.digest().name, "code": o.at(req["t"])}))`,
    { uri, t: 1_700_000_000 },
  )) as Record<string, unknown>;
  assert.deepEqual(parsed, {
    secret: base32Encode(secret),
    issuer: "Keypebble Test",
    name: "alice@example.com",
    digits: 6,
    interval: 30,
    digest: "sha1",
    code: await totp(secret, 1_700_000_000),
  });
});
