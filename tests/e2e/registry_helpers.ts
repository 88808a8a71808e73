/**
 * Helpers for the registry end-to-end suites: the real distribution registry
 * (`docker-registry`), `skopeo`, `nginx`, `htpasswd` and `openssl`, each run as a child process in
 * a temporary directory. A missing binary makes the test fail, never skip.
 */

import { collectLines, freePort, run, runKeypebble } from "../helpers/process.ts";
export { makeKeyAndCert } from "../helpers/process.ts";

/** The service name the registry is configured with and Keypebble puts in `aud`. */
export const SERVICE = "registry.local";
/** The issuer both sides agree on. */
export const ISSUER = "keypebble-e2e";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A long-running child process with its output captured line by line. */
export interface Daemon {
  readonly lines: string[];
  readonly exited: Promise<number>;
  /** SIGTERM, then SIGKILL after two seconds; resolves when it is gone. */
  stop(): Promise<void>;
}

/** Spawn `cmd args` in the background, capturing stdout and stderr into `lines`. */
export function spawnDaemon(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Daemon {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  }).spawn();
  const { lines, done: pumps } = collectLines(child);
  let done = false;
  const exited = child.status.then(async (s) => {
    done = true;
    await pumps;
    return s.code;
  });
  return {
    lines,
    exited,
    stop: async () => {
      if (!done) {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // already gone
          }
        }, 2000);
        await exited;
        clearTimeout(timer);
      } else {
        await exited;
      }
    },
  };
}

