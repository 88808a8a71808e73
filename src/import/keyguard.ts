/**
 * `keypebble import keyguard`: organisations, API keys, limits, scopes, active/revoked state and
 * usage history from a keyguard database (keyguard-python 0.3.0) into the store.
 *
 * - Rows keep keyguard's ids, so admin scripts that name a key or organisation by id still do.
 * - Keys keep keyguard's hash (`hash_scheme = keyguard`) and move to ours when first presented
 *   (src/apikeys/imported_keys.ts); `store.keyguard_secret_key_path` must name keyguard's
 *   `secret_key` for them to be found.
 * - Usage (one keyguard row per request) is summed per key and minute into `usage_minutes`;
 *   requests answered 400 or above count as errors, as keyguard's stats count them.
 * - Idempotent: `import_records` remembers each source row and a digest of what was imported. A
 *   second run updates what changed, adds only new usage, never puts back a key hash that has
 *   since moved to our scheme, and revokes keys that are gone from keyguard. A revocation (here or
 *   there) is never undone by an import.
 */

import { KEYGUARD_KEY_SHAPE, sha256Hex } from "../apikeys/imported_keys.ts";
import type { ApiKeyRecord, Org, Store } from "../store/mod.ts";
import type { KeyguardData, KeyguardKey, KeyguardOrg } from "../store/sources/keyguard.ts";
import {
  counts,
  digestOf,
  DryRunRollback,
  hasNoControl,
  type ImportSummary,
  isPrintableAscii,
  type Refusal,
} from "./report.ts";

/** Prefixes keyguard documents, recognised in the stored first 12 characters of a key. */
const KNOWN_PREFIXES = ["kg_live_", "kg_test_"];
/** The stored first 12 characters must be characters an accepted key can start with. */
const STORED_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,11}$/;
const HASH = /^[0-9a-f]{64}$/;
const SCOPE = /^[\x21-\x7e]{1,128}$/;
const SOURCE = "keyguard";

/** Options of {@link importKeyguard}. */
export interface KeyguardImportOptions {
  readonly store: Store;
  readonly data: KeyguardData;
  /** The source, without its password (for the summary). */
  readonly from: string;
  readonly dryRun: boolean;
  /** Seconds since the epoch. */
  readonly now: number;
  /** Prefixes the config accepts (recognised in keyguard's stored prefixes too). */
  readonly acceptedPrefixes?: readonly string[];
}

/**
 * Import a keyguard database's data (already read) into the store, in one transaction (rolled
 * back for a dry run). Resolves to the summary.
 */
