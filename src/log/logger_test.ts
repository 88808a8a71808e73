import assert from "node:assert/strict";
import { createLogger, type LogLevel, REDACTED } from "./logger.ts";

const FIXED = new Date("2025-01-02T03:04:05.678Z");

function capture(level: LogLevel): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const log = createLogger({ level, write: (l) => lines.push(l), now: () => FIXED });
  return { lines, log };
}

Deno.test("logger writes one JSON line with time, level and event first", () => {
  const { lines, log } = capture("debug");
  log.info("request", { method: "POST", route: "/auth", status: 200, duration_ms: 1.5 });
  assert.equal(lines.length, 1);
  assert.equal(
    lines[0],
    '{"time":"2025-01-02T03:04:05.678Z","level":"info","event":"request",' +
      '"method":"POST","route":"/auth","status":200,"duration_ms":1.5}',
  );
});

Deno.test("logger keeps one line per call even with newlines in values", () => {
  const { lines, log } = capture("debug");
  log.warn("odd", { msg: "a\nb\r\nc\u2028d" });
  log.error("no_fields");
  assert.equal(lines.length, 2);
  for (const l of lines) assert.ok(!l.includes("\n") && !l.includes("\r"));
  assert.equal(JSON.parse(lines[0]!).msg, "a\nb\r\nc\u2028d");
  assert.deepEqual(JSON.parse(lines[1]!), {
    time: FIXED.toISOString(),
    level: "error",
    event: "no_fields",
  });
});

Deno.test("logger drops lines below its level", () => {
  const { lines, log } = capture("warn");
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(lines.map((l) => JSON.parse(l).level), ["warn", "error"]);
  assert.equal(log.level, "warn");
});

Deno.test("logger redacts sensitive keys at any depth", () => {
  const { lines, log } = capture("info");
  log.info("auth", {
    authorization: "Basic YWxpY2U6c2VjcmV0",
    Password: "hunter2",
    client_secret: "s",
    access_token: "eyJ...",
    api_key: "k",
    Cookie: "a=b",
    nested: { headers: { "Set-Cookie": "x", accept: "*/*" }, list: [{ refresh_token: "r" }] },
  });
  const rec = JSON.parse(lines[0]!);
  for (
    const k of ["authorization", "Password", "client_secret", "access_token", "api_key", "Cookie"]
  ) {
    assert.equal(rec[k], REDACTED, k);
  }
  assert.deepEqual(rec.nested, {
    headers: { "Set-Cookie": REDACTED, accept: "*/*" },
    list: [{ refresh_token: REDACTED }],
  });
  for (const secret of ["YWxpY2U6c2VjcmV0", "hunter2", "eyJ"]) {
    assert.ok(!lines[0]!.includes(secret));
  }
});

Deno.test("logger keeps the exact safe keys kid, key_id, jti, token_kind, token_type", () => {
  const { lines, log } = capture("info");
  log.info("issued", {
    kid: "abc",
    key_id: "def",
    jti: "j1",
    token_kind: "registry",
    token_type: "Bearer",
    token_kind_extra: "x",
  });
  const rec = JSON.parse(lines[0]!);
  assert.equal(rec.kid, "abc");
  assert.equal(rec.key_id, "def");
  assert.equal(rec.jti, "j1");
  assert.equal(rec.token_kind, "registry");
  assert.equal(rec.token_type, "Bearer");
  assert.equal(rec.token_kind_extra, REDACTED);
});

Deno.test("logger does not let fields overwrite time, level or event", () => {
  const { lines, log } = capture("info");
  log.info("real", { event: "fake", level: "error", time: "then" });
  const rec = JSON.parse(lines[0]!);
  assert.equal(rec.event, "real");
  assert.equal(rec.level, "info");
  assert.equal(rec.time, FIXED.toISOString());
  assert.equal(rec.field_event, "fake");
  assert.equal(rec.field_level, "error");
});

Deno.test("logger serialises errors, bigints and cycles without throwing", () => {
  const { lines, log } = capture("info");
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const err = Object.assign(new Error("Bad thing"), { code: "invalid_key" });
  log.info("mixed", { err, big: 10n, cyclic, skip: undefined, inf: Infinity });
  const rec = JSON.parse(lines[0]!);
  assert.deepEqual(rec.err, { name: "Error", message: "Bad thing", code: "invalid_key" });
  assert.equal(rec.big, "10");
  assert.deepEqual(rec.cyclic, { a: 1, self: "[circular]" });
  assert.ok(!("skip" in rec));
  assert.equal(rec.inf, "Infinity");
});

Deno.test("logger swallows a throwing writer", () => {
  const log = createLogger({
    level: "info",
    write: () => {
      throw new Error("disk full");
    },
    now: () => FIXED,
  });
  log.info("x");
});

Deno.test("logger writes plain arrays and objects as they are, cuts what is nested too deep, and follows the clock", () => {
  const lines: string[] = [];
  let t = FIXED.getTime();
  const log = createLogger({ level: "info", write: (l) => lines.push(l), now: () => new Date(t) });
  const access = [{ type: "repository", name: "a/b", actions: ["pull", "push"] }];
  log.audit({ aud: ["x", "y"], access, empty: {} });
  assert.equal(
    lines[0],
    '{"time":"2025-01-02T03:04:05.678Z","level":"info","event":"audit","aud":["x","y"],' +
      '"access":[{"type":"repository","name":"a/b","actions":["pull","push"]}],"empty":{}}',
  );
  log.info("deep", { d: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } });
  assert.match(lines[1], /"\[truncated\]"/);
  t += 1;
  log.info("later");
  assert.equal(JSON.parse(lines[2]).time, "2025-01-02T03:04:05.679Z");
});
