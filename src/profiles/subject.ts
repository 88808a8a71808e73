/**
 * Who a token is about. With authentication required, the subject is the caller, unless the
 * policy's `subjects` list for that caller allows the name asked for (`"*"` allows any).
 */

import { KeypebbleError } from "../errors.ts";
import type { Caller } from "../identity/mod.ts";
import { userRule } from "../policy/mod.ts";
import type { RequestContext } from "../http/context.ts";

/** Decide the `sub` for a token: `requested` when allowed, else the caller, else `fallback`. */
export function chooseSubject(
  ctx: RequestContext,
  input: { caller: Caller | null; requested: unknown; fallback?: string },
): string | undefined {
  const { caller, requested, fallback } = input;
  if (
    requested !== undefined && (typeof requested !== "string" || requested === "" ||
      requested.length > 256)
  ) {
    throw new KeypebbleError(
      "invalid_claims",
      'Claim "sub" must be a string of 1 to 256 characters',
    );
  }
  if (caller === null) return (requested as string | undefined) ?? fallback;
  if (requested === undefined || requested === caller.subject) return caller.subject;
  const rule = ctx.rt.policy === undefined ? undefined : userRule(ctx.rt.policy, caller.subject);
  const allowed = rule?.subjects ?? [];
  if (allowed.includes("*") || allowed.includes(requested as string)) return requested as string;
  throw new KeypebbleError(
    "forbidden",
    `Caller "${caller.subject}" may not issue tokens for another subject`,
  );
}
