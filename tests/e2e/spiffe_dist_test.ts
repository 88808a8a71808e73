/**
 * `dist/spiffe.js` (built by `deno task build:spiffe`, which `test:e2e` runs first) works outside
 * this repository: copied alone into a scratch directory, it is imported as is by a small service
 * under Deno, Node and Bun, which mints a JWT-SVID with one identity and verifies it with another
 * (files provisioned by `keypebble spiffe`), and refuses a token for another audience.
 */

import assert from "node:assert/strict";
import { REPO_ROOT, runKeypebble } from "../helpers/process.ts";

const TD = "dist.example";

const SERVICE = `import { Identity, isSpiffeId, SvidError } from "./spiffe.js";
const a = await Identity.fromEnv(JSON.parse(process.env.ORDERS));
const b = await Identity.fromEnv(JSON.parse(process.env.BILLING));
const token = await a.token("spiffe://${TD}/billing");
const v = await b.verify(token);
let refused = "";
try {
  await a.verify(token);
} catch (e) {
  refused = e instanceof SvidError ? e.code : String(e);
}
console.log(JSON.stringify({ sub: v.spiffeId, ok: isSpiffeId(v.spiffeId), refused }));
process.exit(0);
`;

async function kp(cwd: string, ...args: string[]): Promise<string> {
  const r = await runKeypebble(args, { cwd });
  assert.equal(r.code, 0, `keypebble ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function envOf(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)));
}

async function which(cmd: string): Promise<string | undefined> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "piped" })
    .output();
  const p = new TextDecoder().decode(out.stdout).trim();
  return out.code === 0 && p !== "" ? p : undefined;
}

Deno.test("e2e dist/spiffe.js: a service imports it as is under Deno, Node and Bun", async () => {
  const built = `${REPO_ROOT}dist/spiffe.js`;
  assert.ok((await Deno.stat(built)).isFile, "run deno task build:spiffe first");
  const dir = await Deno.makeTempDir({ prefix: "kp-spiffe-dist-" });
  try {
    await kp(dir, "spiffe", "init", "--root", "root", "--trust-domain", TD);
    await kp(dir, "spiffe", "add-service", "--root", "root", "orders");
    await kp(dir, "spiffe", "add-service", "--root", "root", "billing");
    const env = {
      ORDERS: JSON.stringify(
        envOf(await kp(dir, "spiffe", "service-env", "--root", "root", "orders")),
      ),
      BILLING: JSON.stringify(
        envOf(await kp(dir, "spiffe", "service-env", "--root", "root", "billing")),
      ),
    };
    const scratch = `${dir}/service`;
    await Deno.mkdir(scratch);
    await Deno.copyFile(built, `${scratch}/spiffe.js`);
    await Deno.writeTextFile(`${scratch}/package.json`, '{ "type": "module" }\n');
    await Deno.writeTextFile(`${scratch}/service.js`, SERVICE);
    const runtimes: [string, string[]][] = [
      [Deno.execPath(), ["run", "--allow-read", "--allow-env", "service.js"]],
    ];
    const node = await which("node");
    assert.ok(node !== undefined, "node is on this machine (npm installs Deno and Bun)");
    runtimes.push([node, ["service.js"]]);
    const bun = await which("bun");
    assert.ok(bun !== undefined, "bun is installed by .ci/run");
    runtimes.push([bun, ["service.js"]]);
    for (const [cmd, args] of runtimes) {
      const out = await new Deno.Command(cmd, {
        args,
        cwd: scratch,
        env: { ...env, PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1" },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, `${cmd}: ${new TextDecoder().decode(out.stderr)}`);
      assert.deepEqual(JSON.parse(text.trim().split("\n").pop()!), {
        sub: `spiffe://${TD}/orders`,
        ok: true,
        refused: "invalid_token",
      }, cmd);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
