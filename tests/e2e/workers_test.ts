/**
 * `serve --workers 2` for real: two worker threads behind one port. Many fresh connections are
 * spread by the kernel over both, so the tests use fresh connections (`connection: close`) and
 * check what the whole process does: limits never exceed the configured total, a SIGHUP reaches
 * every worker, /metrics on any worker counts every request, SIGTERM lets every request in flight
 * finish. Runs from source (with --unstable-net) or the binary in KEYPEBBLE_BIN.
 */

import assert from "node:assert/strict";
import { freePort, REPO_ROOT } from "../helpers/process.ts";
import {
  auth,
  BIN,
  claims,
  config,
  fixture,
  fresh,
  readAll,
  start,
  stop,
} from "./workers_helpers.ts";

Deno.test({
  name: "two workers: the per-address limit holds in total and both workers serve",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await fixture(
    "rate_limit: { per_address: { requests: 10, window_seconds: 600 }, per_principal: false }\n",
  );
  const s = await start(dir, ["--workers", "2"]);
  try {
    let ok = 0;
    let limited = 0;
    const shown = new Set<string | null>();
    for (let i = 0; i < 40; i++) {
      const r = await auth(s.url);
      await r.body?.cancel();
      if (r.status === 200) ok++;
      else if (r.status === 429) {
        limited++;
        shown.add(r.headers.get("ratelimit-limit"));
      }
    }
    // Clients are told the configured limit (10), not a worker's share (5).
    assert.deepEqual([...shown], ["10"]);
    // Each worker allows its share (10 / 2): never more than 10 in total, and exactly 10 only
    // when both workers took connections (all 40 on one worker: 2^-39).
    assert.equal(ok, 10, `${ok} allowed, ${limited} limited`);
    assert.equal(limited, 30);
    const start = JSON.parse(s.lines.find((l) => l.includes('"event":"start"'))!);
    assert.equal(start.workers, 2);
  } finally {
    assert.equal(await stop(s), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "two workers: /metrics on any worker counts the requests of every worker",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await fixture("rate_limit: { per_address: false, per_principal: false }\n");
  const s = await start(dir, ["--workers", "2"]);
  try {
    for (let i = 0; i < 30; i++) await (await auth(s.url)).body?.cancel();
    for (let scrape = 0; scrape < 6; scrape++) {
      const text = await (await fresh(`${s.url}/metrics`)).text();
      const m = /keypebble_http_requests_total\{route="\/auth",method="POST",code="200"\} (\d+)/
        .exec(text);
      assert.equal(m?.[1], "30", text);
      const issued = /keypebble_tokens_issued_total\{kind="auth",alg="HS256"\} (\d+)/.exec(text);
      assert.equal(issued?.[1], "30");
      // one family header per family: the merge did not repeat any
      const types = text.split("\n").filter((l) => l.startsWith("# TYPE "));
      assert.equal(new Set(types).size, types.length);
      const open = await (await fresh(`${s.url}/metrics`, {
        headers: { accept: "application/openmetrics-text; version=1.0.0" },
      })).text();
      assert.ok(open.endsWith("# EOF\n"));
      assert.equal(open.split("# EOF").length, 2, "exactly one # EOF");
      assert.match(
        open,
        /keypebble_http_requests_total\{route="\/auth",method="POST",code="200"\} 30/,
      );
    }
  } finally {
    assert.equal(await stop(s), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "two workers: SIGHUP reaches both workers before the reload line, a bad reload keeps both",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await fixture("rate_limit: { per_address: false, per_principal: false }\n");
  const s = await start(dir, ["--workers", "2"]);
  const reloads = () => s.lines.filter((l) => l.includes('"event":"reload"'));
  const hup = async () => {
    const before = reloads().length;
    s.child.kill("SIGHUP");
    for (let i = 0; i < 200 && reloads().length === before; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(reloads().length, before + 1, "one reload line for the whole process");
    return JSON.parse(reloads().at(-1)!);
  };
  try {
    await Deno.writeTextFile(`${dir}/config.yaml`, config("https://two.test", ""));
    const line = await hup();
    assert.equal(line.outcome, "success");
    assert.equal(line.generation, 2);
    for (let i = 0; i < 20; i++) {
      const body = await (await auth(s.url)).json();
      assert.equal(claims(body.token).iss, "https://two.test");
      const h = await (await fresh(`${s.url}/healthz`)).json();
      assert.equal(h.generation, 2);
    }
    await Deno.writeTextFile(`${dir}/config.yaml`, "issuer: [not: valid\n");
    const bad = await hup();
    assert.equal(bad.outcome, "failure");
    for (let i = 0; i < 20; i++) {
      const body = await (await auth(s.url)).json();
      assert.equal(claims(body.token).iss, "https://two.test");
      const h = await (await fresh(`${s.url}/healthz`)).json();
      assert.equal(h.last_reload.outcome, "failure");
    }
  } finally {
    assert.equal(await stop(s), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "two workers: SIGTERM lets the requests in flight on every worker finish, then exits 0",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await fixture("rate_limit: { per_address: false, per_principal: false }\n");
  const s = await start(dir, ["--workers", "2"]);
  try {
    const body = '{"sub":"drain"}';
    const head = `POST /auth HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
      `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
    // Eight half-sent requests on eight connections: both workers hold some in flight.
    const conns = await Promise.all(
      Array.from({ length: 8 }, () => Deno.connect({ hostname: "127.0.0.1", port: s.port })),
    );
    const enc = new TextEncoder();
    for (const c of conns) await c.write(enc.encode(head + body.slice(0, 5)));
    await new Promise((r) => setTimeout(r, 300));
    s.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    for (const c of conns) await c.write(enc.encode(body.slice(5)));
    for (const c of conns) {
      const text = await readAll(c);
      assert.match(text, /^HTTP\/1\.1 200/, text);
    }
    assert.equal(await s.exited, 0);
    assert.ok(s.lines.some((l) => l.includes('"event":"stopped"')));
  } finally {
    await stop(s);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "serve --workers 2 on Deno without --unstable-net exits 2 and says why",
  ignore: BIN !== undefined, // the flag is Deno's; the Bun binary always shares the port
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await fixture();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-net",
        `--allow-read=${REPO_ROOT},${dir}`,
        "--allow-env",
        `${REPO_ROOT}src/main.ts`,
        "serve",
        "--config",
        `${dir}/config.yaml`,
        "--port",
        String(freePort()),
        "--workers",
        "2",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    assert.match(new TextDecoder().decode(out.stderr), /--unstable-net/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
