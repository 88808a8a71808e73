/**
 * End to end: nginx checks Basic credentials (an htpasswd file) in front of Keypebble's
 * `/v2/token` and forwards the user name in `X-Authenticated-User`; Keypebble trusts that header
 * from loopback only (`trusted_proxies`). The policy is the Python Keypebble's example file, with
 * its anchors and `<<` merge keys, so that format keeps working as-is.
 */

import assert from "node:assert/strict";
import { startServer } from "../helpers/process.ts";
import {
  buildOciImage,
  Cleanup,
  decodeJwt,
  htpasswd,
  ISSUER,
  layoutDigest,
  makeKeyAndCert,
  SERVICE,
  Skopeo,
  startNginx,
  startRegistry,
} from "./registry_helpers.ts";

// The shape of the Python Keypebble's example policy (examples/policy.yaml): the same users,
// repositories and actions, an unused anchored list, and actions merged in with `<<`. No
// password_hash anywhere: who the caller is comes from the proxy.
const PYTHON_EXAMPLE_POLICY = `common_repos: &common_repos
  - app-api
  - app-ui
pull_only: &pull_only
  actions: ["pull"]
read_write: &read_write
  actions: ["pull", "push"]
users:
  alice:
    repos:
      - "helm"
      - "shared/*"
      - "alice-space/app-api"
    <<: *pull_only
  bob:
    repos:
      - "bob-space/app-api"
      - "bob-space/app-ui"
    <<: *read_write
  ci-bot:
    repos:
      - "shared/*"
      - "acme/*"
    <<: *read_write
`;

