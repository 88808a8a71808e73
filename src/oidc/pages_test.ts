import assert from "node:assert/strict";
import { contentSecurityPolicy, cspSourceOf, pageHeaders } from "./csp.ts";
import { CSRF_FIELD } from "./csrf.ts";
import { LOGIN_CSS, LOGIN_CSS_PATH } from "./login_css.ts";
import {
  consentPage,
  errorPage,
  loginPage,
  logoutPage,
  passwordChangePage,
  secondFactorPage,
  signedOutPage,
  totpEnrolPage,
} from "./pages.ts";
import { encodeQr, qrSvg } from "./qr.ts";

const EVIL = `"><script>alert(1)</script><img src=x onerror=alert(2)>'`;

/**
 * No script, no inline style, no event handler, no javascript: URL: read from the markup itself
 * (each tag with its quoted attribute values blanked), so escaped text cannot hide one.
 */
function assertStrict(html: string): void {
  const tags = [...html.matchAll(/<[^>]*>/g)].map((m) => m[0].replace(/"[^"]*"/g, '""'));
  for (const tag of tags) {
    assert.doesNotMatch(tag, /^<\/?(script|style|iframe|object|embed|base)\b/i, tag);
    assert.doesNotMatch(tag, /\s(style|on[a-z]+|srcdoc)\s*=/i, tag);
  }
  for (const m of html.matchAll(/\s(?:href|src|action)="([^"]*)"/g)) {
    assert.doesNotMatch(m[1], /^\s*javascript:/i);
  }
  assert.match(html, new RegExp(`<link rel="stylesheet" href="${LOGIN_CSS_PATH}">`));
  assert.match(html, /^<!doctype html>/);
}

function inputs(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<input ([^>]*)>/g)) {
    const name = m[1].match(/name="([^"]*)"/)?.[1];
    const type = m[1].match(/type="([^"]*)"/)?.[1];
    if (name !== undefined) out.set(name, type ?? "text");
  }
  return out;
}

Deno.test("loginPage(): a POST form with username, password and the hidden CSRF input", () => {
  const html = loginPage({ action: "/authorize?client_id=app", csrf: "tok", clientName: "App" });
  assertStrict(html);
  assert.match(html, /<form method="post" action="\/authorize\?client_id=app">/);
  const fields = inputs(html);
  assert.equal(fields.get("username"), "text");
  assert.equal(fields.get("password"), "password");
  assert.equal(fields.get(CSRF_FIELD), "hidden");
  assert.equal(fields.has("otp"), false, "no otp until a second factor is asked for");
  assert.match(html, new RegExp(`name="${CSRF_FIELD}" value="tok"`));
});

Deno.test("every value reaching a page is escaped (login_hint, error, client name, action)", () => {
  const render = (v: string) => [
    loginPage({ action: v, csrf: v, username: v, clientName: v, error: v }),
    secondFactorPage({ action: v, csrf: v, ticket: v, error: v }),
    passwordChangePage({ action: v, csrf: v, minLength: 8, error: v }),
    consentPage({ action: v, csrf: v, clientName: v, scopes: [v], account: v }),
    totpEnrolPage({ action: v, csrf: v, secret: v, recoveryCodes: [v], error: v }),
    logoutPage({ action: v, csrf: v, clientName: v }),
    errorPage({ error: v, message: v, siteName: v }),
  ];
  const tagNames = (html: string) => [...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1]);
  const benign = render("x");
  render(EVIL).forEach((html, i) => {
    assertStrict(html);
    // The same elements as with a harmless value: nothing was injected, no attribute broken.
    assert.deepEqual(tagNames(html), tagNames(benign[i]));
    assert.match(html, /&quot;&gt;&lt;script&gt;/);
  });
});

Deno.test("secondFactorPage(): an otp input, the ticket and the CSRF input", () => {
  const html = secondFactorPage({ action: "/authorize?x=1", csrf: "c", ticket: "t.m" });
  assertStrict(html);
  const fields = inputs(html);
  assert.equal(fields.get("otp"), "text");
  assert.equal(fields.get("mfa_ticket"), "hidden");
  assert.equal(fields.get(CSRF_FIELD), "hidden");
  assert.match(html, /autocomplete="one-time-code"/);
});

