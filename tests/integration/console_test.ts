/**
 * The console and the API reference as the server serves them (pages, assets, their CSP), and
 * the console's one API module (`src/console/web/console/api.ts`) run against the real handler:
 * sign-in, the forced password change, role-aware answers, renewal of an expired access token,
 * sign-out when renewal is refused, and the audit log (GET /admin/audit) with its filters, within
 * the reader's reach.
 */

import assert from "node:assert/strict";
import { Api, type ApiError } from "../../src/console/web/console/api.ts";
import { consoleJs, css, docsJs } from "../../src/console/assets.gen.ts";
import { makeAccountInstance } from "../helpers/accounts.ts";
import { makeKeyInstance } from "../helpers/api_keys.ts";

function cspOf(res: Response): Map<string, string> {
  const csp = res.headers.get("content-security-policy") ?? "";
  return new Map(
    csp.split(";").map((d) => d.trim()).filter((d) => d !== "").map((d) => {
      const i = d.indexOf(" ");
      return [d.slice(0, i), d.slice(i + 1)];
    }),
  );
}

Deno.test("console and docs pages: HTML under a strict CSP, naming only built assets", async () => {
  const kp = await makeKeyInstance();
  try {
    for (const path of ["/console", "/console/keys", "/console/usage", "/docs"]) {
      const res = await kp.fetch(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type")!, /^text\/html/);
      const raw = res.headers.get("content-security-policy")!;
      assert.doesNotMatch(raw, /unsafe-|\*|https?:/, path);
      const csp = cspOf(res);
      assert.equal(csp.get("default-src"), "'none'");
      assert.equal(csp.get("script-src"), "'self'");
      assert.equal(csp.get("style-src"), "'self'");
      assert.equal(csp.get("frame-ancestors"), "'none'");
      assert.equal(csp.get("base-uri"), "'none'");
      assert.equal(csp.get("connect-src"), "'self'");
      assert.equal(res.headers.get("x-frame-options"), "DENY");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      const html = await res.text();
      assert.doesNotMatch(html, /<script>|<style|\sstyle=|\son[a-z]+=/i, "nothing inline");
      const refs = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) =>
        m[1]
      );
      assert.equal(refs.length, 2, path);
      for (const ref of refs) {
        const a = await kp.fetch(ref);
        assert.equal(a.status, 200, ref);
        assert.match(a.headers.get("cache-control")!, /immutable/);
        assert.match(
          a.headers.get("content-type")!,
          ref.endsWith(".js") ? /javascript/ : /text\/css/,
        );
        await a.body?.cancel();
      }
    }
    for (const path of ["/console/nope", "/console/assets/console.js", "/console/assets/..%2f"]) {
      const res = await kp.fetch(path);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    const post = await kp.fetch("/console", { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("the built assets are small and hold no inline-style or HTML-string sinks", () => {
  const total = consoleJs.text.length + docsJs.text.length + css.text.length;
  assert.ok(total < 200_000, `${total} bytes`);
  for (const a of [consoleJs, docsJs]) {
    assert.doesNotMatch(a.text, /\.innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    assert.doesNotMatch(a.text, /setAttribute\("style"|\.style\./);
    assert.doesNotMatch(a.text, /localStorage|sessionStorage|document\.cookie/);
  }
});

async function consoleApi() {
  const kp = await makeAccountInstance();
  const api = new Api({
    fetch: (input, init) => kp.fetch(String(input), init),
    now: () => clock(),
  });
  let t = Date.UTC(2026, 5, 10, 12, 0, 5);
  const clock = () => t;
  const advance = (ms: number) => {
    t += ms;
    kp.advance(ms);
  };
  return { kp, api, advance };
}

Deno.test("console API: a fresh admin signs in, must change its password, then manages", async () => {
  const { kp, api } = await consoleApi();
  try {
    await kp.svc.createOrg("default");
    // As the bootstrap admin with a generated password: must change it at first sign-in.
    await kp.accounts.create({
      email: "fresh@example.test",
      password: "admin-password-1",
      role: "superadmin",
      mustChangePassword: true,
    });
    const pair = await api.login("fresh@example.test", "admin-password-1");
    assert.equal(pair.password_change_required, true);
    const me = await api.me();
    assert.equal(me.role, "superadmin");
    await assert.rejects(() => api.orgs(), (e: ApiError) => e.code === "password_change_required");
    await api.changePassword("admin-password-1", "a-new-strong-password-2");
    await api.login("fresh@example.test", "a-new-strong-password-2");
    assert.equal((await api.me()).password_change_required, false);
    const org = await api.createOrg("acme");
    assert.equal(org.name, "acme");
    const key = await api.createKey({
      org_name: "acme",
      label: "ci",
      scopes: ["read"],
      monthly_quota: 10,
    });
    assert.match(key.raw_key, /^kp_live_/);
    const listed = await api.keys("acme");
    assert.equal(listed.length, 1);
    assert.ok(!JSON.stringify(listed).includes(key.raw_key), "the list never holds the key");
    const fa = await kp.fetch("/forward-auth", { headers: { "x-api-key": key.raw_key } });
    assert.equal(fa.status, 200);
    await fa.body?.cancel();
    const u = await api.usage("hour", { keyId: key.id });
    assert.equal(u.requests, 1);
    assert.equal(u.quota?.used_this_month, 1);
    const rolled = await api.rollKey(key.id, 60);
    assert.equal(rolled.replaces, key.id);
    await api.revokeKey(rolled.id);
    await api.setOrgStatus("acme", "suspend");
    assert.equal((await api.orgs()).find((o) => o.name === "acme")?.status, "suspended");
    const user = await api.createUser({
      email: "oa@acme.test",
      password: "org-admin-pass-1",
      role: "org_admin",
      org_id: "acme",
    });
    await api.setRole(user.id, "operator");
    await api.setUserStatus(user.id, "suspended");
    await api.resetPassword(user.id, "another-pass-123");
    const g = await api.createGroup("ops", "on call");
    await api.addMember(g.id, me.id);
    assert.deepEqual((await api.group(g.id)).members?.map((m) => m.user_id), [me.id]);
    await api.removeMember(g.id, me.id);
    await api.deleteGroup(g.id);
    await api.block({ kind: "address", value: "192.0.2.9", seconds: 60, reason: "test" });
    assert.equal((await api.blocks()).length, 1);
    await api.unblock("address", "192.0.2.9");
    assert.deepEqual(await api.clients(), []);
    // Everything above is in the audit log, the superadmin as actor; filters narrow it.
    const events = (await api.audit({}))!;
    const mine = new Set(events.filter((e) => e.actor === me.id).map((e) => e.action));
    for (
      const a of [
        "account.password_changed",
        "org.created",
        "key.created",
        "key.rolled",
        "key.revoked",
        "org.suspended",
        "account.created",
        "account.role_changed",
        "account.suspended",
        "account.password_reset",
        "group.created",
        "group.member_added",
        "group.member_removed",
        "group.deleted",
        "block.created",
        "block.removed",
        "token.issued",
      ]
    ) assert.ok(mine.has(a), `${a} in the audit log`);
    assert.ok(events.every((e) => typeof e.at === "string" && e.outcome !== undefined));
    assert.deepEqual(await api.audit({ actor: "x" }), []);
    const keys = (await api.audit({ action: "key.*", target: key.id }))!;
    assert.deepEqual(keys.map((e) => e.action).sort(), ["key.created", "key.rolled"]);
    assert.ok(!JSON.stringify(events).includes(key.raw_key), "never a key in an event");
    assert.ok(Array.isArray((await api.jwks() as { keys: unknown[] }).keys));
  } finally {
    await kp.close();
  }
});

Deno.test("console API: an org admin is refused what is not its own, by the same routes", async () => {
  const { kp, api } = await consoleApi();
  try {
    await kp.svc.createOrg("acme");
    await kp.svc.createOrg("globex");
    await kp.user("oa@acme.test", {
      role: "org_admin",
      orgId: "acme",
      password: "org-admin-pass-1",
    });
    await kp.svc.createKey({ orgName: "globex", label: "theirs" });
    await api.login("oa@acme.test", "org-admin-pass-1");
    assert.deepEqual(await api.keys(), []);
    await assert.rejects(() => api.orgs(), (e: ApiError) => e.status === 403);
    await assert.rejects(() => api.keys("globex"), (e: ApiError) => e.status === 403);
    await assert.rejects(
      () => api.usage("hour", { orgName: "globex" }),
      (e: ApiError) => e.status === 404,
    );
    await assert.rejects(
      () => api.createKey({ org_name: "globex", label: "x" }),
      (e: ApiError) => e.status === 403,
    );
    const mine = await api.createKey({ org_name: "acme", label: "mine" });
    assert.equal(mine.org_name, "acme");
    assert.equal((await api.usage("day")).org_name, "acme");
    // Its audit log: acme's events only (its logins, its key, its refused globex key).
    const events = (await api.audit({}))!;
    assert.ok(events.some((e) => e.action === "key.created" && e.org === "acme"));
    assert.ok(events.some((e) => e.action === "key.created" && e.outcome === "forbidden"));
    assert.ok(events.every((e) => e.org === "acme"), JSON.stringify(events));
  } finally {
    await kp.close();
  }
});

Deno.test("console API: an expired access token is renewed; a refused renewal signs out", async () => {
  const { kp, api, advance } = await consoleApi();
  try {
    await kp.user("v@example.com", { role: "viewer", password: "viewer-pass-1234" });
    await api.login("v@example.com", "viewer-pass-1234");
    const first = api.expiresAt;
    advance(899_000); // 1 s before the 900 s access token ends: renewed before the call
    assert.equal((await api.me()).email, "v@example.com");
    assert.ok(api.expiresAt > first, "renewed");
    let ended = "";
    api.onSignedOut = (r) => (ended = r);
    advance(2 * 86_400_000); // past the refresh token's life too
    await assert.rejects(() => api.me(), (e: ApiError) => e.status === 401);
    assert.equal(api.signedIn, false);
    assert.notEqual(ended, "");
    await assert.rejects(() => api.me(), (e: ApiError) => e.status === 401);
  } finally {
    await kp.close();
  }
});
