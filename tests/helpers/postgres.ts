/**
 * A private PostgreSQL 15 for e2e tests: its own data directory and port, started as the
 * `postgres` user (`initdb --auth=trust`, `pg_ctl -o "-p PORT -k DIR"`), stopped and removed
 * afterwards. Nothing global is started.
 */

import { freePort } from "./process.ts";

const BIN = "/usr/lib/postgresql/15/bin";

/** A running private PostgreSQL. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  readonly url: string;
  stop(): Promise<void>;
}

async function _run(args: string[]): Promise<void> {
  const out = await new Deno.Command("runuser", {
    args: ["-u", "postgres", "--", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Start a private PostgreSQL. */
export async function startPostgres(): Promise<PrivatePostgres> {
  const dir = await Deno.makeTempDir({ prefix: "kp-pg-" });
  await Deno.chmod(dir, 0o777);
  const data = `${dir}/data`;
  const port = freePort();
  await _run([`${BIN}/initdb`, "-D", data, "--auth=trust", "-U", "postgres"]);
  await _run([
    `${BIN}/pg_ctl`,
    "-D",
    data,
    "-l",
    `${dir}/log`,
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    "-w",
    "start",
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await _run([`${BIN}/pg_ctl`, "-D", data, "-m", "fast", "-w", "stop"]).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
