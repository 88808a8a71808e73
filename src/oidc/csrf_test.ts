import assert from "node:assert/strict";
import { clearCookie, cookieName, newCookieValue, readCookie, setCookie } from "./cookies.ts";
import {
  checkCsrf,
  checkOrigin,
  csrfToken,
  MFA_TICKET_SECONDS,
  mfaTicket,
  readMfaTicket,
} from "./csrf.ts";
import { deriveOidcKeys } from "./keys.ts";

const keys = await deriveOidcKeys(new TextEncoder().encode("k".repeat(40)));

Deno.test("csrfToken() verifies for its browser and form only", async () => {
  const binding = newCookieValue();
  const token = csrfToken(keys, binding, "login");
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(checkCsrf(keys, binding, "login", token));
  assert.equal(checkCsrf(keys, binding, "consent", token), false, "another form");
  assert.equal(checkCsrf(keys, newCookieValue(), "login", token), false, "another browser");
  assert.equal(checkCsrf(keys, null, "login", token), false, "no cookie");
  assert.equal(checkCsrf(keys, binding, "login", null), false, "CSRF token missing");
  assert.equal(checkCsrf(keys, binding, "login", ""), false, "CSRF token empty");
  assert.equal(checkCsrf(keys, binding, "login", token.slice(0, -1) + "A"), token.endsWith("A"));
  const otherKeys = await deriveOidcKeys(new TextEncoder().encode("j".repeat(40)));
  assert.equal(checkCsrf(otherKeys, binding, "login", token), false, "another server secret");
  assert.throws(() => csrfToken(keys, "", "login"), TypeError);
});

Deno.test("checkOrigin() allows our origin or none, refuses others and 'null'", () => {
  assert.ok(checkOrigin(null, "https://id.example"));
  assert.ok(checkOrigin("https://id.example", "https://id.example"));
  assert.equal(checkOrigin("https://evil.example", "https://id.example"), false);
  assert.equal(checkOrigin("null", "https://id.example"), false);
  assert.equal(checkOrigin("https://id.example.evil", "https://id.example"), false);
});

Deno.test("mfaTicket(): bound to the browser, tamper-evident and short-lived", () => {
  const binding = newCookieValue();
  const t = mfaTicket(keys, binding, { userId: "u1", now: 1000 });
  assert.deepEqual(readMfaTicket(keys, binding, t, 1000), {
    userId: "u1",
    exp: 1000 + MFA_TICKET_SECONDS,
  });
  assert.equal(readMfaTicket(keys, binding, t, 1001 + MFA_TICKET_SECONDS), null, "expired");
  assert.equal(readMfaTicket(keys, newCookieValue(), t, 1000), null, "another browser");
  assert.equal(readMfaTicket(keys, null, t, 1000), null);
  assert.equal(readMfaTicket(keys, binding, null, 1000), null);
  // Another account's id in the body breaks the MAC.
  const [, mac] = t.split(".");
  const forged = `${btoa(JSON.stringify({ u: "admin", e: 9e9 })).replace(/=+$/, "")}.${mac}`;
  assert.equal(readMfaTicket(keys, binding, forged, 1000), null);
  assert.equal(readMfaTicket(keys, binding, "nodot", 1000), null);
});

Deno.test("cookies: HttpOnly, SameSite=Lax, __Host- and Secure under TLS; read back strictly", () => {
  const v = newCookieValue();
  assert.equal(
    setCookie("session", v, { secure: true, maxAgeSeconds: 3600 }),
    `__Host-kp_session=${v}; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=3600`,
  );
  assert.equal(
    setCookie("login", v, { secure: false }),
    `kp_login=${v}; Path=/; HttpOnly; SameSite=Lax`,
  );
  assert.match(clearCookie("session", { secure: true }), /Max-Age=0/);
  assert.throws(() => setCookie("session", "a;b", { secure: true }), TypeError);
  assert.equal(cookieName("login", true), "__Host-kp_login");
  assert.equal(readCookie(`a=1; __Host-kp_session=${v}; b=2`, "session", true), v);
  assert.equal(readCookie(`kp_session=${v}`, "session", true), null, "no prefix under TLS");
  assert.equal(readCookie(`__Host-kp_session=short`, "session", true), null);
  assert.equal(readCookie(null, "session", true), null);
});