const PASSWORDS: Record<string, string> = {
  alice: "alice-nginx-pass",
  bob: "bob-nginx-pass",
  "ci-bot": "ci-bot-nginx-pass",
  // Known to nginx but absent from the policy: gets a token that grants nothing.
  mallory: "mallory-nginx-pass",
};

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "registry behind nginx Basic auth: Keypebble trusts X-Authenticated-User from the proxy",
  ...opts,
  fn: async () => {
    const cleanup = new Cleanup();
    try {
      const dir = await cleanup.dir("nginx");
      const { cert } = await makeKeyAndCert(dir);
      for (const [user, pw] of Object.entries(PASSWORDS)) {
        // Both hash kinds nginx reads: apr1 (htpasswd's default) and bcrypt (-B) for ci-bot.
        await htpasswd(`${dir}/htpasswd`, user, pw, { bcrypt: user === "ci-bot" });
      }
      await Deno.writeTextFile(`${dir}/policy.yaml`, PYTHON_EXAMPLE_POLICY);
      await Deno.writeTextFile(
        `${dir}/keypebble.yaml`,
        [
          `issuer: ${ISSUER}`,
          `audience: ${SERVICE}`,
          "rs256_private_key_path: k.pem",
          "x5c_chain_path: cert.pem",
          "policy_path: policy.yaml",
          'trusted_proxies: ["127.0.0.1/32"]',
          "log_level: warn",
          "",
        ].join("\n"),
      );
      const kp = cleanup.daemon(await startServer(`${dir}/keypebble.yaml`, { cwd: dir }));
      const nginx = cleanup.daemon(
        await startNginx(dir, { keypebblePort: kp.port, htpasswd: `${dir}/htpasswd` }),
      );
      // The registry sends clients to nginx, never to Keypebble directly.
      const reg = cleanup.daemon(
        await startRegistry(dir, { realm: `${nginx.url}/v2/token`, rootcertbundle: cert }),
      );
      const skopeo = await Skopeo.create(dir);
      const layout = `${dir}/image`;
      const digest = await buildOciImage(layout, "hello through nginx\n");
      const creds = (u: string): string => `${u}:${PASSWORDS[u]}`;
      const ok = (r: { code: number; stderr: string }, what: string): void =>
        assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);
      const denied = (
        r: { code: number; stderr: string },
        by: "registry" | "proxy",
        what: string,
      ): void => {
        assert.notEqual(r.code, 0, `${what} should fail`);
        assert.match(
          r.stderr,
          by === "registry"
            ? /denied: requested access to the resource is denied/
            : /unable to retrieve auth token: invalid username\/password/,
          `${what} failed for another reason: ${r.stderr}`,
        );
      };

      // nginx answers the challenge's realm; Keypebble sees bob through the header.
      const t = await fetch(
        `${nginx.url}/v2/token?service=${SERVICE}&scope=repository:bob-space/app-api:pull,push`,
        { headers: { authorization: `Basic ${btoa(creds("bob"))}` } },
      );
      assert.equal(t.status, 200, await t.clone().text());
      const claims = decodeJwt((await t.json()).token).payload;
      assert.equal(claims.sub, "bob");
      assert.deepEqual(claims.access, [
        { type: "repository", name: "bob-space/app-api", actions: ["pull", "push"] },
      ]);

      // bob: read-write on bob-space/app-api.
      ok(
        await skopeo.push(layout, `${reg.host}/bob-space/app-api:latest`, creds("bob")),
        "bob push",
      );
      ok(
        await skopeo.pull(`${reg.host}/bob-space/app-api:latest`, `${dir}/o1`, creds("bob")),
        "bob pull",
      );
      assert.equal(await layoutDigest(`${dir}/o1`), digest);
      // ...but nothing outside his two repositories.
      denied(
        await skopeo.push(layout, `${reg.host}/bob-space/other:latest`, creds("bob")),
        "registry",
        "bob push other",
      );

      // ci-bot publishes to shared/*, alice (pull-only via the merge key) pulls it.
      ok(
        await skopeo.push(layout, `${reg.host}/shared/base:latest`, creds("ci-bot")),
        "ci-bot push",
      );
      ok(
        await skopeo.pull(`${reg.host}/shared/base:latest`, `${dir}/o2`, creds("alice")),
        "alice pull shared",
      );
      assert.equal(await layoutDigest(`${dir}/o2`), digest);
      denied(
        await skopeo.push(layout, `${reg.host}/shared/base:latest`, creds("alice")),
        "registry",
        "alice push",
      );
      denied(
        await skopeo.pull(`${reg.host}/bob-space/app-api:latest`, `${dir}/o3`, creds("alice")),
        "registry",
        "alice pull bob-space",
      );
      denied(
        await skopeo.pull(`${reg.host}/shared/base:latest`, `${dir}/o4`, creds("mallory")),
        "registry",
        "user not in the policy",
      );

      // nginx refuses a wrong password and an unknown user before Keypebble is asked.
      denied(
        await skopeo.pull(`${reg.host}/shared/base:latest`, `${dir}/o5`, "alice:wrong"),
        "proxy",
        "wrong password",
      );
      denied(
        await skopeo.pull(`${reg.host}/shared/base:latest`, `${dir}/o6`, "nobody:whatever"),
        "proxy",
        "unknown user",
      );
    } catch (e) {
      throw new Error(
        `${e instanceof Error ? e.message : e}\n--- process output ---\n${cleanup.output()}`,
        { cause: e },
      );
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "X-Authenticated-User from a peer outside trusted_proxies is ignored (401)",
  ...opts,
  fn: async () => {
    const cleanup = new Cleanup();
    try {
      const dir = await cleanup.dir("untrusted");
      await makeKeyAndCert(dir);
      await Deno.writeTextFile(`${dir}/policy.yaml`, PYTHON_EXAMPLE_POLICY);
      await Deno.writeTextFile(
        `${dir}/keypebble.yaml`,
        [
          `issuer: ${ISSUER}`,
          `audience: ${SERVICE}`,
          "rs256_private_key_path: k.pem",
          "policy_path: policy.yaml",
          'trusted_proxies: ["10.9.9.9/32"]',
          "log_level: warn",
          "",
        ].join("\n"),
      );
      const kp = cleanup.daemon(await startServer(`${dir}/keypebble.yaml`, { cwd: dir }));
      const r = await fetch(
        `${kp.url}/v2/token?service=${SERVICE}&scope=repository:shared/base:pull`,
        { headers: { "x-authenticated-user": "alice" } },
      );
      assert.equal(r.status, 401, await r.clone().text());
      assert.match(r.headers.get("www-authenticate") ?? "", /^Basic /);
      await r.body?.cancel();
    } finally {
      await cleanup.run();
    }
  },
});
