/**
 * Real PostgreSQL and Redis for the end-to-end suites, each started here with its own data
 * directory and port and stopped afterwards: Postgres as the `postgres` user via
 * `runuser -u postgres --`, `initdb --auth=trust`, `pg_ctl -o "-p PORT -k DIR"`.
 */

import { freePort, run } from "../helpers/process.ts";
import { type Daemon, spawnDaemon } from "./registry_helpers.ts";

const PG_BIN = "/usr/lib/postgresql/15/bin";

/** A running PostgreSQL cluster. */
export interface Postgres {
  readonly port: number;
  readonly dir: string;
  /** A URL for database `name` (created on demand by {@link Postgres.createDb}). */
  url(name: string): string;
  createDb(name: string): Promise<string>;
  /** `pg_ctl stop -m fast` (the suite also uses it to simulate an outage). */
  stop(): Promise<void>;
  /** Start it again after {@link Postgres.stop}. */
  start(): Promise<void>;
}

async function _asPostgres(cmd: string, args: string[], allowFail = false) {
  return await run("runuser", ["-u", "postgres", "--", cmd, ...args], { allowFail });
}

/** Start a throwaway cluster in a fresh directory owned by `postgres`. */
export async function startPostgres(): Promise<Postgres> {
  const dir = await Deno.makeTempDir({ prefix: "kp-e2e-pg-" });
  await Deno.chmod(dir, 0o755);
  await run("chown", ["postgres:postgres", dir]);
  const data = `${dir}/data`;
  const port = freePort();
  await _asPostgres(`${PG_BIN}/initdb`, [
    "-D",
    data,
    "--auth=trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
  ]);
  const pg: Postgres = {
    port,
    dir,
    url: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    async createDb(name: string): Promise<string> {
      await _asPostgres(`${PG_BIN}/createdb`, ["-h", "127.0.0.1", "-p", String(port), name]);
      return pg.url(name);
    },
    async stop(): Promise<void> {
      await _asPostgres(`${PG_BIN}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "stop"], true);
    },
    async start(): Promise<void> {
      await _asPostgres(`${PG_BIN}/pg_ctl`, [
        "-D",
        data,
        "-l",
        `${dir}/pg.log`,
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
        "-w",
        "start",
      ]);
    },
  };
  await pg.start();
  return pg;
}

/** Stop a cluster and remove its directory. */
export async function removePostgres(pg: Postgres): Promise<void> {
  await pg.stop();
  await Deno.remove(pg.dir, { recursive: true }).catch(() => {});
}

/** A running Redis. */
export interface Redis extends Daemon {
  readonly port: number;
  readonly url: string;
}

/** Start `redis-server` on a free port with no persistence. */
export async function startRedis(): Promise<Redis> {
  const port = freePort();
  const d = spawnDaemon("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        await d.stop();
        throw new Error(`redis-server did not start:\n${d.lines.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { ...d, port, url: `redis://127.0.0.1:${port}/0` };
}
