/** Signing on behalf of a route: one place that signs, counts and notes what was issued. */

import { JwsSigner } from "../jose/mod.ts";
import type { Keyring } from "../runtime/mod.ts";
import type { RequestContext } from "./context.ts";

/** Signers with another `typ` than the keyring's (e.g. RFC 9068 `at+jwt`), made once per keyring. */
const TYPED = new WeakMap<Keyring, Map<string, Promise<JwsSigner>>>();

function _typedSigner(keyring: Keyring, typ: string): Promise<JwsSigner> {
  let byTyp = TYPED.get(keyring);
  if (byTyp === undefined) TYPED.set(keyring, byTyp = new Map());
  let s = byTyp.get(typ);
  if (s === undefined) {
    const x5c = keyring.signer.header.x5c;
    s = JwsSigner.create(keyring.active, { typ, ...(x5c === undefined ? {} : { x5c: [...x5c] }) });
    byTyp.set(typ, s);
  }
  return s;
}

/** Sign `claims` as an access token with the active key, counting it by kind and algorithm. */
export async function signAccessToken(
  ctx: RequestContext,
  issue: { kind: string; claims: Record<string, unknown>; typ?: string },
): Promise<string> {
  const { kind, claims } = issue;
  const signer = issue.typ === undefined
    ? ctx.rt.keyring.signer
    : await _typedSigner(ctx.rt.keyring, issue.typ);
  const token = await signer.sign(claims);
  ctx.services.metrics.tokensIssued.labels(kind, signer.alg).inc();
  ctx.issued = { kind, alg: signer.alg };
  return token;
}

/** RFC 3339 time (seconds precision, UTC) for seconds since the epoch. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
