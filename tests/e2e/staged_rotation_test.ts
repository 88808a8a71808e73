/**
 * The documented key rotation (docs/keys.md "Keys and rotation") against a verifier that caches the
 * JWKS exactly as long as `Cache-Control: max-age` allows and never refetches early (the strict
 * end of what JWKS clients do). Tokens are minted and verified all along the procedure:
 *
 * - staged: the next key is published (`staged: true`) for at least `jwks_max_age_seconds`
 *   before it signs, so the verifier never meets a kid it does not know;
 * - the old way (the new key first at once) is the control: the verifier meets an unknown kid,
 *   and the server warns `key_signs_early` when it reloads so.
 *
 * The verifier is Web Crypto over the published JWK, not Keypebble's own code.
 */

import assert from "node:assert/strict";
import { runKeypebble, type RunningServer, startServer } from "../helpers/process.ts";

const MAX_AGE = 2;

function b64u(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replaceAll("-", "+").replaceAll("_", "/") + "==".slice(0, (4 - s.length % 4) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** A JWKS cache that obeys max-age and nothing else. */
class CachingVerifier {
  #keys = new Map<string, CryptoKey>();
  #expires = 0;
  verified = 0;
  readonly kids = new Set<string>();
  readonly unknown: string[] = [];
  constructor(private readonly url: string) {}

  async #refresh(): Promise<void> {
    const res = await fetch(`${this.url}/.well-known/jwks.json`);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1]);
    assert.ok(Number.isFinite(maxAge), "the JWKS says how long it may be cached");
    const jwks = await res.json();
    this.#keys = new Map();
    for (const jwk of jwks.keys) {
      const key = await crypto.subtle.importKey(
        "jwk",
        jwk,
        { name: "ECDSA", namedCurve: "P-256" },
        false,
        ["verify"],
      );
      this.#keys.set(jwk.kid, key);
    }
    this.#expires = Date.now() + maxAge * 1000;
  }

  async verify(token: string): Promise<void> {
    if (Date.now() >= this.#expires) await this.#refresh();
    const [h, p, sig] = token.split(".");
    const kid = JSON.parse(new TextDecoder().decode(b64u(h))).kid as string;
    const key = this.#keys.get(kid);
    if (key === undefined) {
      this.unknown.push(kid);
      return;
    }
    const ok = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      b64u(sig),
      new TextEncoder().encode(`${h}.${p}`),
    );
    assert.ok(ok, "the signature verifies");
    this.kids.add(kid);
    this.verified++;
  }
}

async function fixture(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kp-staged-" });
  for (const k of ["a", "b"]) {
    const r = await runKeypebble(["keygen", "--alg", "ES256", "--out", `${dir}/${k}.pem`]);
    assert.equal(r.code, 0, r.stderr);
  }
  await writeKeys(dir, ["a"]);
  return dir;
}

/** Rewrite the config's key list, e.g. `["a", "b:staged"]` (`a` signs). */
async function writeKeys(dir: string, keys: string[]): Promise<void> {
  const list = keys.map((k) => {
    const [name, staged] = k.split(":");
    return `  - { path: ${name}.pem, kid: ${name.toUpperCase()}${staged ? ", staged: true" : ""} }`;
  });
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `issuer: "https://kp.test"\naudience: edge\njwks_max_age_seconds: ${MAX_AGE}\n` +
      `rate_limit: { per_address: false, per_principal: false }\nkeys:\n${list.join("\n")}\n`,
  );
}

