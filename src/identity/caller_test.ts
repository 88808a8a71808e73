import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { parsePolicy, type Policy } from "../policy/policy.ts";
import { parseCidr } from "./cidr.ts";
import { CredentialCache } from "./credential_cache.ts";
import { basicChallenge, identifyCaller, type IdentifyContext, parseBasicAuth } from "./caller.ts";
import { derivationStats, hashPassword } from "./password.ts";

const ALICE_HASH = await hashPassword("wonderland", { iterations: 1000 });
const POLICY: Policy = parsePolicy(
  `users:
  alice: { password_hash: "${ALICE_HASH}", repos: ["a/*"], actions: [pull] }
  proxied: { repos: ["p/*"], actions: [pull] }`,
  "policy.yaml",
);

function ctx(overrides: Partial<IdentifyContext> = {}): IdentifyContext {
  return {
    policy: POLICY,
    trustedProxies: ["127.0.0.1", "::1"].map(parseCidr),
    cache: new CredentialCache(),
    now: 1_700_000_000_000,
    realm: "keypebble",
    ...overrides,
  };
}

function basic(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

function req(headers: Record<string, string>): Request {
  return new Request("http://localhost/v2/token", { headers });
}

async function unauthorized(p: Promise<unknown>): Promise<KeypebbleError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KeypebbleError, String(e));
    assert.equal(e.code, "unauthorized");
    assert.equal(e.status, 401);
    return e;
  }
  assert.fail("expected unauthorized");
}

Deno.test("identifyCaller() accepts the proxy header from a trusted peer", async () => {
  const r = req({ "X-Authenticated-User": "proxied" });
  assert.deepEqual(await identifyCaller(r, "127.0.0.1", ctx()), {
    kind: "user",
    subject: "proxied",
    method: "proxy",
  });
  assert.deepEqual(await identifyCaller(r, "::ffff:127.0.0.1", ctx()), {
    kind: "user",
    subject: "proxied",
    method: "proxy",
  });
  assert.equal((await identifyCaller(r, "::1", ctx()))?.method, "proxy");
});

Deno.test("identifyCaller() ignores the proxy header from an untrusted peer", async () => {
  const r = req({ "X-Authenticated-User": "alice" });
  assert.equal(await identifyCaller(r, "192.0.2.7", ctx()), null);
  assert.equal(await identifyCaller(r, "127.0.0.1", ctx({ trustedProxies: [] })), null);
  // Even an invalid value is simply ignored from an untrusted peer.
  const bad = req({ "X-Authenticated-User": "a,b" });
  assert.equal(await identifyCaller(bad, "192.0.2.7", ctx()), null);
});

Deno.test("identifyCaller() falls through to Basic when the proxy is untrusted", async () => {
  const r = req({ "X-Authenticated-User": "root", Authorization: basic("alice", "wonderland") });
  assert.deepEqual(await identifyCaller(r, "192.0.2.7", ctx()), {
    kind: "user",
    subject: "alice",
    method: "basic",
  });
});

Deno.test("identifyCaller() refuses malformed proxy header values", async () => {
  const headers = new Headers();
  headers.append("X-Authenticated-User", "alice");
  headers.append("X-Authenticated-User", "root");
  const dup = new Request("http://localhost/", { headers });
  await unauthorized(identifyCaller(dup, "127.0.0.1", ctx()));
  for (const v of ["a,b", "a:b", "x".repeat(129), "x".repeat(5000), "a\tb"]) {
    await unauthorized(identifyCaller(req({ "X-Authenticated-User": v }), "127.0.0.1", ctx()));
  }
  // CR/LF cannot even be put into a Headers object; a raw CRLF never reaches us as a value.
  assert.throws(() => req({ "X-Authenticated-User": "alice\r\nX-Evil: 1" }));
});

Deno.test("identifyCaller() accepts good Basic credentials and caches them", async () => {
  const c = ctx();
  const r = req({ Authorization: basic("alice", "wonderland") });
  assert.deepEqual(await identifyCaller(r, "192.0.2.7", c), {
    kind: "user",
    subject: "alice",
    method: "basic",
  });
  assert.equal(c.cache.size, 1);
  assert.deepEqual(await identifyCaller(r, "192.0.2.7", c), {
    kind: "user",
    subject: "alice",
    method: "basic",
  });
  // Scheme names are case-insensitive.
  const lower = req({ Authorization: basic("alice", "wonderland").replace("Basic", "basic") });
  assert.equal((await identifyCaller(lower, "192.0.2.7", c))?.subject, "alice");
});

