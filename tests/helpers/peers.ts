/**
 * The real keyguard and pico-auth, run as peers by the import end-to-end tests (issue 22).
 *
 * No peer code is committed. Their public sources are read at test time from git snapshots on
 * the machine: `$KEYPEBBLE_PEERS_DIR/<owner>+<repo>/repo` (default `/work/.mirror`, where the
 * project's tooling fetches public repositories), checked out with `git archive` into a
 * temporary directory. Their Python dependencies that Debian does not ship at the needed version
 * (SQLAlchemy 2, aiosqlite, FastAPI, uvicorn, pydantic-settings, asyncpg) are installed with
 * `pip install --target` from the machine's configured package index into a cache directory;
 * Debian's own packages (python3-bcrypt, python3-jose, python3-cryptography, python3-yaml) are
 * installed by `.ci/run`. When a snapshot or a package cannot be had the tests FAIL with what is
 * missing: a peer that cannot run is not a passed test.
 */

/** Debian's Python (with python3-bcrypt, python3-jose, python3-cryptography). */
export const PYTHON = "/usr/bin/python3";

/** Where the snapshots of public repositories are. */
export function peersDir(): string {
  return Deno.env.get("KEYPEBBLE_PEERS_DIR") ?? "/work/.mirror";
}

/** The git directory of `owner/repo`'s snapshot, or a loud error naming what is missing. */
export async function peerGitDir(repo: string): Promise<string> {
  const dir = `${peersDir()}/${repo.replace("/", "+")}/repo`;
  const probe = await new Deno.Command("git", {
    args: ["--git-dir", dir, "rev-parse", "--verify", "HEAD"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ code: 127 }));
  if (probe.code !== 0) {
    throw new Error(
      `The public source of ${repo} is not on this machine (no git snapshot at ${dir}). ` +
        `These tests run the real ${repo}: fetch its repository there (or point ` +
        `KEYPEBBLE_PEERS_DIR at a directory of <owner>+<repo>/repo snapshots).`,
    );
  }
  return dir;
}

/** Check `paths` of `ref` out of a snapshot into `dest` (created). */
export async function checkout(
  gitDir: string,
  ref: string,
  paths: string[],
  dest: string,
): Promise<void> {
  await Deno.mkdir(dest, { recursive: true });
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      'set -o pipefail; git --git-dir="$1" archive "$2" "${@:4}" | tar -x -C "$3"',
      "checkout",
      gitDir,
      ref,
      dest,
      ...paths,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(
      `git archive ${ref} of ${gitDir} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

const PIP_PACKAGES = [
  "sqlalchemy>=2.0,<2.1",
  "aiosqlite",
  "greenlet",
  "fastapi",
  "uvicorn",
  "pydantic-settings",
  "asyncpg",
];

/**
 * A directory with the peers' pip dependencies (installed once, then reused). Fails with pip's
 * own message when the package index cannot provide them.
 */
export async function pythonDeps(): Promise<string> {
  const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/keypebble-peer-python-1`;
  const marker = `${dir}/.complete`;
  try {
    await Deno.stat(marker);
    return dir;
  } catch { /* install below */ }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const out = await new Deno.Command(PYTHON, {
    args: [
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      "--no-warn-script-location",
      "--retries",
      "0",
      "--timeout",
      "10",
      "--target",
      dir,
      ...PIP_PACKAGES,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(
      `pip could not install the peers' dependencies (${PIP_PACKAGES.join(", ")}): ` +
        new TextDecoder().decode(out.stderr).split("\n").filter((l) => /ERROR/.test(l)).join(
          "\n",
        ),
    );
  }
  await Deno.writeTextFile(marker, PIP_PACKAGES.join("\n"));
  return dir;
}

/** Run Debian's Python with `pythonPath` first on the path; resolves to stdout (throws on failure). */
export async function python(
  args: string[],
  options: { pythonPath: string[]; cwd?: string; env?: Record<string, string> },
): Promise<string> {
  const out = await new Deno.Command(PYTHON, {
    args,
    cwd: options.cwd,
    env: { PYTHONPATH: options.pythonPath.join(":"), PYTHONDONTWRITEBYTECODE: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(
      `python3 ${args.join(" ")} failed (${out.code}):\n${dec.decode(out.stdout)}\n${
        dec.decode(out.stderr)
      }`,
    );
  }
  return dec.decode(out.stdout);
}
