/**
 * Every relative link in README.md and docs/*.md reaches a file of the repository, and a `#anchor`
 * reaches a heading of the page it names (GitHub's anchors: the heading in lower case, punctuation
 * dropped, spaces as hyphens, `-1`, `-2` for repeats). Links inside code blocks are not links.
 */

import assert from "node:assert/strict";
import { docPages } from "../helpers/doc_blocks.ts";
import { REPO_ROOT } from "../helpers/process.ts";

/** The anchor GitHub gives a heading. */
export function anchorOf(heading: string): string {
  return heading.replace(/`/g, "").toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replace(
    / /g,
    "-",
  );
}

/** The page's text outside fenced blocks. */
function prose(markdown: string): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const f = /^\s*(`{3,})/.exec(line);
    if (f !== null && (fence === undefined || f[1] === fence)) {
      fence = fence === undefined ? f[1] : undefined;
      continue;
    }
    if (fence === undefined) out.push(line);
  }
  return out;
}

function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(markdown)) {
    const m = /^#{1,6} (.*)$/.exec(line);
    if (m === null) continue;
    const a = anchorOf(m[1].trim());
    const n = seen.get(a) ?? 0;
    seen.set(a, n + 1);
    out.add(n === 0 ? a : `${a}-${n}`);
  }
  return out;
}

Deno.test("anchors are GitHub's", () => {
  assert.equal(anchorOf("Trust model: who may call what"), "trust-model-who-may-call-what");
  assert.equal(anchorOf("The web console and /docs"), "the-web-console-and-docs");
  assert.equal(anchorOf("`keypebble hash-password`"), "keypebble-hash-password");
});

Deno.test("every relative link in README.md and docs/ resolves", async () => {
  const pages = await docPages();
  const broken: string[] = [];
  let count = 0;
  for (const page of pages) {
    const text = await Deno.readTextFile(`${REPO_ROOT}${page}`);
    // Inline code is not a link either.
    const lines = prose(text).map((l) => l.replace(/`[^`]*`/g, ""));
    for (const m of lines.join("\n").matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      count++;
      const [path, anchor] = target.split("#", 2) as [string, string | undefined];
      const file = path === "" ? page : new URL(path, new URL(page, `file://${REPO_ROOT}`)).pathname
        .slice(REPO_ROOT.length);
      let body: string;
      try {
        body = await Deno.readTextFile(`${REPO_ROOT}${file}`);
      } catch {
        try {
          await Deno.stat(`${REPO_ROOT}${file}`);
          continue; // a directory
        } catch {
          broken.push(`${page}: ${target} (no file ${file})`);
          continue;
        }
      }
      if (anchor !== undefined && file.endsWith(".md") && !anchorsOf(body).has(anchor)) {
        broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(count > 50, `only ${count} relative links found`);
});
