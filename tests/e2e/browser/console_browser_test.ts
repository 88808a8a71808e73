/// <reference lib="dom" />
/**
 * The web console and the API reference in a real browser: Debian's Chromium, headless, driven
 * by npm `puppeteer-core` against a real `keypebble serve` (the source, or the binary with
 * KEYPEBBLE_BIN). One walk through what an operator does on day one:
 *
 * sign in as the bootstrap superadmin with the printed one-time password, change it, create an
 * organisation and a key, see the key once, use it at `/forward-auth`, see the request on the
 * usage chart, revoke it and see `/forward-auth` refuse it, create an org admin, check the token
 * inspector against our JWKS, read the audit log (every change above, filtered), sign in as the org
 * admin and see only that organisation (its audit log too), then open `/docs` and run one request.
 *
 * Every page is screenshotted into `artifacts/screenshots/console/` (gitignored; CI keeps it).
 * The test fails on any console error, page error, failed request or CSP violation (listened
 * for with `securitypolicyviolation` in every document).
 */

import assert from "node:assert/strict";
// Test-only import, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import puppeteer, { type Browser, type Page } from "npm:puppeteer-core@24.43.1";
import { REPO_ROOT, runKeypebble, type RunningServer, startServer } from "../../helpers/process.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = `${REPO_ROOT}artifacts/screenshots/console`;
const NEW_PASSWORD = "console-e2e-admin-password";
const ORG_ADMIN_PASSWORD = "console-e2e-org-admin-pw";

/** Problems the page reported: console errors, page errors, CSP violations, failed requests. */
const problems: string[] = [];
/** 4xx answers the walk expects (each regex matches a URL): none. */
const EXPECTED_4XX: readonly RegExp[] = [];

function watch(page: Page): void {
  page.on("console", (m) => {
    if (m.type() !== "error" && m.type() !== "warn") return;
    const url = m.location()?.url ?? "";
    if (/Failed to load resource/.test(m.text()) && EXPECTED_4XX.some((r) => r.test(url))) return;
    problems.push(`console ${m.type()}: ${m.text()} (${url})`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e}`));
  page.on(
    "requestfailed",
    (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`),
  );
  page.on("response", (r) => {
    if (r.status() >= 400 && !EXPECTED_4XX.some((x) => x.test(r.url()))) {
      problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    }
  });
}

async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  // In every document, before any of its scripts: report CSP violations as console errors.
  await page.evaluateOnNewDocument(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  watch(page);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: !name.includes("docs") });
}

async function type(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForSelector(selector, { visible: true });
  await page.$eval(selector, (el) => ((el as HTMLInputElement).value = ""));
  await page.type(selector, text);
}

async function textOf(page: Page, selector = "body"): Promise<string> {
  return await page.$eval(selector, (el) => (el as HTMLElement).innerText);
}

async function clickText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    (sel: string, t: string) =>
      [...document.querySelectorAll(sel)].some((e) => (e as HTMLElement).innerText.trim() === t),
    {},
    selector,
    text,
  );
  await page.evaluate(
    (sel: string, t: string) => {
      const el = [...document.querySelectorAll(sel)].find((e) =>
        (e as HTMLElement).innerText.trim() === t
      );
      (el as HTMLElement).click();
    },
    selector,
    text,
  );
}

async function waitText(page: Page, text: string, selector = "body"): Promise<void> {
  await page.waitForFunction(
    (sel: string, t: string) => document.querySelector(sel)?.textContent?.includes(t) ?? false,
    { timeout: 15_000 },
    selector,
    text,
  );
}

async function signIn(page: Page, login: string, password: string): Promise<void> {
  await type(page, "#login-form input[name=login]", login);
  await type(page, "#login-form input[name=password]", password);
  await page.click("#login-form button[type=submit]");
}

async function forwardAuth(url: string, key: string): Promise<number> {
  const r = await fetch(`${url}/forward-auth`, { headers: { "x-api-key": key } });
  await r.body?.cancel();
  return r.status;
}

