import assert from "node:assert/strict";
import { isKeypebbleError } from "../errors.ts";
import { nodeFiles } from "../platform/node_fs.ts";
import {
  addService,
  initRoot,
  readRootBundle,
  removeService,
  rotateService,
  serviceEnv,
  withRootLock,
} from "./root.ts";

const files = nodeFiles;
const opts = { files };

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kp_spiffe_root_" });
  try {
    await fn(`${dir}/root`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every file under `dir` with its content and mode, to prove "changes nothing". */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else out[p] = `${(await Deno.stat(p)).mode! & 0o777}:${await Deno.readTextFile(p)}`;
    }
  };
  await walk(dir);
  return out;
}

async function rejectsCode(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isKeypebbleError(e), String(e));
    assert.equal(e.code, code);
    if (re) assert.match(e.message, re);
    return true;
  });
}

Deno.test("initRoot() makes an empty bundle, is idempotent, and refuses another trust domain", async () => {
  await withRoot(async (root) => {
    assert.deepEqual(await initRoot(root, "edge.example", opts), { created: true });
    assert.deepEqual(await initRoot(root, "edge.example", opts), { created: false });
    const before = await snapshot(root);
    await rejectsCode(initRoot(root, "other.example", opts), "invalid_root", /edge\.example/);
    await rejectsCode(initRoot(root, "Bad_Domain", opts), "invalid_spiffe_id");
    assert.deepEqual(await snapshot(root), before);
    const b = await readRootBundle(root, files);
    assert.equal(b.trustDomain, "edge.example");
    assert.equal(b.identities.size, 0);
    assert.equal(b.sequence, 1);
  });
});

Deno.test("initRoot() refuses an existing directory that is not a spiffile root, touching nothing", async () => {
  await withRoot(async (root) => {
    await Deno.mkdir(root);
    await Deno.writeTextFile(`${root}/notes.txt`, "mine");
    await rejectsCode(initRoot(root, "edge.example", opts), "invalid_root", /not empty/);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["notes.txt"]);
    await rejectsCode(addService(root, "orders", opts), "invalid_root", /not a spiffile root/);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["notes.txt"]);
  });
});

Deno.test("addService() writes id, a 0600 PKCS#8 key and the binding; bad names change nothing", async () => {
  await withRoot(async (root) => {
    await initRoot(root, "edge.example", opts);
    const a = await addService(root, "sensors/t-1", opts);
    assert.equal(a.id, "spiffe://edge.example/sensors/t-1");
    assert.equal(a.changed, true);
    const key = `${root}/services/sensors/t-1/key.pem`;
    assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(key), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(await Deno.readTextFile(`${root}/services/sensors/t-1/id`), `${a.id}\n`);
    const b = await readRootBundle(root, files);
    assert.deepEqual(b.identities.get(a.id)!.map((k) => k.kid), [a.kid]);
    // Re-running changes nothing, not even the sequence.
    const again = await addService(root, "sensors/t-1", opts);
    assert.equal(again.changed, false);
    assert.equal(again.sequence, a.sequence);
    const before = await snapshot(root);
    for (
      const bad of ["", ".", "..", "../evil", "a/../b", "a//b", "/abs", "trailing/", "a b", "x~"]
    ) {
      await rejectsCode(addService(root, bad, opts), "invalid_spiffe_id");
    }
    assert.deepEqual(await snapshot(root), before);
  });
});

