/**
 * The supervisor with one worker over a fake platform (files in memory, a server that only
 * records what it was given, signals delivered by the test): reloads never overlap and none is
 * lost, the `watch` poller's snapshot is the one the reload read, a certificate change is swapped
 * into the listener, and SIGTERM drains before the process code is returned.
 */

import assert from "node:assert/strict";
import { createLogger } from "../log/mod.ts";
import type { Platform, ServeOptions, ServerHandle, ServeTls } from "../platform/platform.ts";
import { FileMissingError } from "../runtime/mod.ts";
import { runSupervisor } from "./supervisor.ts";

const CONFIG = "/kp/config.yaml";
const SECRET = "0123456789abcdef0123456789abcdef";

interface Fake {
  readonly platform: Platform;
  readonly files: Map<string, string>;
  readonly mtimes: Map<string, number>;
  readonly lines: Record<string, unknown>[];
  signal(name: "SIGHUP" | "SIGTERM"): void;
  /** Hold config reads until released (the next `n` reads). */
  hold(): () => void;
  reads: number;
  served: { shutdown: number; tls: ServeTls[] };
}

function fake(configText: string): Fake {
  const files = new Map([[CONFIG, configText]]);
  const mtimes = new Map([[CONFIG, 1]]);
  const handlers = new Map<string, () => void>();
  let gate: Promise<void> | undefined;
  const served = { shutdown: 0, tls: [] as ServeTls[] };
  const f: Fake = {
    files,
    mtimes,
    lines: [],
    reads: 0,
    served,
    signal: (n) => handlers.get(n)?.(),
    hold() {
      let open: () => void = () => {};
      gate = new Promise((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
    platform: {
      name: "fake 1.0",
      env: () => undefined,
      async readTextFile(path) {
        if (path === CONFIG) {
          f.reads++;
          if (gate !== undefined) await gate;
        }
        const t = files.get(path);
        if (t === undefined) throw new FileMissingError(path);
        return t;
      },
      writePrivateFile: () => Promise.reject(new Error("no writes here")),
      mtime: (path) => Promise.resolve(mtimes.get(path)),
      stdout: () => {},
      stderr: () => {},
      readStdin: () => Promise.resolve(""),
      serve(o: ServeOptions): Promise<ServerHandle> {
        let done: () => void = () => {};
        const finished = new Promise<void>((r) => (done = r));
        return Promise.resolve({
          port: 1234,
          protocols: o.tls === undefined ? [] : ["http/1.1"],
          finished,
          shutdown() {
            served.shutdown++;
            done();
            return Promise.resolve();
          },
          ...(o.tls === undefined ? {} : {
            updateTls(t: ServeTls) {
              served.tls.push(t);
              return Promise.resolve();
            },
          }),
        });
      },
      onSignal: (n, fn) => void handlers.set(n, fn),
      cwd: () => "/kp",
      cpuCount: () => 1,
      canReusePort: () => false,
      startWorker: () => {
        throw new Error("one worker: no thread");
      },
      parentLink: () => undefined,
    },
  };
  return f;
}

/**
 * Run the supervisor (one worker) over `f`, its log lines into `f.lines`, until it has started;
 * `done` is its exit code.
 */
async function supervise(f: Fake): Promise<{ done: Promise<number> }> {
  const log = createLogger({
    level: "debug",
    write: (l) => void f.lines.push(JSON.parse(l)),
    now: () => new Date(0),
  });
  const done = runSupervisor(f.platform, {
    configPath: CONFIG,
    overrides: {},
    workers: 1,
    port: 0,
    timeouts: { requestSeconds: 5 },
    logger: log,
    bootLog: log,
  });
  await until(() => f.lines.some((l) => l.event === "start"), "start");
  return { done };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out: ${what}`);
}

const reloads = (f: Fake) => f.lines.filter((l) => l.event === "reload");

Deno.test("supervisor: a SIGHUP during a reload runs once more after it, never alongside", async () => {
  const f = fake(`issuer: one\nhs256_secret: "${SECRET}"\n`);
  const { done } = await supervise(f);
  const release = f.hold();
  const readsBefore = f.reads;
  f.signal("SIGHUP"); // reads the config, held
  await until(() => f.reads === readsBefore + 1, "first reload reading");
  f.files.set(CONFIG, `issuer: two\nhs256_secret: "${SECRET}"\n`);
  f.signal("SIGHUP"); // during the first: must wait, then run
  f.signal("SIGHUP"); // coalesced with the one above
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(f.reads, readsBefore + 1, "no second read while the first reload runs");
  release();
  await until(() => reloads(f).length === 2, "two reloads");
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(reloads(f).length, 2, "the third signal joined the second reload");
  assert.deepEqual(reloads(f).map((l) => l.generation), [2, 3]);
  f.signal("SIGTERM");
  assert.equal(await done, 0);
  assert.equal(f.served.shutdown, 1);
  assert.ok(f.lines.at(-1)?.event === "stopped");
});

Deno.test("supervisor: watch reloads on a change, and a change made while a reload reads is not lost", async () => {
  const f = fake(`issuer: one\nhs256_secret: "${SECRET}"\nwatch: true\n`);
  const { done } = await supervise(f);
  // A change: the poller (every 2 s) reloads; hold that reload's read.
  const release = f.hold();
  f.mtimes.set(CONFIG, 2);
  await until(() => f.reads >= 2, "the watch reload reading");
  // Written while the reload reads: newer than the snapshot it took.
  f.files.set(CONFIG, `issuer: three\nhs256_secret: "${SECRET}"\nwatch: true\n`);
  f.mtimes.set(CONFIG, 3);
  release();
  await until(() => reloads(f).length === 2, "a second reload for the later change");
  assert.deepEqual(reloads(f).map((l) => l.trigger), ["file_change", "file_change"]);
  f.signal("SIGTERM");
  assert.equal(await done, 0);
});

Deno.test("supervisor: a new certificate is swapped into the listener; a mismatched one is not", async () => {
  const { makeCert } = await import("../../tests/helpers/certs.ts");
  const [a, b] = [
    await makeCert({ subject: [["CN", "one"]] }),
    await makeCert({ subject: [["CN", "two"]] }),
  ];
  const f = fake(
    `issuer: one\nhs256_secret: "${SECRET}"\nservice: { tls: { cert_path: t.pem, key_path: t.key } }\n`,
  );
  f.files.set("/kp/t.pem", a.certPem);
  f.files.set("/kp/t.key", a.keyPem);
  const { done } = await supervise(f);
  assert.equal(f.lines.find((l) => l.event === "tls_certificate")?.subject, "CN=one");
  f.files.set("/kp/t.pem", b.certPem);
  f.files.set("/kp/t.key", b.keyPem);
  f.signal("SIGHUP");
  await until(() => reloads(f).length === 1, "reload");
  assert.equal(reloads(f)[0].outcome, "success");
  assert.equal(f.served.tls.length, 1);
  assert.equal(f.served.tls[0].cert, b.certPem);
  assert.equal(f.lines.filter((l) => l.event === "tls_certificate").at(-1)?.subject, "CN=two");
  f.files.set("/kp/t.key", a.keyPem); // not two's key
  f.signal("SIGHUP");
  await until(() => reloads(f).length === 2, "second reload");
  assert.equal(reloads(f)[1].outcome, "failure");
  assert.match(String(reloads(f)[1].message), /service\.tls\.key_path: does not go with/);
  assert.equal(f.served.tls.length, 1, "the listener keeps serving two's pair");
  f.signal("SIGTERM");
  assert.equal(await done, 0);
});
