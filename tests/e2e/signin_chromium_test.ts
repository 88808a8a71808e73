/**
 * Debian's Chromium, headless, driven by npm `puppeteer-core`, signs people in through the real
 * pages of a real `keypebble serve` (issue 24), for a small relying party served by this test
 * (loopback, any port): sign-in of a first-party client, the consent page of a third-party
 * client, TOTP enrolment with a code computed by Python's `pyotp` from the key the page shows,
 * sign-in with the second factor (pyotp again), and RP-initiated sign-out after which the
 * provider asks for the password again. Every page must load with no console error and no
 * Content-Security-Policy violation (the stylesheet applies; nothing is refused). Screenshots go
 * to `tests/e2e/artifacts/` (or `$KEYPEBBLE_E2E_ARTIFACTS`) for CI to keep.
 */

import assert from "node:assert/strict";
// Test-only import, kept out of deno.json (the import map lists runtime dependencies only).
// deno-lint-ignore no-import-prefix
import puppeteer, { type Browser, type Page } from "npm:puppeteer-core@24.10.0";
import { freePort } from "../helpers/process.ts";
import { CLIENT_SECRET, type Provider, startProvider, USER_PASSWORD } from "./signin_helpers.ts";

const ARTIFACTS = Deno.env.get("KEYPEBBLE_E2E_ARTIFACTS") ??
  new URL("./artifacts/", import.meta.url).pathname;

/** A code for the base32 `secret` from pyotp (an implementation that is not ours). */
async function pyotp(secret: string, offsetSeconds = 0): Promise<string> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import pyotp, sys, time; print(pyotp.TOTP(sys.argv[1]).at(int(time.time()) + int(sys.argv[2])))",
      secret,
      String(offsetSeconds),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * A relying party on loopback: `/login?client=wiki|dash` starts the flow (PKCE S256, state,
 * nonce), `/callback` redeems the code and shows who signed in, `/logout` sends the browser to
 * the provider's end_session endpoint with the ID token as hint, `/bye` is where it comes back.
 */
function startRelyingParty(p: Provider) {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const pending = new Map<string, { client: string; verifier: string; nonce: string }>();
  let lastIdToken = "";
  const b64u = (b: Uint8Array) =>
    btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const html = (body: string) =>
    new Response(
      `<!doctype html><html><head><link rel="icon" href="data:,"></head><body>${body}</body></html>`,
      {
        headers: { "content-type": "text/html; charset=utf-8" },
      },
    );
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/login") {
      const client = url.searchParams.get("client") ?? "wiki";
      const verifier = b64u(crypto.getRandomValues(new Uint8Array(32)));
      const challenge = b64u(
        new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
      );
      const state = b64u(crypto.getRandomValues(new Uint8Array(16)));
      const nonce = b64u(crypto.getRandomValues(new Uint8Array(16)));
      pending.set(state, { client, verifier, nonce });
      const q = new URLSearchParams({
        client_id: client,
        redirect_uri: `${base}/callback`,
        response_type: "code",
        scope: "openid profile email",
        state,
        nonce,
        code_challenge: challenge,
        code_challenge_method: "S256",
      });
      return Response.redirect(`${p.issuer}/authorize?${q}`, 302);
    }
    if (url.pathname === "/callback") {
      const flow = pending.get(url.searchParams.get("state") ?? "");
      if (flow === undefined || url.searchParams.get("iss") !== p.issuer) {
        return html(`<p id="error">${url.searchParams.get("error") ?? "bad state"}</p>`);
      }
      const auth: Record<string, string> = flow.client === "dash"
        ? { authorization: `Basic ${btoa(`dash:${CLIENT_SECRET}`)}` }
        : {};
      const res = await fetch(`${p.issuer}/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...auth },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: url.searchParams.get("code") ?? "",
          redirect_uri: `${base}/callback`,
          code_verifier: flow.verifier,
          ...(flow.client === "dash" ? {} : { client_id: flow.client }),
        }),
      });
      const tokens = await res.json();
      if (res.status !== 200) return html(`<p id="error">${tokens.error}</p>`);
      const claims = JSON.parse(
        atob(tokens.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
      );
      if (claims.nonce !== flow.nonce) return html(`<p id="error">nonce</p>`);
      lastIdToken = tokens.id_token;
      const info = await (await fetch(`${p.issuer}/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      })).json();
      return html(
        `<p id="who">${info.email}</p><p id="amr">${claims.amr.join(" ")}</p>` +
          `<p id="client">${claims.aud}</p>`,
      );
    }
    if (url.pathname === "/logout") {
      const q = new URLSearchParams({
        id_token_hint: lastIdToken,
        post_logout_redirect_uri: `${base}/bye`,
        state: "bye-state",
      });
      return Response.redirect(`${p.issuer}/end_session?${q}`, 302);
    }
    if (url.pathname === "/bye") {
      return html(`<p id="bye">${url.searchParams.get("state")}</p>`);
    }
    return new Response("not found", { status: 404 });
  });
  return { base, stop: () => server.shutdown() };
}

/** Everything a page must not do: console errors (CSP violations are reported there too). */
function watch(page: Page, problems: string[]): void {
  page.on("console", (m) => {
    if (m.type() === "error" || /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${(e as Error).message}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()}`));
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/signin-${name}.png`, fullPage: true });
}

