/**
 * Deployment end to end: the process lifecycle an operator relies on (version, serve, reload on
 * SIGHUP, graceful SIGTERM, the healthcheck subcommand), run against the source or, with
 * `KEYPEBBLE_BIN`, the compiled binary; plus structural checks of the Dockerfile and the systemd
 * unit (`systemd-analyze verify` must print nothing at all).
 */

import assert from "node:assert/strict";
import {
  freePort,
  REPO_ROOT,
  run,
  runKeypebble,
  type RunningServer,
  startServer,
} from "../helpers/process.ts";

const SECRET = "deploy-test-secret-0123456789abcdef-0123456789";

async function writeConfig(dir: string, issuer: string): Promise<string> {
  const path = `${dir}/config.yaml`;
  await Deno.writeTextFile(`${dir}/hs.secret`, SECRET);
  await Deno.writeTextFile(
    path,
    [
      `issuer: "${issuer}"`,
      `audience: "deploy-test"`,
      `hs256_secret_path: "hs.secret"`,
      `kid: "hs-1"`,
      `allowed_custom_claims: ["sub", "role"]`,
      "",
    ].join("\n"),
  );
  return path;
}

async function issueOverHttp(server: RunningServer, claims: Record<string, unknown>) {
  const res = await fetch(`${server.url}/auth`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(claims),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(typeof body.token, "string");
  return body.token as string;
}

function payloadOf(token: string): Record<string, unknown> {
  const seg = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(seg + "=".repeat((4 - (seg.length % 4)) % 4)));
}

async function healthz(server: RunningServer): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 200);
  return await res.json();
}