export async function importKeyguard(options: KeyguardImportOptions): Promise<ImportSummary> {
  const { data, now } = options;
  const summary: ImportSummary = {
    source: SOURCE,
    from: options.from,
    store: options.store.source,
    dry_run: options.dryRun,
    counts: { organizations: counts(), keys: counts(), usage_minutes: counts() },
    refused: [],
    notes: [],
  };
  const refuse = (r: Refusal, kind: keyof typeof summary.counts) => {
    summary.refused.push(r);
    summary.counts[kind].refused++;
  };
  const known = [...KNOWN_PREFIXES, ...(options.acceptedPrefixes ?? [])];
  try {
    await options.store.transaction(async (tx) => {
      // ---- organisations ---------------------------------------------------------------------
      const orgRecords = new Map(
        (await tx.imports.records(SOURCE, "org")).map((r) => [r.sourceId, r]),
      );
      const imported = new Set<string>();
      const namesSeen = new Map<string, string>();
      for (const o of data.orgs) {
        const problem = _orgProblem(o);
        if (problem !== undefined) {
          refuse(
            { kind: "organization", id: o.id, name: o.name.slice(0, 64), reason: problem },
            "organizations",
          );
          continue;
        }
        const name = o.name.trim();
        const twin = namesSeen.get(name);
        if (twin !== undefined) {
          refuse({
            kind: "organization",
            id: o.id,
            name,
            reason: `keyguard holds another organisation with this name (${twin})`,
          }, "organizations");
          continue;
        }
        const rec = orgRecords.get(o.id);
        const byId = await tx.orgs.byId(o.id);
        if (byId !== undefined && rec === undefined) {
          refuse({
            kind: "organization",
            id: o.id,
            name,
            reason: "an organisation with this id exists here and was not imported from keyguard",
          }, "organizations");
          continue;
        }
        const byName = await tx.orgs.byName(name);
        if (byName !== undefined && byName.id !== o.id) {
          refuse({
            kind: "organization",
            id: o.id,
            name,
            reason: `the name is taken here by organisation ${byName.id}`,
          }, "organizations");
          continue;
        }
        namesSeen.set(name, o.id);
        const org: Org = {
          id: o.id,
          name,
          // keyguard lets only "active" organisations' keys through.
          status: o.status === "active" ? "active" : "suspended",
          createdAt: o.createdAt ?? now,
        };
        const digest = digestOf({ name: org.name, status: org.status });
        if (rec === undefined) summary.counts.organizations.created++;
        else if (rec.digest !== digest) summary.counts.organizations.updated++;
        else summary.counts.organizations.unchanged++;
        await tx.imports.upsertOrg(org);
        await tx.imports.putRecord({
          source: SOURCE,
          kind: "org",
          sourceId: o.id,
          localId: o.id,
          digest,
          secretDigest: null,
          importedAt: now,
        });
        imported.add(o.id);
      }
      for (const r of orgRecords.values()) {
        if (!data.orgs.some((o) => o.id === r.sourceId)) {
          summary.notes.push(
            `organisation ${r.localId} was imported before and is gone from keyguard; it is ` +
              `kept here (its keys are revoked below)`,
          );
        }
      }

      // ---- keys ------------------------------------------------------------------------------
      const keyRecords = new Map(
        (await tx.imports.records(SOURCE, "key")).map((r) => [r.sourceId, r]),
      );
      const keysImported = new Set<string>();
      let quotas = 0;
      let expiring = 0;
      for (const k of data.keys) {
        const name = k.label.slice(0, 64);
        if (!imported.has(k.orgId)) {
          refuse({
            kind: "key",
            id: k.id,
            name,
            reason: `its organisation ${k.orgId} was not imported`,
          }, "keys");
          continue;
        }
        const built = _key(k, known, now);
        if ("problem" in built) {
          refuse({ kind: "key", id: k.id, name, reason: built.problem }, "keys");
          continue;
        }
        const rec = keyRecords.get(k.id);
        const existing = await tx.apiKeys.byId(k.id);
        if (existing !== undefined && (rec === undefined || existing.origin !== "keyguard")) {
          refuse({
            kind: "key",
            id: k.id,
            name,
            reason: "a key with this id exists here and was not imported from keyguard",
          }, "keys");
          continue;
        }
        const twin = await tx.apiKeys.byHashes([{ scheme: "keyguard", hash: built.key.hash }]);
        if (twin !== undefined && twin.id !== k.id) {
          refuse({
            kind: "key",
            id: k.id,
            name,
            reason: `key ${twin.id} here has the same keyguard hash`,
          }, "keys");
          continue;
        }
        const secretDigest = sha256Hex(built.key.hash);
        const digest = digestOf({ ...built.key, createdAt: 0, revokedAt: null, lastUsedAt: 0 });
        const keepSecret = existing !== undefined && rec?.secretDigest === secretDigest;
        if (rec === undefined || existing === undefined) summary.counts.keys.created++;
        else if (rec.digest !== digest || !keepSecret) summary.counts.keys.updated++;
        else summary.counts.keys.unchanged++;
        await tx.imports.upsertKey(built.key, { keepSecret });
        await tx.imports.putRecord({
          source: SOURCE,
          kind: "key",
          sourceId: k.id,
          localId: k.id,
          digest,
          secretDigest,
          importedAt: now,
        });
        keysImported.add(k.id);
        if (built.key.monthlyQuota !== null) quotas++;
        if (built.key.expiresAt !== null) expiring++;
      }
      // Keys gone from keyguard (deleted there, or their organisation was): revoked here.
      let removed = 0;
      for (const r of keyRecords.values()) {
        if (data.keys.some((k) => k.id === r.sourceId)) continue;
        if (await tx.apiKeys.revoke(r.localId, now)) removed++;
      }
      summary.counts.keys.removed = removed;
      if (quotas > 0) {
        summary.notes.push(
          `${quotas} key(s) carry keyguard's monthly_limit, which keyguard stores but never ` +
            `enforces; Keypebble enforces it as the key's monthly quota`,
        );
      }
      if (expiring > 0) {
        summary.notes.push(
          `${expiring} key(s) carry an expires_at, which keyguard never checks; Keypebble refuses ` +
            `them once it has passed`,
        );
      }

      // ---- usage -----------------------------------------------------------------------------
      const usageRecords = new Map(
        (await tx.imports.records(SOURCE, "usage")).map((r) => [r.sourceId, r]),
      );
      let orphaned = 0;
      for (const u of data.usage) {
        if (!keysImported.has(u.keyId)) {
          orphaned += u.requests;
          continue;
        }
        const id = `${u.keyId}@${u.minute}`;
        const rec = usageRecords.get(id);
        const [doneReq, doneErr] = rec === undefined ? [0, 0] : rec.digest.split("/").map(Number);
        const addReq = Math.max(0, u.requests - doneReq);
        const addErr = Math.max(0, u.errors - doneErr);
        if (addReq === 0 && addErr === 0) {
          summary.counts.usage_minutes.unchanged++;
          continue;
        }
        if (rec === undefined) summary.counts.usage_minutes.created++;
        else summary.counts.usage_minutes.updated++;
        await tx.usage.add([{
          keyId: u.keyId,
          minute: u.minute,
          requests: addReq,
          errors: addErr,
          lastUsedAt: u.last,
        }]);
        await tx.imports.putRecord({
          source: SOURCE,
          kind: "usage",
          sourceId: id,
          localId: u.keyId,
          digest: `${Math.max(u.requests, doneReq)}/${Math.max(u.errors, doneErr)}`,
          secretDigest: null,
          importedAt: now,
        });
      }
      if (orphaned > 0) {
        summary.notes.push(`${orphaned} request(s) of keys that were not imported were left out`);
      }
      if (data.usageWithoutTime > 0) {
        summary.notes.push(
          `${data.usageWithoutTime} usage row(s) without a readable timestamp were left out`,
        );
      }
      if (options.dryRun) throw new DryRunRollback();
    });
  } catch (e) {
    if (!(e instanceof DryRunRollback)) throw e;
  }
  return summary;
}

