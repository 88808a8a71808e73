/**
 * SIGTERM: stop listening first, `/readyz` 503, let the requests in flight finish, exit 0; with
 * one worker and with two. Runs from source (Deno, --unstable-net) or the binary in
 * KEYPEBBLE_BIN.
 *
 * Deno 2.9's `Deno.serve` cuts request bodies still arriving when it is shut down
 * (denoland/deno#36809), so on Deno the listener closes once no body is arriving; until then a
 * request is answered `503 shutting_down` with `connection: close` (never served, never cut).
 */

import assert from "node:assert/strict";
import { runKeypebble } from "../helpers/process.ts";
import { fixture, readAll, start } from "./workers_helpers.ts";

const RUNTIME = (await runKeypebble(["--version"])).stdout.includes("(bun") ? "bun" : "deno";
const enc = new TextEncoder();

/** A new connection's fate: refused, or the answer it got. */
async function tryNew(port: number): Promise<string> {
  let c: Deno.Conn;
  try {
    c = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionRefused) return "refused";
    throw e;
  }
  try {
    await c.write(enc.encode("GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
    return (await readAll(c)).split("\r\n")[0] || "closed";
  } catch {
    return "closed";
  }
}

for (const workers of ["1", "2"]) {
  Deno.test({
    name:
      `SIGTERM with ${workers} worker(s): the listener closes first, /readyz turns 503, a slow request in flight finishes, exit 0`,
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    const dir = await fixture("rate_limit: { per_address: false, per_principal: false }\n");
    const s = await start(dir, ["--workers", workers]);
    try {
      // A kept-alive connection a load balancer's probe would use, opened before the signal.
      const probe = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
      await probe.write(enc.encode("GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n"));
      const ready = new Uint8Array(4096);
      const n = await probe.read(ready);
      assert.match(new TextDecoder().decode(ready.subarray(0, n ?? 0)), /^HTTP\/1\.1 200/);

      // The slow request: headers and half its body now, the rest after the signal.
      const body = '{"sub":"slow"}';
      const slow = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
      await slow.write(
        enc.encode(
          `POST /auth HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
            `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body.slice(0, 4)}`,
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      s.child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 400));

      // New connections: refused (Bun at once; Deno once the slow body is in), or on Deno
      // meanwhile turned away with 503 and connection: close, never served.
      for (let i = 0; i < 5; i++) {
        const fate = await tryNew(s.port);
        if (RUNTIME === "bun") assert.equal(fate, "refused");
        else assert.ok(fate === "refused" || fate === "HTTP/1.1 503 Service Unavailable", fate);
      }
      // The probe on its kept-alive connection sees the instance leave rotation: a 503 (Deno,
      // while the slow body arrives), or its idle connection closed (Bun closes idle ones at once).
      let readyz: string;
      try {
        await probe.write(
          enc.encode("GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
        );
        readyz = (await readAll(probe)).split("\r\n")[0] || "closed";
      } catch {
        readyz = "closed";
      }
      assert.ok(readyz === "HTTP/1.1 503 Service Unavailable" || readyz === "closed", readyz);

      // The slow request still gets its token.
      await slow.write(enc.encode(body.slice(4)));
      const answer = await readAll(slow);
      assert.match(answer, /^HTTP\/1\.1 200/, answer);
      assert.match(answer, /"token":"ey/);

      assert.equal(await s.exited, 0);
      assert.equal(await tryNew(s.port), "refused");
      assert.ok(s.lines.some((l) => l.includes('"event":"shutdown"')));
      assert.ok(s.lines.some((l) => l.includes('"event":"stopped"')));
    } finally {
      try {
        s.child.kill("SIGKILL");
      } catch {
        // exited
      }
      await s.exited;
      await Deno.remove(dir, { recursive: true });
    }
  });
}