/** Poll `url` until it answers with `status` (any HTTP answer when omitted). */
export async function waitForHttp(
  url: string,
  daemon: Daemon,
  what: string,
  status?: number,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  let exited = false;
  daemon.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${what} exited before answering:\n${daemon.lines.join("\n")}`);
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      if (status === undefined || r.status === status) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${what} did not answer at ${url}:\n${daemon.lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Anything with output lines and a stop(), e.g. a {@link Daemon} or a Keypebble server. */
export interface Stoppable {
  readonly lines: string[];
  stop(): Promise<unknown>;
}

/** Stops every registered daemon (in reverse order) and removes the temp dirs. */
export class Cleanup {
  #daemons: Stoppable[] = [];
  #dirs: string[] = [];
  /** Remember a daemon to stop. */
  daemon<T extends Stoppable>(d: T): T {
    this.#daemons.push(d);
    return d;
  }
  /** A fresh temporary directory, removed at the end. */
  async dir(prefix: string): Promise<string> {
    const d = await Deno.makeTempDir({ prefix: `kp-e2e-${prefix}-` });
    this.#dirs.push(d);
    return d;
  }
  /** Stop all daemons and remove all directories. */
  async run(): Promise<void> {
    for (const d of this.#daemons.reverse()) await d.stop();
    for (const dir of this.#dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  /** Everything the daemons printed, for failure messages. */
  output(): string {
    return this.#daemons.map((d) => d.lines.join("\n")).join("\n----\n");
  }
}

/** `keypebble hash-password --iterations 100000` (the CLI's minimum, to keep the suite fast). */
export async function hashPassword(password: string): Promise<string> {
  const r = await runKeypebble(["hash-password", "--iterations", "100000"], {
    stdin: `${password}\n`,
  });
  if (r.code !== 0) throw new Error(`hash-password exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A running registry. */
export interface Registry extends Daemon {
  readonly port: number;
  /** `127.0.0.1:<port>`, the host part of image references. */
  readonly host: string;
  readonly url: string;
}

/**
 * Start `docker-registry` with filesystem storage under `dir` and token auth pointing at `realm`.
 * `rootcertbundle` is the PEM certificate bundle the registry trusts for token signatures.
 */
export async function startRegistry(
  dir: string,
  options: { realm: string; rootcertbundle: string; logLevel?: string },
): Promise<Registry> {
  const port = freePort();
  const config = [
    "version: 0.1",
    "log:",
    `  level: ${options.logLevel ?? "warn"}`,
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(`${dir}/storage`)}`,
    "http:",
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${JSON.stringify(crypto.randomUUID())}`,
    "auth:",
    "  token:",
    `    realm: ${JSON.stringify(options.realm)}`,
    `    service: ${SERVICE}`,
    `    issuer: ${ISSUER}`,
    `    rootcertbundle: ${JSON.stringify(options.rootcertbundle)}`,
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/registry.yml`, config);
  const d = spawnDaemon("docker-registry", ["serve", `${dir}/registry.yml`], { cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  // With token auth on, /v2/ answers 401 with the challenge once it is up.
  await waitForHttp(`${url}/v2/`, d, "docker-registry", 401);
  return { ...d, port, host: `127.0.0.1:${port}`, url };
}

/** Write the nginx config and start nginx with Basic auth in front of Keypebble's /v2/token. */
export async function startNginx(
  dir: string,
  options: { keypebblePort: number; htpasswd: string },
): Promise<Daemon & { port: number; url: string }> {
  const port = freePort();
  await Deno.mkdir(`${dir}/tmp`, { recursive: true });
  const conf = `
user root;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    location /v2/token {
      auth_basic "registry tokens";
      auth_basic_user_file ${options.htpasswd};
      proxy_set_header X-Authenticated-User $remote_user;
      proxy_set_header Authorization "";
      proxy_pass http://127.0.0.1:${options.keypebblePort};
    }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  const d = spawnDaemon("nginx", [
    "-p",
    dir,
    "-c",
    `${dir}/nginx.conf`,
    "-e",
    "stderr",
    "-g",
    `daemon off; pid ${dir}/nginx.pid;`,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/v2/token`, d, "nginx", 401);
  return { ...d, port, url };
}

/** Add `user:password` to an htpasswd file (created when missing); bcrypt with `bcrypt: true`. */
export async function htpasswd(
  file: string,
  user: string,
  password: string,
  options: { bcrypt?: boolean } = {},
): Promise<void> {
  let exists = true;
  try {
    await Deno.stat(file);
  } catch {
    exists = false;
  }
  const flags = `${exists ? "-b" : "-cb"}${options.bcrypt ? "B" : ""}`;
  await run("htpasswd", [flags, file, user, password]);
}

async function _sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function _gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Build a one-layer OCI image layout in `dir` (tag `latest`) by hand: a tar of one file,
 * gzipped, its config and manifest, `index.json` and `oci-layout`. Returns the manifest digest.
 */
export async function buildOciImage(dir: string, content: string): Promise<string> {
  const src = `${dir}.src`;
  await Deno.mkdir(src, { recursive: true });
  await Deno.writeTextFile(`${src}/hello.txt`, content);
  await run("tar", [
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mtime=@0",
    "-cf",
    `${src}.tar`,
    "-C",
    src,
    "hello.txt",
  ]);
  const tar = await Deno.readFile(`${src}.tar`);
  await Deno.remove(src, { recursive: true });
  await Deno.remove(`${src}.tar`);
  const layer = await _gzip(tar);
  const blobs = `${dir}/blobs/sha256`;
  await Deno.mkdir(blobs, { recursive: true });
  const put = async (bytes: Uint8Array<ArrayBuffer>): Promise<{ digest: string; size: number }> => {
    const hex = await _sha256Hex(bytes);
    await Deno.writeFile(`${blobs}/${hex}`, bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const layerBlob = await put(layer);
  const config = enc.encode(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: [`sha256:${await _sha256Hex(tar)}`] },
    config: {},
  }));
  const configBlob = await put(config);
  const manifest = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layerBlob }],
  }));
  const manifestBlob = await put(manifest);
  await Deno.writeTextFile(
    `${dir}/index.json`,
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...manifestBlob,
        annotations: { "org.opencontainers.image.ref.name": "latest" },
      }],
    }),
  );
  await Deno.writeTextFile(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return manifestBlob.digest;
}

/** Runs `skopeo` isolated from the host's configuration and credentials. */
export class Skopeo {
  readonly #home: string;
  private constructor(home: string) {
    this.#home = home;
  }
  /** Prepare an isolated home (empty registries.conf, permissive signature policy) in `dir`. */
  static async create(dir: string): Promise<Skopeo> {
    const home = `${dir}/skopeo-home`;
    await Deno.mkdir(`${home}/run`, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(`${home}/registries.conf`, "");
    await Deno.writeTextFile(
      `${home}/policy.json`,
      JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }),
    );
    return new Skopeo(home);
  }

  /** Run `skopeo <args>`; never throws on a non-zero exit. */
  async run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const h = this.#home;
    const out = await new Deno.Command("skopeo", {
      args: ["--policy", `${h}/policy.json`, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: h,
        XDG_RUNTIME_DIR: `${h}/run`,
        XDG_CONFIG_HOME: `${h}/config`,
        REGISTRIES_CONFIG_PATH: `${h}/registries.conf`,
        CONTAINERS_REGISTRIES_CONF: `${h}/registries.conf`,
      },
    }).output();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  }

  /** Push the `latest` tag of an OCI layout to `host/repo:latest`; creds may be omitted. */
  push(layout: string, ref: string, creds?: string): Promise<{ code: number; stderr: string }> {
    return this.run([
      "copy",
      "--retry-times",
      "0",
      "--dest-tls-verify=false",
      ...(creds === undefined ? ["--dest-no-creds"] : ["--dest-creds", creds]),
      `oci:${layout}:latest`,
      `docker://${ref}`,
    ]);
  }

  /** Pull `host/repo:latest` into a fresh OCI layout at `out`. */
  pull(ref: string, out: string, creds?: string): Promise<{ code: number; stderr: string }> {
    return this.run([
      "copy",
      "--retry-times",
      "0",
      "--src-tls-verify=false",
      ...(creds === undefined ? ["--src-no-creds"] : ["--src-creds", creds]),
      `docker://${ref}`,
      `oci:${out}:latest`,
    ]);
  }
}

/** The manifest digest recorded for `latest` in an OCI layout's index.json. */
export async function layoutDigest(layout: string): Promise<string> {
  const index = JSON.parse(await Deno.readTextFile(`${layout}/index.json`));
  return index.manifests[0].digest;
}

/** Decode a compact JWS's header and payload (no verification). */
export function decodeJwt(
  token: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split(".");
  const part = (s: string): Record<string, unknown> => {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    return JSON.parse(dec.decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  };
  return { header: part(h), payload: part(p) };
}

/** Base64url without padding of a UTF-8 string. */
export function b64url(text: string): string {
  const bin = String.fromCharCode(...enc.encode(text));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