function _orgProblem(o: KeyguardOrg): string | undefined {
  const name = o.name.trim();
  if (name === "") return "the name is empty";
  if (name.length > 255) return "the name is longer than 255 characters";
  // The name travels in X-Auth-Org on every /forward-auth answer: header-safe characters only.
  if (!isPrintableAscii(name)) {
    return "the name has characters outside printable ASCII (it is sent in HTTP headers)";
  }
  return undefined;
}

function _key(
  k: KeyguardKey,
  known: readonly string[],
  now: number,
): { key: ApiKeyRecord } | { problem: string } {
  const hash = k.keyHash.toLowerCase();
  if (!HASH.test(hash)) return { problem: "key_hash is not a hex SHA-256 (not keyguard's)" };
  const label = k.label.trim();
  if (label === "" || label.length > 255 || !hasNoControl(label)) {
    return { problem: "the label must be 1 to 255 characters without control characters" };
  }
  if (!STORED_PREFIX.test(k.prefix)) {
    return {
      problem: `the key starts with "${k.prefix.slice(0, 12)}": only letters, digits, "_", "." ` +
        `and "-" are accepted in a key's prefix`,
    };
  }
  let scopes: string[] = [];
  if (k.scopes !== null && k.scopes !== undefined) {
    if (!Array.isArray(k.scopes) || !k.scopes.every((s) => typeof s === "string")) {
      return { problem: "scopes is not a JSON list of strings" };
    }
    scopes = [...new Set(k.scopes as string[])];
    const bad = scopes.find((s) => !SCOPE.test(s));
    if (bad !== undefined) {
      return {
        problem: `scope "${bad.slice(0, 40)}" is not 1 to 128 printable ASCII characters ` +
          `without spaces`,
      };
    }
  }
  const limit = (v: number | null, what: string): number | null | string => {
    if (v === null) return null;
    if (!Number.isInteger(v) || v < 1 || v > 1e9) return `${what} ${v} is not a positive integer`;
    return v;
  };
  const rate = limit(k.rateLimitPerMinute, "rate_limit_per_minute");
  if (typeof rate === "string") return { problem: rate };
  const quota = limit(k.monthlyLimit, "monthly_limit");
  if (typeof quota === "string") return { problem: quota };
  const prefix = known.find((p) => k.prefix.startsWith(p)) ??
    // Unknown prefix: up to the first "_" (corrected from the key itself when it is presented).
    (/^[^_]+_/.exec(k.prefix)?.[0] ?? k.prefix);
  if (!KEYGUARD_KEY_SHAPE.test(`${k.prefix}${"A".repeat(43)}`)) {
    return { problem: "the key's prefix cannot be presented in an accepted shape" };
  }
  return {
    key: {
      id: k.id,
      reach: "org",
      orgId: k.orgId,
      label,
      prefix,
      displayPrefix: k.prefix,
      hash,
      hashScheme: "keyguard",
      origin: "keyguard",
      scopes,
      claims: {},
      audiences: [],
      rateLimitPerMinute: rate,
      monthlyQuota: quota,
      expiresAt: k.expiresAt,
      createdAt: k.createdAt ?? now,
      lastUsedAt: k.lastUsedAt,
      status: k.isActive ? "active" : "revoked",
      revokedAt: k.isActive ? null : now,
      replacedBy: null,
    },
  };
}
