/**
 * End to end, the registry set-up of docs/registry.md (x5c chain, its policy: alice pulls
 * `shared/*` and `alice/*`, ci-bot pushes `acme/*` and `shared/*`) against the real distribution
 * registry 2.8 and skopeo: no caller obtains a token the registry accepts except through
 * `/v2/token` and the policy. Every other kind Keypebble mints (/auth, command, Kubernetes,
 * refresh) is refused by the registry, anonymous or authenticated (issue 10, finding 1).
 */

import assert from "node:assert/strict";
import { type RunningServer, startServer } from "../helpers/process.ts";
import {
  buildOciImage,
  Cleanup,
  decodeJwt,
  hashPassword,
  ISSUER,
  makeKeyAndCert,
  type Registry,
  SERVICE,
  Skopeo,
  startRegistry,
} from "./registry_helpers.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const ALICE = "alice-e2e-pass";
const CI = "ci-e2e-pass";

function basic(user: string, pw: string): string {
  return `Basic ${btoa(`${user}:${pw}`)}`;
}

async function postJson(kp: RunningServer, path: string, body: unknown, headers = {}) {
  const res = await fetch(`${kp.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** What the registry answers to a blob upload, the catalog and the base with this token. */
async function registryAnswers(reg: Registry, token: string): Promise<number[]> {
  const auth = { authorization: `Bearer ${token}` };
  const statuses: number[] = [];
  for (
    const [method, path] of [
      ["GET", "/v2/"],
      ["POST", "/v2/acme/app/blobs/uploads/"],
      ["GET", "/v2/_catalog"],
    ]
  ) {
    const r = await fetch(`${reg.url}${path}`, { method, headers: auth });
    await r.body?.cancel();
    statuses.push(r.status);
  }
  return statuses;
}

Deno.test({
  name: "docs/registry.md set-up: only /v2/token and the policy yield tokens the registry accepts",
  ...opts,
  fn: async () => {
    const cleanup = new Cleanup();
    try {
      const dir = await cleanup.dir("kinds");
      const { cert } = await makeKeyAndCert(dir);
      const [alice, ci] = await Promise.all([hashPassword(ALICE), hashPassword(CI)]);
      await Deno.writeTextFile(
        `${dir}/policy.yaml`,
        `read_write: &read_write
  actions: ["pull", "push"]
users:
  alice:
    password_hash: "${alice}"
    repos: ["shared/*", "alice/*"]
    actions: ["pull"]
  ci-bot:
    password_hash: "${ci}"
    repos: ["shared/*", "acme/*"]
    <<: *read_write
`,
      );
      // The keypebble.yaml of docs/registry.md, with this suite's issuer and service names.
      await Deno.writeTextFile(
        `${dir}/keypebble.yaml`,
        `issuer: "${ISSUER}"
audience: "${SERVICE}"
rs256_private_key_path: "k.pem"
x5c_chain_path: "cert.pem"
policy_path: "policy.yaml"
`,
      );
      const kp = cleanup.daemon(await startServer(`${dir}/keypebble.yaml`, { cwd: dir }));
      const reg = cleanup.daemon(
        await startRegistry(dir, { realm: `${kp.url}/v2/token`, rootcertbundle: cert }),
      );

      // The legitimate path works: ci-bot's registry token (explicitly typed) uploads (202).
      const good = await fetch(
        `${kp.url}/v2/token?service=${SERVICE}&scope=repository:acme/app:pull,push`,
        { headers: { authorization: basic("ci-bot", CI) } },
      );
      const goodToken = (await good.json()).token as string;
      assert.equal(decodeJwt(goodToken).header.typ, "kp-registry+jwt");
      const [, upload] = await registryAnswers(reg, goodToken);
      assert.equal(upload, 202, "a policy-granted registry token is accepted");

      // alice (pull only) asking /v2/token for push gets a token without push: refused.
      const pullOnly = await fetch(
        `${kp.url}/v2/token?service=${SERVICE}&scope=repository:acme/app:pull,push`,
        { headers: { authorization: basic("alice", ALICE) } },
      );
      const [, aliceUpload] = await registryAnswers(reg, (await pullOnly.json()).token);
      assert.notEqual(aliceUpload, 202);

      // /auth: `access` is refused outright; a plain /auth token is not for the registry.
      const access = [{ type: "repository", name: "acme/app", actions: ["pull", "push"] }];
      for (const headers of [{}, { authorization: basic("alice", ALICE) }]) {
        const forged = await postJson(kp, "/auth", { access }, headers);
        assert.equal(forged.status, 400, JSON.stringify(forged.body));
        const aud = await postJson(kp, "/auth", { aud: SERVICE }, headers);
        assert.equal(aud.status, 403, JSON.stringify(aud.body));
      }
      const plain = await postJson(kp, "/auth", { sub: "ci-bot" });
      assert.equal(plain.status, 200);
      assert.deepEqual(await registryAnswers(reg, plain.body.token), [401, 401, 401]);

      // A command token: never for the registry's service; for another target, refused there.
      const cmdReg = await postJson(kp, "/command/token", { target: SERVICE, command: "x" });
      assert.equal(cmdReg.status, 403);
      const cmd = await postJson(kp, "/command/token", { target: "runner", command: "x" });
      assert.equal(cmd.status, 200);
      assert.deepEqual(await registryAnswers(reg, cmd.body.token), [401, 401, 401]);

      // A Kubernetes token: the registry's service is never an audience.
      const sa = "/api/v1/namespaces/ci/serviceaccounts/builder/token";
      const k8sReg = await postJson(kp, sa, { spec: { audiences: [SERVICE] } });
      assert.equal(k8sReg.status, 403);
      const k8s = await postJson(kp, sa, { spec: { audiences: ["vault"] } });
      assert.equal(k8s.status, 201);
      assert.deepEqual(await registryAnswers(reg, k8s.body.status.token), [401, 401, 401]);

      // A refresh token is not an access token.
      const off = await fetch(
        `${kp.url}/v2/token?service=${SERVICE}&offline_token=true&client_id=e2e`,
        { headers: { authorization: basic("ci-bot", CI) } },
      );
      const refresh = (await off.json()).refresh_token as string;
      assert.deepEqual(await registryAnswers(reg, refresh), [401, 401, 401]);

      // skopeo with the /auth token as its bearer token cannot push; with ci-bot's password it can.
      const skopeo = await Skopeo.create(dir);
      const layout = `${dir}/image`;
      await buildOciImage(layout, "kinds\n");
      const viaAuth = await skopeo.run([
        "copy",
        "--retry-times",
        "0",
        "--dest-tls-verify=false",
        "--dest-registry-token",
        plain.body.token,
        `oci:${layout}:latest`,
        `docker://${reg.host}/acme/app:latest`,
      ]);
      assert.notEqual(viaAuth.code, 0, "skopeo pushed with an /auth token");
      const viaPolicy = await skopeo.push(layout, `${reg.host}/acme/app:latest`, `ci-bot:${CI}`);
      assert.equal(viaPolicy.code, 0, viaPolicy.stderr);
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
