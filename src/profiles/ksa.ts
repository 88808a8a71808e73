/**
 * Kubernetes TokenRequest: `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` (the real
 * Kubernetes path) and `/apis/authentication.k8s.io/v1/namespaces/{ns}/serviceaccounts/{name}/token`.
 *
 * Request `spec.audiences` (required), `spec.expirationSeconds` (default 3600; below 600 is
 * refused as Kubernetes does; above `max_ttl_seconds` is clamped) and `spec.boundObjectRef`
 * (a Pod, Secret or Node). The token carries `sub = system:serviceaccount:{ns}:{name}`, `aud`
 * as a list, a `jti`, and the `kubernetes.io` claim.
 *
 * With authentication on, the caller's policy rule must list the account in `service_accounts`
 * (`"edge-ns/*"`); denied by default. Audiences: `profiles.kubernetes.audiences` when set, and
 * never a registry service.
 */

import { KeypebbleError, quoteForMessage } from "../errors.ts";
import type { ProfileRequest, Reply } from "./context.ts";
import { rfc3339 } from "./context.ts";
import { mint } from "./mint.ts";
import { authorizeServiceAccount } from "./subject.ts";
import { SERVICE_ACCOUNT_PREFIX } from "./table.ts";

/** RFC 1123 label: what Kubernetes requires of a namespace name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: what Kubernetes requires of a service account, pod or secret name. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const UID = /^[A-Za-z0-9-]{1,64}$/;

const MIN_EXPIRATION = 600;

/** Validate a namespace (RFC 1123 label). */
export function checkNamespace(ns: string): string {
  if (!DNS_LABEL.test(ns)) {
    throw KeypebbleError.answer(
      "invalid_name",
      `Namespace ${quoteForMessage(ns)} is not a valid Kubernetes name`,
    );
  }
  return ns;
}

/** Validate an object name (RFC 1123 subdomain, at most 253 characters). */
export function checkObjectName(name: string, what: string): string {
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw KeypebbleError.answer(
      "invalid_name",
      `${what} ${quoteForMessage(name)} is not a valid Kubernetes name`,
    );
  }
  return name;
}

/** The authorisation step: an authenticated caller needs `service_accounts` in the policy. */
export function authorizeServiceAccountToken(req: ProfileRequest): string {
  const ns = checkNamespace(req.params.ns);
  const name = checkObjectName(req.params.name, "Service account");
  if (req.caller !== null) {
    authorizeServiceAccount(req.policy, { caller: req.caller, namespace: ns, name });
  }
  return `${SERVICE_ACCOUNT_PREFIX}${ns}:${name}`;
}

/** Handle a TokenRequest. */
export async function postServiceAccountToken(req: ProfileRequest): Promise<Reply> {
  const ns = checkNamespace(req.params.ns);
  const name = checkObjectName(req.params.name, "Service account");
  const body = req.json;
  if (body.kind !== undefined && body.kind !== "TokenRequest") {
    throw KeypebbleError.answer("invalid_request", '"kind" must be "TokenRequest"');
  }
  const spec = body.spec;
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw KeypebbleError.answer("invalid_request", '"spec" is required and must be an object');
  }
  const s = spec as Record<string, unknown>;
  const audiences = s.audiences;
  if (
    !Array.isArray(audiences) || audiences.length === 0 || audiences.length > 16 ||
    !audiences.every((a) => typeof a === "string" && a !== "" && a.length <= 256)
  ) {
    throw KeypebbleError.answer(
      "invalid_request",
      '"spec.audiences" is required: a list of 1 to 16 non-empty strings',
    );
  }
  let expiration: number | undefined;
  if (s.expirationSeconds !== undefined && s.expirationSeconds !== null) {
    const e = s.expirationSeconds;
    if (typeof e !== "number" || !Number.isInteger(e)) {
      throw KeypebbleError.answer("invalid_request", '"spec.expirationSeconds" must be an integer');
    }
    if (e < MIN_EXPIRATION) {
      throw KeypebbleError.answer(
        "invalid_request",
        `"spec.expirationSeconds" must be at least ${MIN_EXPIRATION}`,
      );
    }
    expiration = e;
  }
  const k8s: Record<string, unknown> = { namespace: ns, serviceaccount: { name } };
  const bound = s.boundObjectRef;
  let boundOut: Record<string, unknown> | undefined;
  if (bound !== undefined && bound !== null) {
    boundOut = _boundObject(bound);
    const ref: Record<string, string> = { name: boundOut.name as string };
    if (boundOut.uid !== undefined) ref.uid = boundOut.uid as string;
    k8s[(boundOut.kind as string).toLowerCase()] = ref;
  }
  const minted = await mint(req.profiles.kubernetes, {
    now: req.nowSec,
    subject: `${SERVICE_ACCOUNT_PREFIX}${ns}:${name}`,
    audience: audiences as string[],
    own: { "kubernetes.io": k8s },
    ...(expiration === undefined ? {} : { ttlSeconds: expiration }),
    record: req.recordIssue,
  });
  return {
    status: 201,
    json: {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name, namespace: ns, creationTimestamp: rfc3339(req.nowSec) },
      spec: {
        audiences,
        expirationSeconds: minted.ttl,
        boundObjectRef: boundOut ?? null,
      },
      status: { token: minted.token, expirationTimestamp: rfc3339(minted.claims.exp as number) },
    },
  };
}

function _boundObject(v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || Array.isArray(v) || v === null) {
    throw KeypebbleError.answer("invalid_request", '"spec.boundObjectRef" must be an object');
  }
  const o = v as Record<string, unknown>;
  if (o.kind !== "Pod" && o.kind !== "Secret" && o.kind !== "Node") {
    throw KeypebbleError.answer(
      "invalid_request",
      '"spec.boundObjectRef.kind" must be "Pod", "Secret" or "Node"',
    );
  }
  if (typeof o.name !== "string") {
    throw KeypebbleError.answer("invalid_request", '"spec.boundObjectRef.name" is required');
  }
  checkObjectName(o.name, o.kind);
  const out: Record<string, unknown> = {
    kind: o.kind,
    apiVersion: "v1",
    name: o.name,
  };
  if (o.uid !== undefined) {
    if (typeof o.uid !== "string" || !UID.test(o.uid)) {
      throw KeypebbleError.answer(
        "invalid_request",
        '"spec.boundObjectRef.uid" is not a valid UID',
      );
    }
    out.uid = o.uid;
  }
  return out;
}