/** Our page is styled by its stylesheet (it was allowed by the CSP and loaded). */
async function styled(page: Page): Promise<void> {
  // A string: the test is type-checked without the DOM library.
  const bg = await page.evaluate("getComputedStyle(document.body).backgroundColor");
  assert.notEqual(bg, "rgba(0, 0, 0, 0)", "the stylesheet applies");
}

async function submitAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}

async function signInForm(page: Page, username: string): Promise<void> {
  await page.waitForSelector("form[method=post] input[name=username]");
  assert.ok(await page.$("form[method=post] input[type=hidden][name=csrf_token]"));
  await page.type("#username", username);
  await page.type("#password", USER_PASSWORD);
  await submitAndWait(page, "button[type=submit]");
}

async function text(page: Page, selector: string): Promise<string> {
  const el = await page.$(selector);
  if (el === null) {
    throw new Error(`no ${selector} at ${page.url()}:\n${(await page.content()).slice(0, 3000)}`);
  }
  return await el.evaluate((e) => e.textContent ?? "");
}

Deno.test({
  name: "Chromium signs people in through the real pages: sign-in, consent, TOTP enrolment and " +
    "sign-in with pyotp codes, sign-out; no console error, no CSP violation",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const p = await startProvider();
    const rp = startRelyingParty(p);
    const profile = await Deno.makeTempDir({ prefix: "kp-chromium-" });
    let browser: Browser | undefined;
    const problems: string[] = [];
    try {
      await p.user("alice@example.com", "alice");
      await p.user("olga@example.com", "olga", "operator"); // operators must use TOTP
      browser = await puppeteer.launch({
        executablePath: "/usr/bin/chromium",
        headless: true,
        userDataDir: profile,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
        ],
      });
      const page = await browser.newPage();
      await page.setViewport({ width: 520, height: 900 });
      watch(page, problems);

      // 1. Sign in to the first-party client.
      const first = await page.goto(`${rp.base}/login?client=wiki`, { waitUntil: "load" });
      assert.equal(first?.status(), 200);
      const csp = first?.headers()["content-security-policy"] ?? "";
      assert.match(csp, /default-src 'none'/);
      assert.ok(page.url().startsWith(`${p.issuer}/authorize?`));
      await styled(page);
      await shot(page, "1-login");
      await signInForm(page, "alice");
      assert.equal(await text(page, "#who"), "alice@example.com");
      assert.equal(await text(page, "#amr"), "pwd");

      // 2. The third-party client: the session is kept, consent is asked.
      await page.goto(`${rp.base}/login?client=dash`, { waitUntil: "load" });
      await page.waitForSelector("button[name=consent][value=allow]");
      await styled(page);
      await shot(page, "2-consent");
      await submitAndWait(page, "button[name=consent][value=allow]");
      assert.equal(await text(page, "#client"), "dash");

      // 3. Sign-out from the relying party: back at /bye with its state; the provider asks again.
      await page.goto(`${rp.base}/logout`, { waitUntil: "load" });
      assert.equal(await text(page, "#bye"), "bye-state");
      await page.goto(`${rp.base}/login?client=wiki`, { waitUntil: "load" });
      await page.waitForSelector("input[name=password]");
      await shot(page, "3-signed-out-login-again");

      // 4. An operator must set up TOTP: the enrolment page after the password.
      const ctx = await browser.createBrowserContext();
      const olga = await ctx.newPage();
      await olga.setViewport({ width: 520, height: 1400 });
      watch(olga, problems);
      await olga.goto(`${rp.base}/login?client=wiki`, { waitUntil: "load" });
      await signInForm(olga, "olga");
      await olga.waitForSelector("code.secret");
      assert.ok(await olga.$(".qr svg"), "the QR code is drawn");
      await styled(olga);
      await shot(olga, "4-totp-enrolment");
      const secret = (await text(olga, "code.secret")).replace(/\s+/g, "");
      await olga.type("#otp", await pyotp(secret));
      await submitAndWait(olga, "button[type=submit]");
      assert.equal(await text(olga, "#who"), "olga@example.com");
      assert.equal(await text(olga, "#amr"), "pwd otp");
      await ctx.close();

      // 5. Sign-in with the second factor, in a fresh context (no session). The code is pyotp's
      // for the next 30-second step (accepted within the ±1 step of drift): the enrolment's step
      // was spent, and no code is accepted twice.
      const ctx2 = await browser.createBrowserContext();
      const again = await ctx2.newPage();
      await again.setViewport({ width: 520, height: 900 });
      watch(again, problems);
      await again.goto(`${rp.base}/login?client=wiki`, { waitUntil: "load" });
      await signInForm(again, "olga");
      await again.waitForSelector("input[name=otp]");
      assert.ok(await again.$("input[type=hidden][name=mfa_ticket]"));
      await shot(again, "5-second-factor");
      const before = problems.length;
      await again.type("#otp", "000000");
      await submitAndWait(again, "button[type=submit]");
      assert.match(await text(again, "p.error"), /not right/);
      // The page with the error is answered 401 on purpose; Chromium logs that status.
      assert.deepEqual(problems.splice(before), [
        "console: Failed to load resource: the server responded with a status of 401 (Unauthorized)",
      ]);
      await again.type("#otp", await pyotp(secret, 30));
      await submitAndWait(again, "button[type=submit]");
      assert.equal(await text(again, "#amr"), "pwd otp");
      await shot(again, "6-signed-in-with-totp");
      await ctx2.close();

      assert.deepEqual(problems, [], "no console errors, CSP violations or failed requests");
    } finally {
      await browser?.close();
      await rp.stop();
      await p.stop();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
