/**
 * The real keyguard (The-honoured1/keyguard, keyguard-python) serving the app its README and
 * integration guide build: its middleware on `/api`, its admin router on `/admin`, a `/public`
 * route, and `/login` behind `rate_limit_by_ip`. Checked out of the snapshot at test time and
 * run on Debian's Python with uvicorn (see tests/helpers/peers.ts); nothing of it is committed.
 */

import { checkout, peerGitDir, PYTHON, pythonDeps } from "../helpers/peers.ts";
import { collectLines, freePort } from "../helpers/process.ts";

/** The app, in keyguard's README's own words (request.state.api_key, rate_limit_by_ip). */
const APP = `
import os
from contextlib import asynccontextmanager
from fastapi import Depends, FastAPI, Request
from keyguard import KeyGuard, KeyGuardConfig, KeyGuardMiddleware, rate_limit_by_ip
from keyguard.api.admin import create_admin_router

kg = KeyGuard(KeyGuardConfig(secret_key=os.environ["KG_SECRET"], database_url=os.environ["KG_DB"]))

@asynccontextmanager
async def lifespan(app):
    await kg.init_db()
    yield
    await kg.engine.dispose()

app = FastAPI(lifespan=lifespan)
app.add_middleware(KeyGuardMiddleware, kg_instance=kg, protected_path="/api")
app.include_router(create_admin_router(kg), prefix="/admin")

@app.get("/api/data")
async def data(request: Request):
    key = request.state.api_key
    return {"org_id": key.org_id, "key_label": key.label, "scopes": key.scopes}

@app.get("/public")
async def public():
    return {"message": "public"}

@app.post("/login", dependencies=[Depends(rate_limit_by_ip(kg, limit=3, window=60, lockout=86400))])
async def login():
    return {"message": "Login successful"}
`;

/** A running keyguard app. */
export interface KeyguardApp {
  readonly url: string;
  readonly lines: string[];
  stop(): Promise<void>;
}

/** Check keyguard out and start its app on a free port with `secret` as its admin key. */
export async function startKeyguardApp(dir: string, secret: string): Promise<KeyguardApp> {
  const git = await peerGitDir("The-honoured1/keyguard");
  await checkout(git, "HEAD", ["keyguard"], `${dir}/src`);
  await Deno.writeTextFile(`${dir}/src/kg_app.py`, APP);
  const pythonPath = [`${dir}/src`, await pythonDeps()];
  const port = freePort();
  const child = new Deno.Command(PYTHON, {
    args: ["-m", "uvicorn", "kg_app:app", "--host", "127.0.0.1", "--port", String(port)],
    cwd: `${dir}/src`,
    env: {
      PYTHONPATH: pythonPath.join(":"),
      PYTHONDONTWRITEBYTECODE: "1",
      KG_SECRET: secret,
      KG_DB: `sqlite+aiosqlite:///${dir}/keyguard.db`,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const { lines, done } = collectLines(child);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await done;
  };
  for (let i = 0;; i++) {
    try {
      const r = await fetch(`${url}/public`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (i > 150) {
      await stop();
      throw new Error(`keyguard's app did not start:\n${lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, lines, stop };
}
