/**
 * Dependencies point down (design §1): the real import graph of every source file (read with
 * `deno info --json`, type imports included, not by searching the text) has no import from a
 * folder to one in its own or a higher layer, and therefore no folder cycle. A new folder must
 * be placed in {@link LAYERS}.
 */

import assert from "node:assert/strict";

/** Folders from the top (the entry point) down; `base` is `errors.ts` and `version.ts`. */
const LAYERS: readonly (readonly string[])[] = [
  ["main"],
  ["cli"],
  ["server", "import"],
  ["app"],
  ["admin"],
  ["oauth", "signin"],
  ["accounts_api"],
  ["gateway", "tokens", "console"],
  ["trust"],
  ["http"],
  ["apikeys", "accounts", "oidc"],
  ["runtime", "audit"],
  ["profiles", "tls"],
  ["identity", "spiffe", "fernet"],
  ["policy", "store"],
  ["platform", "limits", "metrics", "log", "claims"],
  ["config"],
  ["jose"],
  ["base"],
];

const SRC = new URL("./", import.meta.url);

function _folder(rel: string): string {
  if (!rel.includes("/")) return rel === "main.ts" ? "main" : "base";
  return rel.slice(0, rel.indexOf("/"));
}

async function _sources(dir: URL, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && e.name !== "testdata") {
      out.push(...await _sources(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    } else if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      // Test suites shared by tests (`*_suite.ts`, `_testing.ts`) are part of no layer's code.
      if (!e.name.endsWith("_suite.ts") && e.name !== "_testing.ts") out.push(prefix + e.name);
    }
  }
  return out;
}

/** Folder → folders it imports (code or types), with one example import per edge. */
async function _graph(): Promise<Map<string, Map<string, string>>> {
  const files = await _sources(SRC);
  const root = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      root,
      files.map((f) => `import ${JSON.stringify(new URL(f, SRC).href)};`).join("\n"),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
      }[];
    };
    const graph = new Map<string, Map<string, string>>();
    for (const m of info.modules) {
      if (!m.specifier.startsWith(SRC.href)) continue;
      const from = m.specifier.slice(SRC.href.length);
      for (const d of m.dependencies ?? []) {
        for (const t of [d.code?.specifier, d.type?.specifier]) {
          if (t === undefined || !t.startsWith(SRC.href)) continue;
          const to = t.slice(SRC.href.length);
          const [a, b] = [_folder(from), _folder(to)];
          if (a === b) continue;
          if (!graph.has(a)) graph.set(a, new Map());
          graph.get(a)!.set(b, `${from} → ${to}`);
        }
      }
    }
    return graph;
  } finally {
    await Deno.remove(root);
  }
}

Deno.test("no import runs from a folder to one in its own or a higher layer (the real import graph)", async () => {
  const rank = new Map<string, number>();
  LAYERS.forEach((layer, i) => layer.forEach((f) => rank.set(f, LAYERS.length - i)));
  const graph = await _graph();
  const unplaced = new Set<string>();
  const upward: string[] = [];
  for (const [from, tos] of graph) {
    for (const [to, example] of tos) {
      for (const f of [from, to]) if (!rank.has(f)) unplaced.add(f);
      if (rank.has(from) && rank.has(to) && rank.get(to)! >= rank.get(from)!) {
        upward.push(`${from} → ${to} (${example})`);
      }
    }
  }
  assert.deepEqual([...unplaced], [], "place these folders in LAYERS (src/layers_test.ts)");
  assert.deepEqual(upward, [], "imports that run up (or sideways) between folders");
});

Deno.test("the folder graph has no cycle", async () => {
  const graph = await _graph();
  // Tarjan's strongly connected components: any component of two or more folders is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  assert.deepEqual(cycles, []);
});
