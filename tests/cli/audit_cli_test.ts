/**
 * The audit trail of the CLI (issue 20), run as real processes on a real SQLite store: every
 * change a command makes and every token it issues is an audit event of the local user (`USER`),
 * on standard error as a JSON line and in the store; the server's events reach the store before
 * it exits; `keypebble audit` reads them (JSON, a table, filters, pages); no event holds a secret.
 */

import assert from "node:assert/strict";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { storeFixture } from "../helpers/workers_store.ts";

const ENV = { USER: "ops-alice" };

type Ev = Record<string, unknown>;

/** The audit lines a command wrote on standard error. */
function auditLines(stderr: string): Ev[] {
  return stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Ev)
    .filter((l) => l.event === "audit");
}

function jtiOf(token: string): string {
  const p = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(p + "=".repeat((4 - p.length % 4) % 4))).jti;
}

Deno.test({
  name:
    "CLI: changes and tokens are audit events of the local user (stderr and store); the server's are stored by its exit; keypebble audit reads them",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await storeFixture('store: {url: "sqlite:kp.db"}', "accounts: {}\n");
    const config = `${dir}/kp.yaml`;
    const kp = async (args: string[], ok = true) => {
      const r = await runKeypebble([...args, "--config", config], {
        env: ENV,
      });
      if (ok) assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    const secrets: string[] = [];
    const expectLine = (r: { stderr: string }, action: string): Ev => {
      const lines = auditLines(r.stderr).filter((l) => l.action === action);
      assert.equal(lines.length, 1, `${action} on stderr: ${r.stderr}`);
      assert.equal(lines[0].actor, "ops-alice");
      assert.equal(lines[0].actor_kind, "cli");
      assert.equal(lines[0].client, undefined, "a CLI event has no client address");
      return lines[0];
    };
    expectLine(await kp(["store", "init"]), "store.initialized");

    // The server: an anonymous token on loopback; its event is in the store once it has exited.
    const s = await startServer(config, {
      args: ["--workers", "1"],
      cwd: dir,
      env: { KEYPEBBLE_ADMIN_PASSWORD: "the-first-password-1" },
    });
    const served = await (await fetch(`${s.url}/auth`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: "edge-7" }),
    })).json();
    secrets.push(served.token);
    assert.equal(await s.stop(), 0);
    const serverLine = s.lines.map((l) => l.startsWith("{") ? JSON.parse(l) : {}).find((l) =>
      l.event === "audit" && l.target === "edge-7"
    );
    assert.ok(serverLine !== undefined, "the server's log stream has the event");

    expectLine(await kp(["org", "create", "acme"]), "org.created");
    const created = await kp([
      "key",
      "create",
      "--org",
      "acme",
      "--label",
      "ci",
      "--scope",
      "read",
      "--json",
    ]);
    const key = JSON.parse(created.stdout);
    secrets.push(key.key);
    assert.equal(expectLine(created, "key.created").target, key.id);
    const rolled = await kp(["key", "roll", key.id, "--grace", "0", "--json"]);
    const successor = JSON.parse(rolled.stdout);
    secrets.push(successor.key);
    assert.equal(expectLine(rolled, "key.rolled").successor, successor.id);
    expectLine(await kp(["key", "revoke", successor.id]), "key.revoked");
    expectLine(await kp(["block", "--address", "192.0.2.9", "--reason", "scan"]), "block.created");
    expectLine(await kp(["unblock", "--address", "192.0.2.9"]), "block.removed");
    for (const [sub, action] of [["suspend", "account.suspended"], ["resume", "account.resumed"]]) {
      expectLine(await kp(["account", sub, "--email", "admin@localhost"]), action);
    }
    const reset = await kp(["account", "reset-password", "--email", "admin@localhost", "--json"]);
    secrets.push(JSON.parse(reset.stdout).password, "the-first-password-1");
    expectLine(reset, "account.password_reset");
    const issued = await kp(["issue", "--claims", '{"sub":"cli-1"}']);
    const token = issued.stdout.trim();
    secrets.push(token);
    const tl = expectLine(issued, "token.issued");
    assert.equal(tl.kind, "auth");
    assert.equal(tl.target, "cli-1");
    assert.equal(tl.jti, jtiOf(token));
    const cmd = await kp(["command", "--target", "vault", "--command", "ls", "--json"]);
    const cmdToken = JSON.parse(cmd.stdout);
    secrets.push(cmdToken.token);
    assert.equal(expectLine(cmd, "token.issued").jti, cmdToken.jti);

    // Everything, from the store, newest first.
    const all = await kp(["audit", "--limit", "1000", "--json"]);
    const { events, next_cursor } = JSON.parse(all.stdout);
    assert.equal(next_cursor, null);
    const actions = events.map((e: Ev) => e.action).reverse();
    for (
      const a of [
        "store.initialized",
        "token.issued",
        "org.created",
        "key.created",
        "key.rolled",
        "key.revoked",
        "block.created",
        "block.removed",
        "account.suspended",
        "account.resumed",
        "account.password_reset",
      ]
    ) assert.ok(actions.includes(a), `${a} is stored: ${actions}`);
    const fromServer = events.find((e: Ev) => e.target === "edge-7");
    assert.equal(fromServer.actor, "anonymous");
    assert.equal(fromServer.client, "127.0.0.1");
    assert.equal(fromServer.jti, jtiOf(served.token));
    const cliIssued = events.filter((e: Ev) =>
      e.action === "token.issued" && e.actor_kind === "cli"
    );
    assert.deepEqual(cliIssued.map((e: Ev) => e.jti).sort(), [jtiOf(token), cmdToken.jti].sort());
    assert.ok(
      events.filter((e: Ev) => e.actor_kind === "cli").every((e: Ev) => e.actor === "ops-alice"),
    );
    const files = await Promise.all(
      ["kp.db", "kp.db-wal"].map((f) => Deno.readTextFile(`${dir}/${f}`).catch(() => "")),
    );
    const everything = all.stdout + files.join("");
    for (const secret of secrets) assert.ok(!everything.includes(secret), "no secret stored");

    // Filters and a table for people.
    const keys = await kp(["audit", "--action", "key.*"]);
    assert.match(keys.stdout, /^TIME\s+ACTION\s+OUTCOME\s+ACTOR\s+TARGET/);
    assert.match(keys.stdout, /key\.created\s+success\s+cli:ops-alice\s+/);
    assert.ok(!/org\.created/.test(keys.stdout));
    const page1 = await kp(["audit", "--limit", "2"]);
    const cursor = /more: --cursor (\S+)/.exec(page1.stdout)?.[1];
    assert.ok(cursor !== undefined, page1.stdout);
    const page2 = JSON.parse(
      (await kp(["audit", "--limit", "2", "--cursor", cursor, "--json"])).stdout,
    );
    assert.deepEqual(
      page2.events.map((e: Ev) => e.id),
      events.slice(2, 4).map((e: Ev) => e.id),
    );
    const byTarget = JSON.parse((await kp(["audit", "--target", "cli-1", "--json"])).stdout);
    assert.equal(byTarget.events.length, 1);
    const none = await kp(["audit", "--actor", "nobody"]);
    assert.equal(none.stdout, "no events match\n");
    const bad = await kp(["audit", "--since", "yesterday"], false);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since must be/);
    const stray = await kp(["audit", "key.created"], false);
    assert.equal(stray.code, 2);
    // Reading is not an event.
    assert.deepEqual(auditLines(all.stderr), []);
  },
});