Deno.test("rotateService() keeps the old key bound until --revoke-old; the sequence rises each step", async () => {
  await withRoot(async (root) => {
    await initRoot(root, "edge.example", opts);
    const a = await addService(root, "orders", opts);
    const r = await rotateService(root, "orders", opts);
    assert.notEqual(r.kid, a.kid);
    assert.ok(r.sequence > a.sequence);
    let b = await readRootBundle(root, files);
    assert.deepEqual(b.identities.get(a.id)!.map((k) => k.kid), [a.kid, r.kid]);
    const v = await rotateService(root, "orders", { ...opts, revokeOld: true });
    assert.deepEqual(v.dropped, [a.kid]);
    assert.equal(v.kid, r.kid);
    assert.ok(v.sequence > r.sequence);
    b = await readRootBundle(root, files);
    assert.deepEqual(b.identities.get(a.id)!.map((k) => k.kid), [r.kid]);
    // --revoke-old with nothing older replaces the key at once (a compromised key).
    const e = await rotateService(root, "orders", { ...opts, revokeOld: true });
    assert.notEqual(e.kid, r.kid);
    assert.deepEqual(e.dropped, [r.kid]);
    b = await readRootBundle(root, files);
    assert.deepEqual(b.identities.get(a.id)!.map((k) => k.kid), [e.kid]);
    await rejectsCode(rotateService(root, "ghost", opts), "not_found");
  });
});

Deno.test("rotateService() completes a rotation interrupted before the key switch", async () => {
  await withRoot(async (root) => {
    await initRoot(root, "edge.example", opts);
    const a = await addService(root, "orders", opts);
    // Simulate a crash right after key.pem.new was written.
    let pending = "";
    await assert.rejects(
      rotateService(root, "orders", {
        ...opts,
        afterKeyWritten: async () => {
          pending = await Deno.readTextFile(`${root}/services/orders/key.pem.new`);
          throw new Error("killed");
        },
      }),
      /killed/,
    );
    assert.deepEqual((await readRootBundle(root, files)).identities.get(a.id)!.map((k) => k.kid), [
      a.kid,
    ]);
    const r = await rotateService(root, "orders", opts);
    assert.equal(await Deno.readTextFile(`${root}/services/orders/key.pem`), pending);
    assert.deepEqual((await readRootBundle(root, files)).identities.get(a.id)!.map((k) => k.kid), [
      a.kid,
      r.kid,
    ]);
  });
});

Deno.test("removeService() drops the identity and its files, keeping sibling services", async () => {
  await withRoot(async (root) => {
    await initRoot(root, "edge.example", opts);
    await addService(root, "sensors", opts);
    await addService(root, "sensors/t-1", opts);
    const r = await removeService(root, "sensors", opts);
    assert.equal(r.changed, true);
    const b = await readRootBundle(root, files);
    assert.deepEqual([...b.identities.keys()], ["spiffe://edge.example/sensors/t-1"]);
    assert.ok(
      (await serviceEnv(root, "sensors/t-1", opts)).SPIFFILE_KEY_FILE.endsWith("t-1/key.pem"),
    );
    await rejectsCode(serviceEnv(root, "sensors", opts), "not_found");
    assert.equal((await removeService(root, "sensors", opts)).changed, false);
    await removeService(root, "sensors/t-1", opts);
    assert.deepEqual([...Deno.readDirSync(`${root}/services`)], []);
  });
});

Deno.test("withRootLock() serialises holders and takes over a lock its holder stopped refreshing", async () => {
  await withRoot(async (root) => {
    await initRoot(root, "edge.example", opts);
    const order: string[] = [];
    await Promise.all([1, 2, 3].map((i) =>
      withRootLock(root, files, async () => {
        order.push(`in${i}`);
        await new Promise((r) => setTimeout(r, 20));
        order.push(`out${i}`);
      })
    ));
    for (let i = 0; i < order.length; i += 2) {
      assert.equal(order[i].slice(2), order[i + 1].slice(3));
    }
    // A lock nobody has refreshed for a minute: its holder died.
    await Deno.writeTextFile(`${root}/.lock`, `4194305 0 x`);
    const old = new Date(Date.now() - 60_000);
    await Deno.utime(`${root}/.lock`, old, old);
    assert.equal(await withRootLock(root, files, () => Promise.resolve("got it")), "got it");
    await assert.rejects(Deno.stat(`${root}/.lock`));
  });
});