Deno.test("--version names the version and the runtime", async () => {
  const r = await runKeypebble(["--version"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^keypebble \d+\.\d+\.\d+ \((deno|bun) \d+\.\d+\.\d+[^)]*\)\n$/);
  if (!Deno.env.get("KEYPEBBLE_BIN")) assert.match(r.stdout, /\(deno /);
});

Deno.test("serve issues a token over POST /auth that the verify command accepts", async () => {
  const dir = await Deno.makeTempDir();
  const config = await writeConfig(dir, "https://deploy.test");
  const server = await startServer(config);
  try {
    const token = await issueOverHttp(server, { sub: "edge-7", role: "reader", iss: "evil" });
    const claims = payloadOf(token);
    assert.equal(claims.iss, "https://deploy.test");
    assert.equal(claims.sub, "edge-7");

    const ok = await runKeypebble([
      "verify",
      "--config",
      config,
      "--audience",
      "deploy-test",
      token,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /edge-7/);

    const last = token.at(-1) === "A" ? "B" : "A";
    const bad = await runKeypebble(["verify", "--config", config, token.slice(0, -1) + last]);
    assert.equal(bad.code, 1);
    assert.notEqual(bad.stderr.trim(), "");
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP reloads the config and a broken config keeps the old one serving", async () => {
  const dir = await Deno.makeTempDir();
  const config = await writeConfig(dir, "https://before.test");
  const server = await startServer(config);
  try {
    assert.equal(payloadOf(await issueOverHttp(server, {})).iss, "https://before.test");
    assert.equal((await healthz(server)).generation, 1);

    await writeConfig(dir, "https://after.test");
    server.signal("SIGHUP");
    await waitFor(async () => (await healthz(server)).generation === 2);
    assert.equal(payloadOf(await issueOverHttp(server, {})).iss, "https://after.test");

    await Deno.writeTextFile(config, "issuer: [not: valid\n");
    server.signal("SIGHUP");
    await waitFor(async () => {
      const h = await healthz(server);
      return (h.last_reload as { outcome?: string } | undefined)?.outcome === "failure";
    });
    const h = await healthz(server);
    assert.equal(h.generation, 2);
    assert.equal(payloadOf(await issueOverHttp(server, {})).iss, "https://after.test");
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGTERM lets a request in flight finish, then exits 0", async () => {
  const dir = await Deno.makeTempDir();
  const config = await writeConfig(dir, "https://graceful.test");
  // A password hash at the maximum cost makes one Basic login take about a second: the request
  // is being handled when SIGTERM lands. (Also drives `hash-password` reading stdin.)
  const hashed = await runKeypebble(["hash-password", "--iterations", "10000000"], {
    stdin: "correct horse",
  });
  assert.equal(hashed.code, 0, hashed.stderr);
  await Deno.writeTextFile(
    `${dir}/policy.yaml`,
    `users:\n  alice:\n    password_hash: "${hashed.stdout.trim()}"\n` +
      `    repos: ["alice/*"]\n    actions: ["pull"]\n`,
  );
  await Deno.writeTextFile(
    config,
    (await Deno.readTextFile(config)) + `services: ["registry"]\npolicy_path: "policy.yaml"\n`,
  );
  const server = await startServer(config);
  try {
    const pending = fetch(
      `${server.url}/v2/token?service=registry&scope=repository:alice/app:pull`,
      { headers: { authorization: `Basic ${btoa("alice:correct horse")}` } },
    );
    await new Promise((r) => setTimeout(r, 150));
    server.signal("SIGTERM");
    const res = await pending;
    const json = await res.json();
    assert.equal(res.status, 200, JSON.stringify(json));
    assert.equal(payloadOf(json.token).sub, "alice");
    assert.equal(await server.exited, 0);
    const events = server.lines.flatMap((l) => {
      try {
        return [JSON.parse(l).event as string];
      } catch {
        return [];
      }
    });
    const shutdownAt = events.indexOf("shutdown");
    assert.ok(shutdownAt !== -1, server.lines.join("\n"));
    assert.ok(events.indexOf("stopped") > shutdownAt, server.lines.join("\n"));
    // The access-log line of the token request (written when it completes) comes after the
    // shutdown began: the request was in flight at SIGTERM and was allowed to finish.
    const tokenLine = server.lines.findIndex((l) => l.includes('"route":"/v2/token"'));
    const shutdownLine = server.lines.findIndex((l) => l.includes('"event":"shutdown"'));
    assert.ok(tokenLine > shutdownLine && shutdownLine !== -1, server.lines.join("\n"));
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("healthcheck exits 0 against a healthy server and 1 when nothing listens", async () => {
  const dir = await Deno.makeTempDir();
  const config = await writeConfig(dir, "https://health.test");
  const server = await startServer(config);
  try {
    const up = await runKeypebble(["healthcheck", "--url", `${server.url}/healthz`]);
    assert.equal(up.code, 0, up.stderr);
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
  const down = await runKeypebble([
    "healthcheck",
    "--url",
    `http://127.0.0.1:${freePort()}/healthz`,
  ]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /healthcheck failed/);
});

Deno.test("Dockerfile is multi-stage, non-root, exposes 8080, exec-form HEALTHCHECK", async () => {
  const text = await Deno.readTextFile(`${REPO_ROOT}Dockerfile`);
  // Join continuation lines, drop comments and blanks: one instruction per entry.
  const instructions = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const m = /^([A-Za-z]+)\s+(.*)$/.exec(l);
      assert.ok(m, `not an instruction: ${l}`);
      return { op: m[1].toUpperCase(), args: m[2] };
    });
  const froms = instructions.filter((i) => i.op === "FROM");
  assert.ok(froms.length >= 2, "multi-stage: at least two FROM");
  assert.match(froms[0].args, /\bAS\s+build\b/i);
  const finalStart = instructions.lastIndexOf(froms.at(-1)!);
  const final = instructions.slice(finalStart);
  assert.ok(
    final.some((i) => i.op === "COPY" && /--from=build\b/.test(i.args)),
    "the final stage copies the binary from the build stage",
  );

  const users = final.filter((i) => i.op === "USER");
  assert.equal(users.length, 1, "exactly one USER in the final stage");
  const user = users[0].args.split(":")[0];
  assert.ok(!["root", "0"].includes(user), `USER must not be root, got "${user}"`);

  assert.ok(final.some((i) => i.op === "EXPOSE" && i.args.split(/\s+/).includes("8080")));
  assert.ok(final.some((i) => i.op === "ENV" && /KEYPEBBLE_HOST=0\.0\.0\.0/.test(i.args)));

  const hc = final.filter((i) => i.op === "HEALTHCHECK");
  assert.equal(hc.length, 1);
  const hcCmd = /\bCMD\s+(.*)$/.exec(hc[0].args);
  assert.ok(hcCmd, "HEALTHCHECK has a CMD");
  const hcArgv = JSON.parse(hcCmd[1]);
  assert.deepEqual(
    hcArgv,
    ["/keypebble", "healthcheck", "--config", "/etc/keypebble/config.yaml"],
    "exec form, no shell, the port and TLS read from the config",
  );
  // State beside a read-only config: a volume owned by the unprivileged user.
  assert.ok(final.some((i) => i.op === "VOLUME" && /\/var\/lib\/keypebble/.test(i.args)));
  assert.ok(
    final.some((i) =>
      i.op === "COPY" && /--chown=65532:65532/.test(i.args) && /\/var\/lib\/keypebble$/.test(i.args)
    ),
    "the state directory belongs to uid 65532",
  );

  const entry = final.find((i) => i.op === "ENTRYPOINT");
  assert.ok(entry);
  assert.deepEqual(JSON.parse(entry.args), ["/keypebble"]);
  const cmd = final.find((i) => i.op === "CMD");
  assert.ok(cmd);
  assert.deepEqual(JSON.parse(cmd.args), ["serve", "--config", "/etc/keypebble/config.yaml"]);
});

Deno.test("systemd unit passes systemd-analyze verify with no output at all", async () => {
  const unit = await Deno.readTextFile(`${REPO_ROOT}deploy/keypebble.service`);
  for (
    const line of [
      "ExecStart=/usr/local/bin/keypebble serve --config /etc/keypebble/config.yaml",
      "ExecReload=/bin/kill -HUP $MAINPID",
      "ExecStartPre=/usr/local/bin/keypebble check --config /etc/keypebble/config.yaml",
      "ExecReload=/usr/local/bin/keypebble check --config /etc/keypebble/config.yaml",
      "DynamicUser=yes",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "CapabilityBoundingSet=",
      "AmbientCapabilities=",
      "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
      "LoadCredential=signing.key:/etc/keypebble/signing.key",
      "MemoryDenyWriteExecute=no",
      "Environment=KEYPEBBLE_WORKERS=auto",
      "StateDirectory=keypebble",
      "StateDirectoryMode=0700",
      "UMask=0077",
    ]
  ) {
    assert.ok(unit.split("\n").includes(line), `unit lacks "${line}"`);
  }
  // `verify` checks that ExecStart's binary exists and is executable. /usr/local/bin/keypebble
  // is not installed here, so verify a copy whose ExecStart names an executable that exists:
  // the binary under test when there is one, else /bin/true. Everything else is unchanged.
  const bin = Deno.env.get("KEYPEBBLE_BIN") ?? "/bin/true";
  const dir = await Deno.makeTempDir();
  try {
    const copy = `${dir}/keypebble.service`;
    const patched = unit.replace(
      /^(ExecStart|ExecStartPre|ExecReload)=\/usr\/local\/bin\/keypebble /gm,
      `$1=${bin} `,
    );
    assert.notEqual(patched, unit);
    await Deno.writeTextFile(copy, patched);
    // Fails (not skips) when systemd-analyze is missing: .ci/run installs systemd.
    const r = await run("systemd-analyze", ["verify", copy], { allowFail: true });
    // systemd-analyze exits 0 even for unknown keys or bad values; it only prints them.
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), "", "systemd-analyze printed warnings");
    // systemd's own exposure score of the sandbox (0 best, 10 worst): at most 2 ("OK").
    const sec = await run("systemd-analyze", ["security", "--offline=true", copy], {
      allowFail: true,
    });
    const score = /Overall exposure level for .*: ([\d.]+)/.exec(sec.stdout + sec.stderr);
    assert.ok(score, sec.stdout + sec.stderr);
    assert.ok(Number(score[1]) <= 2, `exposure ${score[1]}:\n${sec.stdout}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
