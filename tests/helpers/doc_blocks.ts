/**
 * The documentation's code blocks, as the doc tests read them: which pages there are, each fenced
 * block with its language and the HTML comment right before it (a marker such as
 * `<!-- tested: shell -->`, `<!-- file: keypebble.yaml -->`, `<!-- check: warns -->`), and a runner
 * that plays a page's tested blocks in a scratch directory with `keypebble` on `PATH`.
 */

import { keypebbleCommand, REPO_ROOT, startServer } from "./process.ts";

/** One fenced block of a Markdown page. */
export interface DocBlock {
  /** The page, relative to the repository root. */
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly body: string;
  /** The text of the HTML comment just before the block (blank lines allowed), or "". */
  readonly marker: string;
}

/** README.md and every page under docs/. */
export async function docPages(): Promise<string[]> {
  const pages = ["README.md"];
  for await (const e of Deno.readDir(`${REPO_ROOT}docs`)) {
    if (e.isFile && e.name.endsWith(".md")) pages.push(`docs/${e.name}`);
  }
  return pages.sort();
}

/** The fenced blocks of one page, in order. */
export function blocksOf(page: string, markdown: string): DocBlock[] {
  const lines = markdown.split("\n");
  const out: DocBlock[] = [];
  let lastComment = "";
  let sinceComment = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)\s*$/.exec(lines[i]);
    if (open === null) {
      const c = /^<!--\s*(.*?)\s*-->$/.exec(lines[i].trim());
      if (c !== null) {
        lastComment = c[1];
        sinceComment = 0;
      } else if (lines[i].trim() !== "") sinceComment++;
      continue;
    }
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j].trim() !== fence) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
      j++;
    }
    out.push({
      page,
      line: i + 1,
      lang,
      body: body.join("\n") + "\n",
      marker: sinceComment === 0 ? lastComment : "",
    });
    lastComment = "";
    sinceComment = 0;
    i = j;
  }
  return out;
}

/** The first line a whole config example starts with (what example-config.yaml does too). */
export const SCHEMA_LINE = "# yaml-language-server: $schema=./keypebble.schema.json";

/** A shell block the page says runs as written; `server` when it needs the page's server. */
export function testedShell(b: DocBlock): "plain" | "server" | undefined {
  if (b.lang !== "sh" && b.lang !== "bash") return undefined;
  const m = /^tested:\s*shell(\s*,\s*server)?$/.exec(b.marker);
  if (m === null) return undefined;
  return m[1] === undefined ? "plain" : "server";
}

/** The file a block is written to before the page's commands run (`<!-- file: NAME -->`). */
export function fileOf(b: DocBlock): string | undefined {
  const m = /^file:\s*(\S+)$/.exec(b.marker);
  return m?.[1];
}

/** What one tested block printed. */
export interface BlockRun {
  readonly block: DocBlock;
  readonly code: number;
  readonly output: string;
}

/**
 * Play a page in a fresh scratch directory: write its `file:` blocks, run its tested shell blocks
 * in order with bash (`set -euo pipefail`) and a `keypebble` first on PATH that runs this repository's
 * source (or `KEYPEBBLE_BIN`). Server blocks run only with `withServer`: the page's
 * `keypebble.yaml` is then served on a free port before the first of them, and `127.0.0.1:8080` /
 * `localhost:8080` in those blocks are replaced with that port (the one substitution made, so the
 * suite never depends on port 8080 being free). Returns each block's result and the scratch
 * directory (removed by the caller).
 */
export async function playPage(
  page: string,
  withServer: boolean,
): Promise<{ dir: string; runs: BlockRun[]; files: DocBlock[] }> {
  const blocks = blocksOf(page, await Deno.readTextFile(`${REPO_ROOT}${page}`));
  const dir = await Deno.makeTempDir({ prefix: "kp-doc-" });
  await Deno.mkdir(`${dir}/.bin`);
  const { cmd, prefix } = keypebbleCommand();
  const quoted = [cmd, ...prefix].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  await Deno.writeTextFile(`${dir}/.bin/keypebble`, `#!/bin/sh\nexec ${quoted} "$@"\n`, {
    mode: 0o755,
  });
  const env = { PATH: `${dir}/.bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` };
  const runs: BlockRun[] = [];
  const files: DocBlock[] = [];
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    for (const b of blocks) {
      const file = fileOf(b);
      if (file !== undefined) {
        const path = `${dir}/${file}`;
        await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        await Deno.writeTextFile(path, b.body);
        files.push(b);
        continue;
      }
      const kind = testedShell(b);
      if (kind === undefined || (kind === "server" && !withServer)) continue;
      let script = b.body;
      if (kind === "server") {
        server ??= await startServer("keypebble.yaml", { cwd: dir, env: { PATH: env.PATH } });
        script = script.replace(/(127\.0\.0\.1|localhost):8080\b/g, `127.0.0.1:${server.port}`);
      }
      const out = await new Deno.Command("bash", {
        args: ["-c", `set -euo pipefail\n${script}`],
        cwd: dir,
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      runs.push({ block: b, code: out.code, output: text });
      if (out.code !== 0) break;
    }
  } finally {
    await server?.stop();
  }
  return { dir, runs, files };
}
