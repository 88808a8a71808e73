/**
 * Hostile input, each refused with the right status and a stable error code: forged and malformed
 * JWS (RFC 8725 attacks) presented where the server verifies tokens (the refresh-token grant of
 * `POST /v2/token`, and `keypebble verify` / `verifyJws` over the keyring), registered claims
 * smuggled into `/auth`, hostile scopes and repository names, and hostile identity headers from
 * a trusted proxy (including raw CR/LF on a real socket).
 */

import assert from "node:assert/strict";
import { b64Encode, b64uEncode, generateKeyPem, verifyJws } from "../../src/jose/mod.ts";
import { REFRESH_AUDIENCE } from "../../src/profiles/registry.ts";
import { REFRESH_TYP } from "../../src/runtime/mod.ts";
import { isKeypebbleError } from "../../src/errors.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";
import { runKeypebble, startServer } from "../helpers/process.ts";

const ISSUER = "https://kp.test";
const SERVICE = "registry.test";
const CLIENT = "attack-client";
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const enc = new TextEncoder();

interface Fixture {
  kp: TestHandler;
  pem: string;
  /** The RSA public key as SPKI PEM text, the classic HS256 confusion secret. */
  publicPem: string;
  kid: string;
  alice: string;
}

let _fixture: Promise<Fixture> | undefined;

function _fix(): Promise<Fixture> {
  _fixture ??= (async () => {
    const pem = await generateKeyPem("RS256");
    const alice = await cheapHash("alice-pw");
    const kp = await makeTestHandler({
      configYaml: `issuer: "${ISSUER}"
audience: "${SERVICE}"
rs256_private_key_path: key.pem
kid: thumbprint
policy_path: policy.yaml
trusted_proxies: ["10.0.0.1"]
rate_limit: { per_address: null, per_principal: null }
lockout: { enabled: false }
`,
      files: {
        "key.pem": pem,
        "policy.yaml": `users:
  alice:
    password_hash: "${alice}"
    repos: ["alice/*"]
    actions: ["pull"]
`,
      },
    });
    const active = kp.runtime.keyring.active;
    const body = b64Encode(active.spkiDer!).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
    const publicPem = `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`;
    return { kp, pem, publicPem, kid: active.kid!, alice };
  })();
  return _fixture;
}

function _now(): number {
  return Math.floor(Date.now() / 1000);
}

function _seg(o: unknown): string {
  return b64uEncode(enc.encode(JSON.stringify(o)));
}

/** Refresh-token claims as the server would write them. */
function _refreshClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = _now();
  return {
    sub: "alice",
    aud: REFRESH_AUDIENCE,
    service: SERVICE,
    client_id: CLIENT,
    iss: ISSUER,
    iat: now,
    nbf: now,
    exp: now + 3600,
    jti: "forged",
    ...over,
  };
}

/** Sign header.payload with the fixture's real RSA key (a token the server could have made). */
async function _rsaSign(
  f: Fixture,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const input = `${_seg(header)}.${_seg(payload)}`;
  const sig = await crypto.subtle.sign(
    { name: "RSASSA-PKCS1-v1_5" },
    f.kp.runtime.keyring.active.privateKey!,
    enc.encode(input),
  );
  return `${input}.${b64uEncode(new Uint8Array(sig))}`;
}

async function _hmacSign(secret: Uint8Array, header: unknown, payload: unknown): Promise<string> {
  const input = `${_seg(header)}.${_seg(payload)}`;
  const key = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = await crypto.subtle.sign("HMAC", key, enc.encode(input));
  return `${input}.${b64uEncode(new Uint8Array(sig))}`;
}

async function _refreshGrant(f: Fixture, token: string): Promise<Response> {
  return await f.kp.fetch("/v2/token", {
    method: "POST",
    headers: FORM,
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: token,
      client_id: CLIENT,
      service: SERVICE,
    }).toString(),
  });
}

async function _expectError(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  const body = JSON.parse(text);
  assert.equal(body.error, code, text);
  assert.equal(typeof body.message, "string");
}

