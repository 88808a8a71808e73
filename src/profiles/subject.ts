/**
 * Authorisation steps the route table names: who a token may be about.
 *
 * - With an authenticated caller, `sub` is the caller, unless the policy's `subjects` list for
 *   that caller allows the name asked for (`"*"` allows any).
 * - A Kubernetes service-account token for `ns/name` needs a `service_accounts` entry matching
 *   `ns/name` in the caller's policy rule (globs as for repositories). Denied by default.
 */

import { KeypebbleError, quoteForMessage } from "../errors.ts";
import type { Caller } from "../identity/mod.ts";
import { type Policy, serviceAccountAllowed, userRule } from "../policy/mod.ts";

/** Decide the `sub` for a token: `requested` when allowed, else the caller, else `fallback`. */
export function chooseSubject(
  policy: Policy | undefined,
  input: { caller: Caller | null; requested: unknown; fallback?: string },
): string | undefined {
  const { caller, requested, fallback } = input;
  if (
    requested !== undefined && (typeof requested !== "string" || requested === "" ||
      requested.length > 256)
  ) {
    throw KeypebbleError.answer(
      "invalid_claims",
      'Claim "sub" must be a string of 1 to 256 characters',
    );
  }
  if (caller === null) return (requested as string | undefined) ?? fallback;
  if (requested === undefined || requested === caller.subject) return caller.subject;
  const rule = policy === undefined ? undefined : userRule(policy, caller.subject);
  const allowed = rule?.subjects ?? [];
  if (allowed.includes("*") || allowed.includes(requested as string)) return requested as string;
  throw KeypebbleError.answer(
    "forbidden",
    `Caller ${quoteForMessage(caller.subject)} may not issue tokens for another subject`,
  );
}

/** Allow an authenticated caller to mint for service account `ns/name` only per policy. */
export function authorizeServiceAccount(
  policy: Policy | undefined,
  input: { caller: Caller; namespace: string; name: string },
): void {
  const { caller, namespace, name } = input;
  if (policy !== undefined && serviceAccountAllowed(policy, caller.subject, namespace, name)) {
    return;
  }
  throw KeypebbleError.answer(
    "forbidden",
    `Caller ${quoteForMessage(caller.subject)} may not mint tokens for service account ${
      quoteForMessage(`${namespace}/${name}`)
    }`,
  );
}
