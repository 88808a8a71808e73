/**
 * `keypebble completion bash|zsh|fish`, loaded into the real shells (bash, zsh and fish, which
 * .ci/run installs): each script parses, and completes commands, subcommands and options from
 * the command table the parser itself uses.
 */

import assert from "node:assert/strict";
import { runKeypebble } from "../helpers/process.ts";

async function script(shell: string): Promise<string> {
  const r = await runKeypebble(["completion", shell]);
  assert.equal(r.code, 0, r.stderr);
  const path = await Deno.makeTempFile({ suffix: `.${shell}` });
  await Deno.writeTextFile(path, r.stdout);
  return path;
}

async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${cmd}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

Deno.test("completion bash: commands, subcommands and options complete in bash", async () => {
  const f = await script("bash");
  try {
    await sh("bash", ["-n", f]);
    const ask = (words: string[]) =>
      `COMP_WORDS=(${words.map((w) => `"${w}"`).join(" ")}); COMP_CWORD=${
        words.length - 1
      }; _keypebble; echo "\${COMPREPLY[*]}"`;
    const out = await sh("bash", [
      "-c",
      [
        `source ${f}`,
        ask(["keypebble", "comp"]),
        ask(["keypebble", "issue", "--t"]),
        ask(["keypebble", "key", "r"]),
        ask(["keypebble", "healthcheck", "--c"]),
        ask(["keypebble", "store", ""]),
      ].join("; "),
    ]);
    assert.deepEqual(out.trim().split("\n"), [
      "completion",
      "--ttl",
      "revoke roll",
      "--config --cert",
      "init migrate status backup restore export import",
    ]);
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("completion fish: commands with their summaries, subcommands and options", async () => {
  const f = await script("fish");
  try {
    await sh("fish", ["-n", f]);
    const out = await sh("fish", [
      "-c",
      `source ${f}; complete -C "keypebble chec"; complete -C "keypebble serve --wor"; ` +
      `complete -C "keypebble completion "`,
    ]);
    const lines = out.trim().split("\n");
    assert.ok(
      lines.includes(
        "check\tLoad a config as serve would, print what it serves and every warning (exit 0 or 2)",
      ),
      out,
    );
    assert.ok(lines.includes("--workers"), out);
    for (const s of ["bash", "zsh", "fish"]) assert.ok(lines.includes(s), out);
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("completion zsh: the function offers the command table and each command's options", async () => {
  const f = await script("zsh");
  try {
    await sh("zsh", ["-n", f]);
    // zsh's completion widgets need a terminal; the script's dispatch is checked with the two
    // completion builtins it calls replaced by printers.
    const out = await sh("zsh", [
      "-c",
      `compdef() {}; source ${f}; _describe() { local n=$2; print -l \${(P)n}; }; ` +
      `_arguments() { print -l -- "$@"; }; ` +
      `words=(keypebble ""); CURRENT=2; _keypebble; print -- ---; ` +
      `words=(keypebble verify ""); CURRENT=3; _keypebble`,
    ]);
    const [commands, verify] = out.split("---\n");
    assert.match(commands, /^verify:Verify a token/m);
    assert.match(commands, /^completion:Print shell completion/m);
    assert.match(verify, /^--config\[config\]:file:_files$/m);
    assert.match(verify, /^--refresh\[refresh\]$/m);
  } finally {
    await Deno.remove(f);
  }
});
