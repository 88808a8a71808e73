import assert from "node:assert/strict";
import { deriveOidcKeys, openTotpSecret, sealTotpSecret } from "./keys.ts";
import {
  generateRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  recoveryCodeHash,
} from "./recovery_codes.ts";

const PEPPER = new TextEncoder().encode("p".repeat(40));

Deno.test("sealTotpSecret() round-trips and never stores the secret in clear", async () => {
  const keys = await deriveOidcKeys(PEPPER);
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const sealed = await sealTotpSecret(keys, "u1", secret);
  assert.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(await openTotpSecret(keys, "u1", sealed), secret);
  // A fresh IV each time.
  assert.notEqual(await sealTotpSecret(keys, "u1", secret), sealed);
});

Deno.test("openTotpSecret() refuses another account, another pepper and altered bytes", async () => {
  const keys = await deriveOidcKeys(PEPPER);
  const sealed = await sealTotpSecret(keys, "u1", new Uint8Array(20).fill(7));
  await assert.rejects(() => openTotpSecret(keys, "u2", sealed), TypeError);
  const other = await deriveOidcKeys(new TextEncoder().encode("q".repeat(40)));
  await assert.rejects(() => openTotpSecret(other, "u1", sealed), TypeError);
  const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
  await assert.rejects(() => openTotpSecret(keys, "u1", flipped), TypeError);
  await assert.rejects(() => openTotpSecret(keys, "u1", "v0.abc"), TypeError);
  await assert.rejects(() => openTotpSecret(keys, "u1", "v1.abc"), TypeError);
});

Deno.test("deriveOidcKeys() refuses a short pepper and separates purposes", async () => {
  await assert.rejects(() => deriveOidcKeys(new Uint8Array(31)), RangeError);
  const keys = await deriveOidcKeys(PEPPER);
  const m = new TextEncoder().encode("x");
  assert.notDeepEqual(keys.csrf.sign(m), keys.recovery.sign(m));
});

Deno.test("recovery codes: ten distinct 80-bit codes in four groups", () => {
  const codes = generateRecoveryCodes();
  assert.equal(codes.length, RECOVERY_CODE_COUNT);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
});

Deno.test("recovery codes: typed forms normalise; hashes are keyed and stable", async () => {
  const keys = await deriveOidcKeys(PEPPER);
  const [code] = generateRecoveryCodes(1);
  const typed = ` ${code.toUpperCase().replaceAll("-", " ")} `;
  assert.equal(normalizeRecoveryCode(typed), code.replaceAll("-", ""));
  assert.equal(recoveryCodeHash(keys, typed), recoveryCodeHash(keys, code));
  assert.match(recoveryCodeHash(keys, code), /^[0-9a-f]{64}$/);
  const other = await deriveOidcKeys(new TextEncoder().encode("q".repeat(40)));
  assert.notEqual(recoveryCodeHash(other, code), recoveryCodeHash(keys, code));
  for (const junk of ["123456", "abcd-efgh-ijkl-mno1", "", "abcdefghijklmnopq"]) {
    assert.equal(normalizeRecoveryCode(junk), null, junk);
    assert.throws(() => recoveryCodeHash(keys, junk), TypeError);
  }
});
