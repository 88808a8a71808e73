/**
 * The Deno adapter: the only file that touches `Deno.*`. It implements {@link Platform} with
 * `Deno.serve`, `Deno.addSignalListener` and Deno's file APIs.
 */

import type { Platform, ServeOptions, ServerHandle, SignalName } from "../platform/platform.ts";
import { FileExistsError, FileMissingError } from "../runtime/mod.ts";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";

/** Create the Deno platform. */
export function denoPlatform(): Platform {
  const encoder = new TextEncoder();
  return {
    name: `deno ${Deno.version.deno}`,
    openSqlite: openDenoSqlite,
    env(name: string): string | undefined {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // no --allow-env for this name: treat as unset
      }
    },
    envNames(): string[] {
      // Listing needs full --allow-env; with --allow-env=KEYPEBBLE_* only the documented names
      // (tried one by one by the config loader) are seen, which is enough for every setting.
      try {
        return Object.keys(Deno.env.toObject()).filter((n) => n.startsWith("KEYPEBBLE_"));
      } catch {
        return [];
      }
    },
    async readTextFile(path: string): Promise<string> {
      try {
        return await Deno.readTextFile(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) throw new FileMissingError(path);
        throw e;
      }
    },
    async writePrivateFile(path: string, text: string): Promise<void> {
      const slash = path.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true, mode: 0o700 });
      try {
        await Deno.writeTextFile(path, text, { createNew: true, mode: 0o600 });
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) throw new FileExistsError(path);
        throw e;
      }
      await Deno.chmod(path, 0o600); // the umask must not widen it
    },
    async mtime(path: string): Promise<number | undefined> {
      try {
        return (await Deno.stat(path)).mtime?.getTime();
      } catch {
        return undefined;
      }
    },
    stdout(text: string): void {
      _writeAll(Deno.stdout, encoder.encode(text));
    },
    stderr(text: string): void {
      _writeAll(Deno.stderr, encoder.encode(text));
    },
    async readStdin(): Promise<string> {
      return await new Response(Deno.stdin.readable).text();
    },
    serve(options: ServeOptions): ServerHandle {
      const server = Deno.serve({
        hostname: options.host,
        port: options.port,
        onListen: () => {},
      }, (req, info) => {
        const addr = info.remoteAddr as Deno.NetAddr;
        return options.handler(req, { remoteAddr: addr.hostname ?? "" });
      });
      return {
        port: (server.addr as Deno.NetAddr).port,
        shutdown: () => server.shutdown(),
        finished: server.finished,
      };
    },
    onSignal(signal: SignalName, fn: () => void): void {
      Deno.addSignalListener(signal, fn);
    },
    cwd(): string {
      return Deno.cwd();
    },
  };
}

function _writeAll(w: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += w.writeSync(data.subarray(off));
}

/** Exit the process (only main.ts calls this). */
export function denoExit(code: number): never {
  Deno.exit(code);
}

/** The command-line arguments. */
export function denoArgs(): string[] {
  return Deno.args;
}