Deno.test("consentPage(): consent=allow and consent=deny buttons, scopes described", () => {
  const html = consentPage({
    action: "/authorize?client_id=x",
    csrf: "c",
    clientName: "Wiki",
    scopes: ["openid", "email", "deploy"],
    account: "alice@example.com",
  });
  assertStrict(html);
  assert.match(html, /<button type="submit" name="consent" value="allow">/);
  assert.match(html, /<button type="submit" name="consent" value="deny"/);
  assert.match(html, /Your e-mail address/);
  assert.match(html, /<li>deploy<\/li>/);
  assert.equal(inputs(html).get(CSRF_FIELD), "hidden");
});

Deno.test("totpEnrolPage(): the inline QR SVG, the secret, the codes and an otp input", () => {
  const svg = qrSvg(encodeQr("otpauth://totp/kp:alice?secret=JBSWY3DPEHPK3PXP"));
  const html = totpEnrolPage({
    action: "/me/totp",
    csrf: "c",
    qrSvg: svg,
    secret: "JBSWY3DPEHPK3PXP",
    recoveryCodes: ["aaaa-bbbb-cccc-dddd", "eeee-ffff-gggg-hhhh"],
  });
  assertStrict(html);
  assert.ok(html.includes(svg));
  assert.match(html, /JBSW Y3DP EHPK 3PXP/);
  assert.match(html, /<li>aaaa-bbbb-cccc-dddd<\/li>/);
  assert.equal(inputs(html).get("otp"), "text");
  const noQr = totpEnrolPage({ action: "/x", csrf: "c", secret: "AB", recoveryCodes: [] });
  assert.match(noQr, /too long for a QR code/);
});

Deno.test("passwordChangePage(), logoutPage(), signedOutPage(), errorPage()", () => {
  const pc = passwordChangePage({ action: "/a", csrf: "c", minLength: 12 });
  assertStrict(pc);
  assert.equal(inputs(pc).get("new_password"), "password");
  assert.equal(inputs(pc).get("new_password_confirm"), "password");
  assert.match(pc, /minlength="12"/);
  const lo = logoutPage({ action: "/end_session", csrf: "c" });
  assertStrict(lo);
  assert.match(lo, /name="logout" value="yes"/);
  assertStrict(signedOutPage());
  const err = errorPage({
    error: "invalid_request",
    message: "The redirect_uri is not registered",
  });
  assertStrict(err);
  assert.doesNotMatch(err, /<form|<a /, "the error page links nowhere");
});

Deno.test("contentSecurityPolicy(): the strict policy, with redirect origins in form-action", () => {
  assert.equal(
    contentSecurityPolicy(),
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
      "frame-ancestors 'none'; base-uri 'none'",
  );
  assert.equal(
    contentSecurityPolicy({
      formActions: [
        "https://app.example/cb?x=1",
        "https://app.example/other",
        "http://127.0.0.1:5555/cb",
        "http://[::1]/cb",
        "https://a.example; script-src *",
        "javascript:alert(1)",
        "not a url",
      ],
    }),
    "default-src 'none'; style-src 'self'; img-src 'self' data:; " +
      "form-action 'self' https://app.example http://127.0.0.1:* http://[::1]:*; " +
      "frame-ancestors 'none'; base-uri 'none'",
  );
  assert.equal(cspSourceOf("https://app.example:8443/x"), "https://app.example:8443");
  assert.equal(cspSourceOf("ftp://x"), null);
});

Deno.test("pageHeaders(): CSP, no framing, no sniffing, no referrer, no store", () => {
  const h = pageHeaders(contentSecurityPolicy());
  assert.equal(h["content-type"], "text/html; charset=utf-8");
  assert.equal(h["x-frame-options"], "DENY");
  assert.equal(h["cache-control"], "no-store");
  assert.equal(h["referrer-policy"], "same-origin");
  assert.equal(h["x-content-type-options"], "nosniff");
  assert.match(h["content-security-policy"], /^default-src 'none'/);
});

Deno.test("the stylesheet is a plain string with no imports, URLs or expressions", () => {
  assert.ok(LOGIN_CSS.length > 100);
  assert.doesNotMatch(LOGIN_CSS, /@import|url\(|expression\(|<\//i);
});