Deno.test("identifyCaller() gives unknown users and wrong passwords the same error", async () => {
  const c = ctx();
  const wrong = await unauthorized(
    identifyCaller(req({ Authorization: basic("alice", "nope") }), "192.0.2.7", c),
  );
  const unknown = await unauthorized(
    identifyCaller(req({ Authorization: basic("mallory", "nope") }), "192.0.2.7", c),
  );
  const noHash = await unauthorized(
    identifyCaller(req({ Authorization: basic("proxied", "x") }), "192.0.2.7", c),
  );
  const star = await unauthorized(
    identifyCaller(req({ Authorization: basic("*", "x") }), "192.0.2.7", c),
  );
  for (const e of [wrong, unknown, noHash, star]) {
    assert.equal(e.message, "Invalid username or password");
    assert.equal(e.headers["WWW-Authenticate"], 'Basic realm="keypebble", charset="UTF-8"');
  }
  assert.equal(c.cache.size, 0);
  await unauthorized(
    identifyCaller(req({ Authorization: basic("alice", "wonderland") }), "1.2.3.4", {
      ...c,
      policy: undefined,
    }),
  );
});

Deno.test("identifyCaller() refuses malformed Basic values and oversized headers", async () => {
  for (
    const v of [
      "Basic",
      "Basic !!!!",
      "Basic YWxpY2U", // bad length
      "Basic YWxpY2U=", // no colon
      `Basic ${btoa(":pw")}`, // empty user
      `Basic ${btoa("a\x01:pw")}`,
      "Basic /w==", // not UTF-8
      `Basic ${"A".repeat(5000)}`,
    ]
  ) {
    await unauthorized(identifyCaller(req({ Authorization: v }), "192.0.2.7", ctx()));
  }
});

Deno.test("identifyCaller() returns null without credentials or with another scheme", async () => {
  assert.equal(await identifyCaller(req({}), "192.0.2.7", ctx()), null);
  assert.equal(
    await identifyCaller(req({ Authorization: "Bearer abc.def.ghi" }), "192.0.2.7", ctx()),
    null,
  );
});

Deno.test("parseBasicAuth() splits at the first colon and decodes UTF-8", () => {
  const enc = (s: string): string =>
    `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(s)))}`;
  assert.deepEqual(parseBasicAuth(enc("bob:pa:ss")), { user: "bob", password: "pa:ss" });
  assert.deepEqual(parseBasicAuth(enc("zoë:")), { user: "zoë", password: "" });
  assert.equal(parseBasicAuth("Digest x"), null);
  assert.throws(() => parseBasicAuth("Basic ####"), KeypebbleError);
});

Deno.test("basicChallenge() quotes the realm safely", () => {
  assert.equal(basicChallenge('a"b\\c\r\nd'), 'Basic realm="a\\"b\\\\cd", charset="UTF-8"');
});

Deno.test("finding 6: unknown users and wrong passwords cost equal PBKDF2 work with mixed iteration counts", async () => {
  // Work is counted in PBKDF2 iterations (derivationStats), not time: no timing assert.
  const cheap = await hashPassword("cheap-pw", { iterations: 1000 });
  const dear = await hashPassword("dear-pw", { iterations: 4000 });
  const policy = parsePolicy(
    `users:
  cheap: { password_hash: "${cheap}" }
  cheap2: { password_hash: "${cheap}" }
  dear: { password_hash: "${dear}" }`,
    "policy.yaml",
  );
  const c = ctx({ policy });
  const cost = async (user: string, password: string): Promise<number> => {
    const before = derivationStats.iterations;
    await unauthorized(
      identifyCaller(req({ Authorization: basic(user, password) }), "192.0.2.7", c),
    );
    return derivationStats.iterations - before;
  };
  const unknown = await cost("mallory", "x");
  const wrongCheap = await cost("cheap", "x");
  const wrongDear = await cost("dear", "x");
  assert.equal(unknown, 4000);
  assert.equal(wrongCheap, 4000);
  assert.equal(wrongDear, 4000);
});