Deno.test({
  name:
    "CLI: issue with a store it cannot write prints no token (exit 2); without a store the event is on stderr only",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await storeFixture('store: {url: "sqlite:/nonexistent-kp-dir/kp.db"}');
    const r = await runKeypebble(
      ["issue", "--config", `${dir}/kp.yaml`, "--claims", '{"sub":"x"}'],
      { env: ENV },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "", "no token leaves without its record");
    assert.match(r.stderr, /nonexistent-kp-dir/);

    const bare = await storeFixture("");
    const ok = await runKeypebble([
      "issue",
      "--config",
      `${bare}/kp.yaml`,
      "--claims",
      '{"sub":"y"}',
    ], {
      env: { LOGNAME: "bob" },
    });
    assert.equal(ok.code, 0, ok.stderr);
    const [line] = auditLines(ok.stderr);
    assert.equal(line.actor, "bob", "LOGNAME when USER is not set");
    assert.equal(line.jti, jtiOf(ok.stdout.trim()));
    assert.ok(!ok.stderr.includes(ok.stdout.trim()), "never the token");
  },
});

Deno.test({
  name:
    "CLI: store export, import and restore are events, and move the audit trail without rewinding it",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const a = await storeFixture('store: {url: "sqlite:kp.db"}');
    const b = await storeFixture('store: {url: "sqlite:kp.db"}');
    await Deno.copyFile(`${a}/keypebble.pepper`, `${b}/keypebble.pepper`).catch(() => {});
    const run = async (dir: string, args: string[]) => {
      const r = await runKeypebble(
        [...args, "--config", `${dir}/kp.yaml`],
        { env: ENV },
      );
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    await run(a, ["org", "create", "acme"]);
    await Deno.copyFile(`${a}/keypebble.pepper`, `${b}/keypebble.pepper`);
    await run(b, ["store", "init"]);
    const file = `${a}/export.jsonl`;
    await run(a, ["store", "export", "--out", file]);
    await run(b, ["store", "import", "--from", file]);
    const actions = async (dir: string) =>
      JSON.parse((await run(dir, ["audit", "--json"])).stdout).events.map((e: Ev) => e.action);
    assert.deepEqual(await actions(a), ["store.exported", "org.created"]);
    // b, newest first: the import, its own init, then a's event (older; a's export was taken
    // before its own store.exported event was written).
    assert.deepEqual(await actions(b), ["store.imported", "store.initialized", "org.created"]);
    // A restore of the same export keeps what b recorded since.
    await run(b, ["store", "restore", "--from", file]);
    assert.deepEqual(await actions(b), [
      "store.restored",
      "store.imported",
      "store.initialized",
      "org.created",
    ]);
  },
});