Deno.test({
  name: "e2e console: day one in Chromium, from the bootstrap password to an org admin and /docs",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await Deno.mkdir(SHOTS, { recursive: true });
  const dir = await Deno.makeTempDir({ prefix: "kp-console-" });
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    const kg = await runKeypebble(["keygen", "--alg", "ES256", "--out", `${dir}/es256.pem`]);
    assert.equal(kg.code, 0, kg.stderr);
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      [
        "issuer: https://console.e2e",
        "rs256_private_key_path: es256.pem",
        "store:",
        '  url: "sqlite:kp.db"',
        "accounts: {}",
        "",
      ].join("\n"),
    );
    // One worker: with two, a key's requests counted by one worker reach the store with its next
    // usage flush (every 10 s), and a usage view served by the other shows them only then, which
    // races the page's wait below. That spread is tested in tests/cli/workers_store_test.ts.
    server = await startServer(`${dir}/config.yaml`, { cwd: dir, args: ["--workers", "1"] });
    const url = server.url;
    const m = /one-time password is: ([0-9a-f]{32})/.exec(server.lines.join("\n"));
    assert.ok(m, server.lines.join("\n"));
    const bootstrap = m[1];

    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${dir}/chromium`,
      ],
    });
    const page = await newPage(browser);

    // ---- sign in with the printed password; the forced change ------------------------------
    await page.goto(`${url}/console`, { waitUntil: "load" });
    await page.waitForSelector("#login-form");
    const paint = await page.evaluate(() =>
      performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1
    );
    console.log(`first contentful paint of /console: ${Math.round(paint)} ms`);
    await shot(page, "01-sign-in");
    await signIn(page, "admin", bootstrap);
    await page.waitForSelector("#password-form");
    assert.match(await textOf(page), /must change its password/);
    await shot(page, "02-forced-password-change");
    await type(page, "#password-form input[name=new_password]", NEW_PASSWORD);
    await type(page, "#password-form input[name=again]", NEW_PASSWORD);
    await page.click("#password-form button[type=submit]");
    await waitText(page, "Organisations", "main h1");
    assert.match(await textOf(page, "#who"), /superadmin/);

    // ---- organisations ------------------------------------------------------------------------
    for (const name of ["acme", "globex"]) {
      await type(page, "form[aria-label='New organisation'] input[name=name]", name);
      await page.click("form[aria-label='New organisation'] button[type=submit]");
      await waitText(page, name, "table");
    }
    await shot(page, "03-organisations");

    // ---- a key for acme, shown once ----------------------------------------------------------
    await page.goto(`${url}/console/keys?org=acme`, { waitUntil: "load" });
    // A reload signs out (the token lives in memory only): sign in again.
    await page.waitForSelector("#login-form");
    await signIn(page, "admin", NEW_PASSWORD);
    await waitText(page, "API keys", "main h1");
    assert.equal(
      await page.$eval("main select", (s) => (s as HTMLSelectElement).value),
      "acme",
      "the page's query picked the organisation",
    );
    await type(page, "form[aria-label='New API key'] input[name=label]", "ci-runner");
    await type(page, "form[aria-label='New API key'] input[name=scopes]", "read");
    await type(page, "form[aria-label='New API key'] input[name=quota]", "1000");
    await page.click("form[aria-label='New API key'] button[type=submit]");
    await page.waitForSelector("#raw-key");
    const raw = await page.$eval("#raw-key", (i) => (i as HTMLInputElement).value);
    assert.match(raw, /^kp_live_/);
    assert.match(await textOf(page, ".once"), /only time the key is shown/);
    await clickText(page, ".once button", "Copy");
    await page.waitForFunction(() => document.querySelector(".copied")?.textContent !== "");
    await shot(page, "04-key-shown-once");
    await clickText(page, ".once button", "I have stored it");
    await waitText(page, "ci-runner", "table");
    assert.ok(!(await page.content()).includes(raw), "the key is gone from the page");
    assert.match(await textOf(page, "table"), /kp_live_\S*••••/, "listed masked");

    // ---- use it, see it on the chart -----------------------------------------------------------
    assert.equal(await forwardAuth(url, raw), 200);
    assert.equal(await forwardAuth(url, raw), 200);
    await clickText(page, "table a", "Usage");
    await page.waitForSelector("svg.chart");
    await waitText(page, "2", "#usage-requests");
    const bars = await page.$$eval(
      "svg.chart rect.bar",
      (rs) => rs.map((r) => Number(r.getAttribute("height"))),
    );
    assert.equal(bars.length, 60, "one bar per minute of the hour");
    assert.ok(bars.some((h) => h > 0), "the requests are drawn");
    assert.match(await textOf(page, ".quota"), /2 of 1000 this month/);
    await shot(page, "05-usage-of-the-key");
    await clickText(page, ".tabs button", "Last 30 days");
    await waitText(page, "last 30 days", ".scope");
    await shot(page, "06-usage-month");

    // ---- revoke it; forward-auth refuses ---------------------------------------------------------
    await page.goto(`${url}/console`, { waitUntil: "load" });
    await signIn(page, "admin", NEW_PASSWORD);
    await waitText(page, "Organisations", "main h1");
    await clickText(page, "nav.side a", "API keys");
    await waitText(page, "ci-runner", "table");
    await clickText(page, "table button", "Revoke");
    await page.waitForSelector("dialog[open]");
    await shot(page, "07-revoke-confirm");
    await clickText(page, "dialog button", "Revoke");
    await waitText(page, "revoked", "table");
    assert.equal(await forwardAuth(url, raw), 401);
    // A key of globex, which acme's admin must never see.
    await page.evaluate(() => {
      const s = document.querySelector(
        "form[aria-label='New API key'] select",
      ) as HTMLSelectElement;
      s.value = "globex";
    });
    await page.$eval("details:not([open]) > summary", (s) => (s as HTMLElement).click()).catch(
      () => {},
    );
    await type(page, "form[aria-label='New API key'] input[name=label]", "globex-secret-key");
    await page.click("form[aria-label='New API key'] button[type=submit]");
    await page.waitForSelector("#raw-key");
    await clickText(page, ".once button", "I have stored it");
    await waitText(page, "globex-secret-key", "table");
    await shot(page, "08-keys");

    // ---- an org admin for acme ---------------------------------------------------------------------
    await clickText(page, "nav.side a", "Accounts");
    await waitText(page, "Accounts", "main h1");
    await page.$eval("main details > summary", (s) => (s as HTMLElement).click());
    await type(page, "form[aria-label='New account'] input[name=email]", "oa@acme.test");
    await type(page, "form[aria-label='New account'] input[name=password]", ORG_ADMIN_PASSWORD);
    await page.select("form[aria-label='New account'] select[name=role]", "org_admin");
    await type(page, "form[aria-label='New account'] input[name=org_id]", "acme");
    await page.click("form[aria-label='New account'] button[type=submit]");
    await waitText(page, "oa@acme.test", "table");
    await shot(page, "09-accounts");

    // ---- the other pages of a superadmin ----------------------------------------------------------
    for (
      const [link, title, name] of [
        ["Groups", "Groups", "10-groups"],
        ["OAuth2 clients", "OAuth2 clients", "11-clients"],
        ["Blocks", "Blocks", "12-blocks"],
      ]
    ) {
      await clickText(page, "nav.side a", link);
      await waitText(page, title, "main h1");
      await shot(page, name);
    }
    await clickText(page, "nav.side a", "Audit log");
    await waitText(page, "org.created", "main");
    const trail = await textOf(page, "main");
    for (
      const a of ["org.created", "key.created", "key.revoked", "account.created", "token.issued"]
    ) {
      assert.match(trail, new RegExp(a.replace(".", "\\.")), `${a} in the audit log`);
    }
    await shot(page, "13-audit-log");
    // Filtered by action, as an operator narrows it.
    await type(page, "main form input[name=action]", "key.*");
    await page.click("main form button[type=submit]");
    await page.waitForFunction(
      () => !document.querySelector("main")!.textContent!.includes("org.created"),
      { timeout: 15_000 },
    );
    assert.match(await textOf(page, "main"), /key\.created/);
    await shot(page, "13b-audit-log-keys");

    // ---- the token inspector verifies an account token against our JWKS ----------------------------
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "oa@acme.test", password: ORG_ADMIN_PASSWORD }),
    });
    const { access_token: token } = await login.json();
    await clickText(page, "nav.side a", "Token inspector");
    await page.waitForSelector("#jwt");
    await page.$eval("#jwt", (t, v) => {
      (t as HTMLTextAreaElement).value = v as string;
      t.dispatchEvent(new Event("input"));
    }, token);
    await waitText(page, "Signature valid", "#verdict");
    assert.equal(await textOf(page, "#kind"), "account");
    assert.match(await textOf(page, "#expiry"), /^expires in 1[45] minutes$/);
    await shot(page, "14-token-inspector");

    // ---- sign out; the org admin sees its organisation only -----------------------------------------
    await page.click("#sign-out");
    await page.waitForSelector("#login-form");
    await signIn(page, "oa@acme.test", ORG_ADMIN_PASSWORD);
    await waitText(page, "API keys", "main h1");
    const nav = await textOf(page, "nav.side");
    assert.doesNotMatch(nav, /Organisations|Blocks|OAuth2 clients/);
    assert.match(await textOf(page, "#who"), /org_admin · acme/);
    const keysText = await textOf(page, "main");
    assert.match(keysText, /ci-runner/);
    assert.doesNotMatch(keysText, /globex/, "never another organisation's key or name");
    await shot(page, "15-org-admin-keys");
    await clickText(page, "nav.side a", "Usage");
    await page.waitForSelector("svg.chart");
    assert.match(await textOf(page, ".scope"), /organisation acme/);
    assert.doesNotMatch(await textOf(page, "main"), /globex/);
    await shot(page, "16-org-admin-usage");
    await clickText(page, "nav.side a", "Audit log");
    await waitText(page, "key.created", "main");
    assert.doesNotMatch(await textOf(page, "main"), /globex/, "its organisation's events only");
    await shot(page, "16b-org-admin-audit");
    // The org list is not the org admin's: the page is not offered, and the API refuses it.
    const refused = await fetch(`${url}/admin/orgs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(refused.status, 403);
    await refused.body?.cancel();

    // ---- /docs: the reference, and one request run from it ------------------------------------------
    const docs = await newPage(browser);
    await docs.goto(`${url}/docs`, { waitUntil: "load" });
    await docs.waitForSelector("section.op");
    const healthId = await docs.evaluate(() => {
      const s = [...document.querySelectorAll("section.op")].find((op) =>
        op.querySelector("h3 code")?.textContent === "/healthz"
      );
      return s?.id;
    });
    assert.ok(healthId, "GET /healthz is described");
    await docs.$eval(`#${healthId} details.tryit > summary`, (s) => (s as HTMLElement).click());
    await docs.click(`#${healthId} form.try button[type=submit]`);
    await docs.waitForFunction(
      (id: string) =>
        document.querySelector(`#${id} .result .status`)?.textContent?.includes("200"),
      {},
      healthId,
    );
    assert.match(await textOf(docs, `#${healthId} .result`), /"status": "ok"/);
    await shot(docs, "17-docs");
    const op = await docs.$(`#${healthId}`);
    await op!.screenshot({ path: `${SHOTS}/18-docs-try-it.png` });

    assert.deepEqual(problems, [], "no console errors, CSP violations or failed requests");
  } catch (e) {
    console.error(`${e}\nproblems so far:\n${problems.join("\n")}`);
    throw e;
  } finally {
    await browser?.close();
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