async function reload(s: RunningServer): Promise<void> {
  const before = s.lines.filter((l) => l.includes('"event":"reload"')).length;
  s.signal("SIGHUP");
  for (let i = 0; i < 200; i++) {
    const reloads = s.lines.filter((l) => l.includes('"event":"reload"'));
    if (reloads.length > before) {
      assert.match(reloads.at(-1)!, /"outcome":"success"/, reloads.at(-1));
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no reload line:\n${s.lines.join("\n")}`);
}

/** Mint and verify continuously until `stop()`. */
function traffic(s: RunningServer, v: CachingVerifier): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await fetch(`${s.url}/auth`, { method: "POST", body: '{"sub":"svc"}' });
      assert.equal(res.status, 200);
      await v.verify((await res.json()).token);
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

Deno.test({
  name: "staged rotation: a verifier caching the JWKS never meets an unknown kid",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await fixture();
  const s = await startServer(`${dir}/config.yaml`, { cwd: dir, args: ["--workers", "1"] });
  const v = new CachingVerifier(s.url);
  const t = traffic(s, v);
  try {
    await sleep(0.5);
    // 1. Stage B: published at once, signing nothing.
    await writeKeys(dir, ["a", "b:staged"]);
    await reload(s);
    const check = await runKeypebble(["check", "--config", `${dir}/config.yaml`]);
    assert.match(check.stdout, /staged\s+ES256\s+kid "B".*published, not signing/);
    // 2. Wait at least jwks_max_age_seconds: every cached JWKS now holds B.
    await sleep(MAX_AGE + 0.5);
    // 3. Promote B: it signs, A still verifies (tokens already issued).
    await writeKeys(dir, ["b", "a"]);
    await reload(s);
    await sleep(MAX_AGE + 0.5);
    // 4. Retire A once its tokens have expired (here: nothing relies on them any more).
    await writeKeys(dir, ["b"]);
    await reload(s);
    await sleep(0.5);
  } finally {
    await t.stop();
    assert.equal(await s.stop(), 0);
  }
  try {
    assert.deepEqual(v.unknown, [], "the verifier never met an unknown kid");
    assert.deepEqual([...v.kids].sort(), ["A", "B"], "tokens of both keys were verified");
    assert.ok(v.verified > 20, `${v.verified} tokens verified`);
    assert.ok(
      !s.lines.some((l) => l.includes('"event":"key_signs_early"')),
      "no warning for the documented procedure",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "control: switching to a new key at once breaks the caching verifier, and the reload warns",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await fixture();
  const s = await startServer(`${dir}/config.yaml`, { cwd: dir, args: ["--workers", "1"] });
  const v = new CachingVerifier(s.url);
  const t = traffic(s, v);
  try {
    await sleep(0.3);
    await writeKeys(dir, ["b", "a"]); // the old documented procedure: the new key first, at once
    await reload(s);
    await sleep(0.5);
  } finally {
    await t.stop();
    assert.equal(await s.stop(), 0);
  }
  try {
    assert.ok(v.unknown.includes("B"), "the cached JWKS did not know the new kid");
    const warn = s.lines.find((l) => l.includes('"event":"key_signs_early"'));
    assert.ok(warn, s.lines.join("\n"));
    assert.match(
      JSON.parse(warn).message,
      /kid "B" signs from now on but entered the JWKS 0 s ago/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a staged key cannot sign: not first, not a profile's key, not an HMAC secret", async () => {
  const dir = await fixture();
  try {
    const bad = async (yaml: string, why: RegExp) => {
      await Deno.writeTextFile(`${dir}/bad.yaml`, `issuer: kp\n${yaml}`);
      const r = await runKeypebble(["check", "--config", `${dir}/bad.yaml`]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, why);
    };
    await bad(
      "keys:\n  - { path: b.pem, staged: true }\n  - { path: a.pem }\n",
      /keys\[0\]\.staged: the first key signs, so it cannot be staged/,
    );
    await bad(
      "keys:\n  - { path: a.pem, kid: A }\n  - { path: b.pem, kid: B, staged: true }\n" +
        "profiles: { command: { key: B } }\n",
      /profiles\.command\.key: "B" is staged/,
    );
    await bad(
      'keys:\n  - { path: a.pem, kid: A }\n  - { secret: "0123456789abcdef0123456789abcdef", kid: h, staged: true }\n',
      /keys\[1\]\.staged: needs an asymmetric key/,
    );
    // Published in the JWKS, as soon as it is listed.
    await writeKeys(dir, ["a", "b:staged"]);
    const jwks = await runKeypebble(["jwks", "--config", `${dir}/config.yaml`]);
    assert.deepEqual(JSON.parse(jwks.stdout).keys.map((k: { kid: string }) => k.kid), ["A", "B"]);
    const issued = await runKeypebble(["issue", "--config", `${dir}/config.yaml`]);
    const kid = JSON.parse(new TextDecoder().decode(b64u(issued.stdout.trim().split(".")[0]))).kid;
    assert.equal(kid, "A", "the staged key does not sign");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