async function _verifyCode(
  f: Fixture,
  token: string,
  opts: { typ?: string; audience?: string } = {},
): Promise<string> {
  try {
    await verifyJws(token, f.kp.runtime.keyring.keys, { now: _now(), issuer: ISSUER, ...opts });
  } catch (e) {
    if (isKeypebbleError(e)) return e.code;
    throw e;
  }
  return "valid";
}

/** Every forged refresh token, with the code verifyJws must give for it. */
async function _forgeries(f: Fixture): Promise<Array<[string, string, string]>> {
  const h = { alg: "RS256", typ: REFRESH_TYP, kid: f.kid };
  const c = _refreshClaims();
  const now = _now();
  const good = await _rsaSign(f, h, c);
  const [gh, gp, gs] = good.split(".");
  return [
    ["alg none", `${_seg({ ...h, alg: "none" })}.${_seg(c)}.`, "unsupported_algorithm"],
    [
      "alg none, no kid",
      `${_seg({ alg: "none", typ: REFRESH_TYP })}.${_seg(c)}.`,
      "unsupported_algorithm",
    ],
    ["alg NONE", `${_seg({ ...h, alg: "NONE" })}.${_seg(c)}.${gs}`, "unsupported_algorithm"],
    [
      "HS256 with the RSA public key PEM as secret",
      await _hmacSign(enc.encode(f.publicPem), { ...h, alg: "HS256" }, c),
      "unknown_key",
    ],
    [
      "HS256 with the public key PEM as secret, no kid",
      await _hmacSign(enc.encode(f.publicPem), { alg: "HS256", typ: REFRESH_TYP }, c),
      "unknown_key",
    ],
    [
      "HS256 with the SPKI DER as secret",
      await _hmacSign(f.kp.runtime.keyring.active.spkiDer!, { ...h, alg: "HS256" }, c),
      "unknown_key",
    ],
    ["unknown alg RS512", `${_seg({ ...h, alg: "RS512" })}.${gp}.${gs}`, "unsupported_algorithm"],
    ["unknown alg HS512", `${_seg({ ...h, alg: "HS512" })}.${gp}.${gs}`, "unsupported_algorithm"],
    ["alg not a string", `${_seg({ ...h, alg: ["RS256"] })}.${gp}.${gs}`, "unsupported_algorithm"],
    ["mismatched alg ES256", `${_seg({ ...h, alg: "ES256" })}.${gp}.${gs}`, "unknown_key"],
    ["mismatched alg EdDSA", `${_seg({ ...h, alg: "EdDSA" })}.${gp}.${gs}`, "unknown_key"],
    ["crit", await _rsaSign(f, { ...h, crit: ["exp"] }, c), "invalid_token"],
    ["crit empty", await _rsaSign(f, { ...h, crit: [] }, c), "invalid_token"],
    ["kid path traversal", await _rsaSign(f, { ...h, kid: "../../etc/passwd" }, c), "unknown_key"],
    ["kid 10 000 chars", await _rsaSign(f, { ...h, kid: "k".repeat(10_000) }, c), "invalid_token"],
    ["kid not a string", await _rsaSign(f, { ...h, kid: 7 }, c), "invalid_token"],
    ["kid URL", await _rsaSign(f, { ...h, kid: "https://evil.test/jwks.json" }, c), "unknown_key"],
    ["two segments", `${gh}.${gp}`, "invalid_token"],
    ["four segments", `${good}.${gs}`, "invalid_token"],
    ["one segment", gh, "invalid_token"],
    ["empty", "", "invalid_token"],
    ["padding in signature", `${good}==`, "invalid_token"],
    ["padding in header", `${gh}=.${gp}.${gs}`, "invalid_token"],
    [
      "standard base64 characters",
      `${gh}.${gp}.${gs.replaceAll("-", "+").replaceAll("_", "/")}+/`,
      "invalid_token",
    ],
    ["bad base64 character", `${gh}.${gp}.${gs.slice(0, -2)}*!`, "invalid_token"],
    ["header not JSON", `${b64uEncode(enc.encode("{alg"))}.${gp}.${gs}`, "invalid_token"],
    ["header a JSON array", `${_seg(["RS256"])}.${gp}.${gs}`, "invalid_token"],
    [
      "payload changed, signature kept",
      `${gh}.${_seg({ ...c, sub: "admin" })}.${gs}`,
      "invalid_signature",
    ],
    ["signature truncated", `${gh}.${gp}.${gs.slice(0, 20)}`, "invalid_signature"],
    ["token 20 000 chars", `${gh}.${gp}.${"A".repeat(20_000)}`, "invalid_token"],
    [
      "expired",
      await _rsaSign(f, h, _refreshClaims({ exp: now - 3600, iat: now - 7200, nbf: now - 7200 })),
      "token_expired",
    ],
    [
      "not yet valid",
      await _rsaSign(f, h, _refreshClaims({ nbf: now + 3600 })),
      "token_not_yet_valid",
    ],
    [
      "issued in the future",
      await _rsaSign(f, h, _refreshClaims({ iat: now + 3600 })),
      "token_not_yet_valid",
    ],
    [
      "exp a string",
      await _rsaSign(f, h, _refreshClaims({ exp: String(now + 3600) })),
      "invalid_token",
    ],
    ["no exp", await _rsaSign(f, h, _refreshClaims({ exp: undefined })), "invalid_token"],
    [
      "wrong iss",
      await _rsaSign(f, h, _refreshClaims({ iss: "https://evil.test" })),
      "invalid_issuer",
    ],
    ["no iss", await _rsaSign(f, h, _refreshClaims({ iss: undefined })), "invalid_issuer"],
  ];
}

