import assert from "node:assert/strict";
import { checkPkceRequest, isCodeVerifier, s256Challenge, verifyPkce } from "./pkce.ts";

// RFC 7636 Appendix B.
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

Deno.test("s256Challenge() gives RFC 7636 Appendix B's challenge", () => {
  assert.equal(s256Challenge(VERIFIER), CHALLENGE);
});

Deno.test("verifyPkce() accepts the right verifier and nothing else", () => {
  assert.ok(verifyPkce(VERIFIER, CHALLENGE));
  assert.equal(verifyPkce(VERIFIER.slice(0, -1) + "Y", CHALLENGE), false, "wrong verifier");
  assert.equal(verifyPkce(null, CHALLENGE), false, "missing verifier");
  // plain: the challenge presented as the verifier never passes.
  assert.equal(verifyPkce(CHALLENGE, CHALLENGE), false);
  assert.equal(verifyPkce("a".repeat(42), s256Challenge("a".repeat(42))), false, "too short");
  assert.equal(verifyPkce("a".repeat(129), s256Challenge("a".repeat(129))), false, "too long");
});

Deno.test("isCodeVerifier() enforces 43-128 unreserved characters", () => {
  assert.ok(isCodeVerifier("a".repeat(43)));
  assert.ok(isCodeVerifier("A-._~".repeat(25) + "abc"));
  assert.equal(isCodeVerifier("a".repeat(42)), false);
  assert.equal(isCodeVerifier("a".repeat(129)), false);
  assert.equal(isCodeVerifier("a".repeat(42) + "+"), false);
  assert.equal(isCodeVerifier("a".repeat(42) + "="), false);
  assert.equal(isCodeVerifier("a".repeat(42) + "é"), false);
});

Deno.test("checkPkceRequest() requires S256 and a well-formed challenge; plain is refused", () => {
  assert.equal(checkPkceRequest(CHALLENGE, "S256"), null);
  assert.match(checkPkceRequest(null, "S256")!, /code_challenge is required/);
  assert.match(checkPkceRequest("", null)!, /code_challenge is required/);
  assert.match(checkPkceRequest(CHALLENGE, null)!, /code_challenge_method is required/);
  assert.match(checkPkceRequest(CHALLENGE, "plain")!, /"plain" is not accepted/);
  assert.match(checkPkceRequest(CHALLENGE, "s256")!, /is not accepted/);
  assert.match(checkPkceRequest("short", "S256")!, /43-character/);
  assert.match(checkPkceRequest(CHALLENGE + "=", "S256")!, /43-character/);
});
