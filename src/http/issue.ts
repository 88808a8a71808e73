/** Signing on behalf of a route: one place that signs, counts and notes what was issued. */

import type { RequestContext } from "./context.ts";

/** Sign `claims` as an access token with the active key, counting it by kind and algorithm. */
export async function signAccessToken(
  ctx: RequestContext,
  issue: { kind: string; claims: Record<string, unknown> },
): Promise<string> {
  const { kind, claims } = issue;
  const signer = ctx.rt.keyring.signer;
  const token = await signer.sign(claims);
  ctx.services.metrics.tokensIssued.labels(kind, signer.alg).inc();
  ctx.issued = { kind, alg: signer.alg };
  return token;
}

/** RFC 3339 time (seconds precision, UTC) for seconds since the epoch. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