Deno.test("forged refresh tokens are refused by POST /v2/token with 400 invalid_grant", async () => {
  const f = await _fix();
  // The genuine article works, so each refusal below is for the stated reason
  const genuine = await _rsaSign(
    f,
    { alg: "RS256", typ: REFRESH_TYP, kid: f.kid },
    _refreshClaims(),
  );
  const ok = await _refreshGrant(f, genuine);
  assert.equal(ok.status, 200, await ok.clone().text());
  await ok.body?.cancel();
  for (const [name, token] of await _forgeries(f)) {
    const res = await _refreshGrant(f, token);
    const text = await res.text();
    assert.equal(res.status, 400, `${name}: ${text}`);
    const body = JSON.parse(text);
    // An empty refresh_token is a missing parameter, anything else a bad grant
    const want = token === "" ? "invalid_request" : "invalid_grant";
    assert.equal(body.error, want, `${name}: ${text}`);
    assert.equal(body.error_description, body.message);
  }
  // Wrong audience: an access token's aud (the registry service) is not a refresh audience
  const wrongAud = await _rsaSign(
    f,
    { alg: "RS256", typ: REFRESH_TYP, kid: f.kid },
    _refreshClaims({ aud: SERVICE }),
  );
  await _expectError(await _refreshGrant(f, wrongAud), 400, "invalid_grant");
});

Deno.test("verifyJws over the keyring gives each forged token its stable code", async () => {
  const f = await _fix();
  for (const [name, token, code] of await _forgeries(f)) {
    assert.equal(await _verifyCode(f, token, { typ: REFRESH_TYP }), code, name);
  }
  const access = await _rsaSign(f, { alg: "RS256", typ: "JWT", kid: f.kid }, {
    ..._refreshClaims(),
    aud: "someone-else",
  });
  assert.equal(await _verifyCode(f, access, { audience: SERVICE }), "invalid_audience");
  assert.equal(await _verifyCode(f, access, { audience: "someone-else" }), "valid");
});

