/**
 * State that survives, as the container guide and the systemd unit lay it out: the config
 * directory read-only (a read-only bind mount in a private mount namespace, what `docker run -v
 * …:ro` and systemd's `ReadOnlyPaths=` do; root cannot write there either) and a writable state
 * directory for the store and the pepper. `check` and `serve` run inside that namespace.
 */

import assert from "node:assert/strict";
import { collectLines, freePort, keypebbleCommand } from "../helpers/process.ts";

const SECRET = "state-dir-hmac-secret-0123456789abcdef-0123";

/** Run keypebble with `ro` mounted read-only (`unshare -m`); `serve` is left running. */
function inNamespace(ro: string, args: string[]): Deno.ChildProcess {
  const { cmd, prefix } = keypebbleCommand();
  const quoted = [cmd, ...prefix, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return new Deno.Command("unshare", {
    args: [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      `mount --bind '${ro}' '${ro}' && mount -o remount,bind,ro '${ro}' && exec ${quoted}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function check(ro: string, config: string): Promise<{ code: number; out: string }> {
  const out = await inNamespace(ro, ["check", "--config", config]).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** Start serve; resolves when it is up (or to its exit code when it ends first). */
async function serve(ro: string, config: string, port: number) {
  const child = inNamespace(ro, ["serve", "--config", config, "--workers", "1"]);
  const { lines, done } = collectLines(child);
  const status = child.status.then(async (s) => {
    await done;
    return s.code;
  });
  for (let i = 0; i < 300; i++) {
    if (lines.some((l) => l.includes('"event":"start"'))) break;
    const ended = await Promise.race([status, new Promise((r) => setTimeout(r, 50))]);
    if (typeof ended === "number") return { exited: ended, lines, stop: () => status };
  }
  return {
    exited: undefined,
    lines,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      return await status;
    },
  };
}

async function layout(storeLine: string): Promise<{ root: string; etc: string; port: number }> {
  const root = await Deno.makeTempDir({ prefix: "kp-state-" });
  const etc = `${root}/etc`;
  await Deno.mkdir(etc);
  await Deno.mkdir(`${root}/state`, { mode: 0o700 });
  await Deno.writeTextFile(`${etc}/hs.secret`, SECRET);
  const port = freePort();
  await Deno.writeTextFile(
    `${etc}/config.yaml`,
    `issuer: "https://kp.test"\nhs256_secret_path: hs.secret\nservice: { port: ${port} }\n` +
      `${storeLine}\naccounts: { admin_password_path: admin.txt }\n`,
  );
  await Deno.writeTextFile(`${etc}/admin.txt`, "correct-horse-battery-staple\n");
  return { root, etc, port };
}

Deno.test({
  name:
    "a read-only config directory and a writable state directory: check passes, serve starts, state survives a restart",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const probe = await new Deno.Command("unshare", { args: ["-m", "true"] }).output()
    .catch((e) => {
      throw new Error(`this test needs unshare (util-linux) and mount namespaces: ${e}`);
    });
  assert.equal(probe.code, 0, "unshare -m must work here (the test needs a read-only mount)");
  const { root, etc, port } = await layout(
    `store: { url: "sqlite:${"{root}"}/state/kp.db", pepper_path: "${"{root}"}/state/kp.pepper" }`,
  );
  const config = `${etc}/config.yaml`;
  await Deno.writeTextFile(
    config,
    (await Deno.readTextFile(config)).replaceAll("{root}", root),
  );
  try {
    const c = await check(etc, config);
    assert.equal(c.code, 0, c.out);
    assert.match(c.out, /does not exist yet: serve creates it/);

    let s = await serve(etc, config, port);
    assert.equal(s.exited, undefined, s.lines.join("\n"));
    const login = await fetch(`${s.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "correct-horse-battery-staple" }),
    });
    assert.equal(login.status, 200, await login.clone().text());
    await login.body?.cancel();
    assert.equal(await s.stop(), 0);
    const made = [...Deno.readDirSync(`${root}/state`)].map((e) => e.name).sort();
    assert.ok(made.includes("kp.db") && made.includes("kp.pepper"), made.join(","));
    assert.equal((await Deno.stat(`${root}/state/kp.pepper`)).mode! & 0o077, 0, "pepper 0600");
    assert.deepEqual(
      [...Deno.readDirSync(etc)].map((e) => e.name).sort(),
      ["admin.txt", "config.yaml", "hs.secret"],
      "nothing written to the config directory",
    );

    // A restart finds its state: the administrator created at the first start logs in again.
    s = await serve(etc, config, port);
    assert.equal(s.exited, undefined, s.lines.join("\n"));
    const again = await fetch(`${s.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "correct-horse-battery-staple" }),
    });
    assert.equal(again.status, 200);
    await again.body?.cancel();
    assert.ok(!s.lines.some((l) => l.includes('"event":"admin_created"')), "created once only");
    assert.equal(await s.stop(), 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "a store beside a read-only config: check and serve both stop, naming the directory",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const { root, etc, port } = await layout('store: { url: "sqlite:kp.db" }');
  const config = `${etc}/config.yaml`;
  try {
    const c = await check(etc, config);
    assert.equal(c.code, 2, c.out);
    assert.match(
      c.out,
      /store\.url: cannot create ".*\/etc\/kp\.db" \(its directory is not writable/,
    );
    assert.match(c.out, /\/var\/lib\/keypebble/);
    const s = await serve(etc, config, port);
    assert.equal(s.exited, 2, s.lines.join("\n"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