Deno.test("keypebble verify refuses forged tokens with exit 1 and the code on stderr", async () => {
  const f = await _fix();
  const dir = await Deno.makeTempDir({ prefix: "kp-attack-" });
  try {
    await Deno.writeTextFile(`${dir}/key.pem`, f.pem);
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `issuer: "${ISSUER}"\nrs256_private_key_path: key.pem\nkid: thumbprint\n`,
    );
    const forgeries = new Map((await _forgeries(f)).map(([n, t, c]) => [n, [t, c]]));
    const picks = [
      "alg none",
      "HS256 with the RSA public key PEM as secret",
      "crit",
      "kid path traversal",
      "expired",
    ];
    for (const name of picks) {
      const [token, code] = forgeries.get(name)!;
      const r = await runKeypebble([
        "verify",
        "--config",
        `${dir}/config.yaml`,
        "--refresh",
        token,
      ]);
      assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.ok(r.stderr.includes(`(${code})`), `${name}: ${r.stderr}`);
      assert.equal(r.stdout, "");
    }
    // A refresh token presented as an access token: the default typ check refuses it
    const refresh = await _rsaSign(
      f,
      { alg: "RS256", typ: REFRESH_TYP, kid: f.kid },
      _refreshClaims(),
    );
    const asAccess = await runKeypebble(["verify", "--config", `${dir}/config.yaml`, refresh]);
    assert.equal(asAccess.code, 1);
    assert.ok(asAccess.stderr.includes("(invalid_token_type)"), asAccess.stderr);
    const asRefresh = await runKeypebble([
      "verify",
      "--config",
      `${dir}/config.yaml`,
      "--refresh",
      refresh,
    ]);
    assert.equal(asRefresh.code, 0, asRefresh.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a refresh token is not an access token, and an access token is not a refresh token", async () => {
  const f = await _fix();
  const res = await f.kp.fetch(
    `/v2/token?service=${SERVICE}&scope=repository:alice/app:pull&offline_token=true&client_id=${CLIENT}`,
    { headers: { authorization: basicAuth("alice", "alice-pw") } },
  );
  assert.equal(res.status, 200);
  const { token, refresh_token: refresh } = await res.json();
  // As an access token: typ kp-refresh+jwt is refused by default, and the audience is no registry's
  assert.equal(await _verifyCode(f, refresh), "invalid_token_type");
  const payload = JSON.parse(new TextDecoder().decode(
    Uint8Array.from(
      atob(refresh.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
      (c) => c.charCodeAt(0),
    ),
  ));
  assert.equal(payload.aud, REFRESH_AUDIENCE);
  assert.equal(
    await _verifyCode(f, refresh, { typ: "JWT", audience: SERVICE }),
    "invalid_token_type",
  );
  // The access token verifies as a registry token (its own typ), but not as a refresh token
  assert.equal(
    await _verifyCode(f, token, { audience: SERVICE, typ: "kp-registry+jwt" }),
    "valid",
  );
  assert.equal(await _verifyCode(f, token, { typ: REFRESH_TYP }), "invalid_token_type");
  await _expectError(await _refreshGrant(f, token), 400, "invalid_grant");
  // And the genuine refresh token redeems
  const redeemed = await _refreshGrant(f, refresh);
  assert.equal(redeemed.status, 200);
  await redeemed.body?.cancel();
});

Deno.test("POST /auth cannot choose iss, exp, iat, nbf or jti", async () => {
  const f = await _fix();
  const before = _now();
  const res = await f.kp.fetch("/auth", {
    method: "POST",
    body: JSON.stringify({
      iss: "https://evil.test",
      exp: 4_102_444_800,
      iat: 1,
      nbf: 1,
      jti: "chosen",
      sub: "edge-1",
    }),
  });
  assert.equal(res.status, 200);
  const { token, claims } = await res.json();
  const { payload } = await verifyJws(token, f.kp.runtime.keyring.keys, {
    now: _now(),
    issuer: ISSUER,
  });
  for (const c of [claims, payload]) {
    assert.equal(c.iss, ISSUER);
    assert.notEqual(c.jti, "chosen");
    assert.ok(c.iat >= before - 1 && c.iat <= _now() + 1, `iat ${c.iat}`);
    assert.equal(c.nbf, c.iat);
    assert.equal(c.exp, c.iat + 3600);
    assert.equal(c.sub, "edge-1");
  }
  // ttl_seconds is clamped, never signed
  const long = await f.kp.fetch("/auth?ttl_seconds=999999999", { method: "POST", body: "{}" });
  const l = await long.json();
  assert.equal(l.claims.exp - l.claims.iat, f.kp.runtime.config.maxTtlSeconds);
  assert.ok(!("ttl_seconds" in l.claims));
});

Deno.test("GET /v2/token refuses hostile scopes and repository names with 400 invalid_scope", async () => {
  const f = await _fix();
  const auth = { authorization: basicAuth("alice", "alice-pw") };
  const hostile = [
    "repository:alice/../admin:pull",
    "repository:../alice/app:pull",
    "repository:alice/..:pull",
    "repository:alice/app\n:pull",
    "repository:alice/app\r\nX-Evil: 1:pull",
    "repository:alice/a\0pp:pull",
    "repository:alice/app:pu\0ll",
    `repository:alice/${"a".repeat(10_000)}:pull`,
    `repository:alice/app:${"p".repeat(10_000)}`,
    `${"r".repeat(10_000)}:alice/app:pull`,
    "repository:alice/app",
    "repository::pull",
    "repository:alice/app:",
    "repository:alice/APP:pull",
    "repository:alice//app:pull",
    "repository:/alice/app:pull",
    "repository:alice/app\u00e9:pull",
    "repository:alice/app:pull;rm -rf",
  ];
  for (const scope of hostile) {
    const res = await f.kp.fetch(
      `/v2/token?service=${SERVICE}&scope=${encodeURIComponent(scope)}`,
      {
        headers: auth,
      },
    );
    await _expectError(res, 400, "invalid_scope");
    // The same through the OAuth2 form
    const post = await f.kp.fetch("/v2/token", {
      method: "POST",
      headers: FORM,
      body: new URLSearchParams({
        grant_type: "password",
        username: "alice",
        password: "alice-pw",
        client_id: CLIENT,
        service: SERVICE,
        scope,
      }).toString(),
    });
    const body = await post.json();
    // A scope holding a space splits into pieces; each piece is still refused
    assert.equal(
      post.status,
      400,
      `${JSON.stringify(scope.slice(0, 40))}: ${JSON.stringify(body)}`,
    );
    assert.equal(body.error, "invalid_scope");
  }
  // Scopes in X-Scopes, where Headers allow the value at all
  for (const scope of ["repository:alice/../x:pull", `repository:${"b".repeat(5000)}:pull`]) {
    const res = await f.kp.fetch(`/v2/token?service=${SERVICE}`, {
      headers: { ...auth, "x-scopes": scope },
    });
    await _expectError(res, 400, "invalid_scope");
  }
});

Deno.test("X-Authenticated-User from a trusted proxy with commas, colons or controls is 401", async () => {
  const f = await _fix();
  for (const name of ["alice,admin", "alice, admin", "alice:x", "ali\tce", "a".repeat(200), ""]) {
    const res = await f.kp.fetch(`/v2/token?service=${SERVICE}`, {
      headers: { "x-authenticated-user": name },
    }, "10.0.0.1");
    await _expectError(res, 401, "unauthorized");
    assert.ok(res.headers.get("www-authenticate")?.startsWith("Basic "));
  }
  // Two headers are joined with ", " by Headers: refused as well
  const h = new Headers();
  h.append("x-authenticated-user", "alice");
  h.append("x-authenticated-user", "admin");
  await _expectError(
    await f.kp.fetch(`/v2/token?service=${SERVICE}`, { headers: h }, "10.0.0.1"),
    401,
    "unauthorized",
  );
  // Headers refuse CR, LF and NUL outright: nothing reaches the handler
  for (const bad of ["alice\r\nadmin", "alice\nadmin", "alice\0"]) {
    assert.throws(() => new Headers({ "x-authenticated-user": bad }), TypeError);
  }
  // The genuine article works from the proxy, and the header is ignored from anyone else
  const ok = await f.kp.fetch(`/v2/token?service=${SERVICE}`, {
    headers: { "x-authenticated-user": "alice" },
  }, "10.0.0.1");
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  const ignored = await f.kp.fetch(`/v2/token?service=${SERVICE}`, {
    headers: { "x-authenticated-user": "alice" },
  }, "10.0.0.2");
  await _expectError(ignored, 401, "unauthorized");
});

/** Send raw bytes on a fresh connection and return the status line (or "closed"). */
async function _raw(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(enc.encode(request));
    const buf = new Uint8Array(4096);
    let text = "";
    const deadline = Date.now() + 5000;
    while (!text.includes("\r\n\r\n") && Date.now() < deadline) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text === "" ? "closed" : text;
  } finally {
    try {
      conn.close();
    } catch {
      // already closed by the server
    }
  }
}

Deno.test("raw CR, LF and folding in X-Authenticated-User on a real socket never authenticate", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp-attack-raw-" });
  const server = await (async () => {
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `issuer: "${ISSUER}"
audience: "${SERVICE}"
hs256_secret: "${"q".repeat(40)}"
policy_path: policy.yaml
trusted_proxies: ["127.0.0.1"]
`,
    );
    await Deno.writeTextFile(
      `${dir}/policy.yaml`,
      'users:\n  alice:\n    repos: ["alice/*"]\n    actions: ["pull"]\n',
    );
    return await startServer(`${dir}/config.yaml`);
  })();
  try {
    const req = (value: string) =>
      `GET /v2/token?service=${SERVICE} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `X-Authenticated-User: ${value}\r\nConnection: close\r\n\r\n`;
    const good = await _raw(server.port, req("alice"));
    assert.match(good, /^HTTP\/1\.1 200 /, good);
    for (
      const value of [
        "alice\radmin", // bare CR inside the value
        "alice\r\n admin", // obsolete line folding (RFC 9112 §5.2)
        "alice\r\n\tadmin",
        "alice,admin",
        "alice\0admin",
        "alice\x7fadmin",
      ]
    ) {
      const status = await _raw(server.port, req(value));
      const line = status.split("\r\n")[0];
      assert.ok(
        status === "closed" || /^HTTP\/1\.1 (400|401) /.test(line),
        `${JSON.stringify(value)}: ${line}`,
      );
      if (line.includes(" 401 ")) assert.ok(status.includes("unauthorized"));
    }
    // CRLF that ends the header: the next line is a separate header, so the subject is "alice"
    // and "X-Evil" is an unrelated header; it must not become part of the user name
    const split = await _raw(server.port, req("alice\r\nX-Evil: admin"));
    assert.match(split.split("\r\n")[0], /^HTTP\/1\.1 200 /);
    // The server is still healthy
    const h = await fetch(`${server.url}/healthz`);
    assert.equal(h.status, 200);
    await h.body?.cancel();
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("finding 10: dot segments and encoded dots never reach /auth on a real socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp-attack-path-" });
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `issuer: "${ISSUER}"\nhs256_secret: "${"q".repeat(40)}"\n`,
  );
  const server = await startServer(`${dir}/config.yaml`);
  try {
    const req = (path: string) =>
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: 2\r\nConnection: close\r\n\r\n{}`;
    assert.match(await _raw(server.port, req("/auth")), /^HTTP\/1\.1 200 /);
    for (
      const path of [
        "/./auth",
        "/v2/%2e%2e/auth",
        "/v2/../auth",
        "/v2/%2E%2E/auth",
        "//auth",
        "/auth/",
        "/%61uth",
        "/api/v1/namespaces/ci/serviceaccounts/a%2Fb/token",
      ]
    ) {
      const answer = await _raw(server.port, req(path));
      assert.match(answer.split("\r\n")[0], /^HTTP\/1\.1 404 /, path);
      assert.ok(!answer.includes('"token"'), path);
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the fuzzed profile rules: no body sent to /auth yields a token of another kind", async () => {
  const f = await _fix();
  const foreign = [
    { access: [{ type: "repository", name: "alice/app", actions: ["push"] }] },
    { "kubernetes.io": { namespace: "kube-system" } },
    { command: "rm -rf /" },
    { aud: SERVICE },
    { aud: [SERVICE, "x"] },
    { sub: "system:serviceaccount:kube-system:default" },
    { typ: "at+jwt" },
  ];
  for (const body of foreign) {
    const res = await f.kp.fetch("/auth", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.ok(res.status === 400 || res.status === 403, JSON.stringify(body));
    await res.body?.cancel();
  }
});
