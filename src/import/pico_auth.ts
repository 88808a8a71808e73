/**
 * `keypebble import pico-auth`: accounts, roles, organisations, groups and members, service
 * tokens and live refresh tokens from a pico-auth database (pico-auth 0.3.0) into the store.
 *
 * - Accounts keep pico-auth's ids (the `sub` of the tokens it issued) and their bcrypt hashes,
 *   which move to PBKDF2 at the next login (src/accounts/passwords.ts).
 * - Organisations are pico-auth's `org_id` strings, as accounts and groups name them here; the
 *   organisations of service tokens are created in the API-key store by that name.
 * - Service tokens become API keys (label = name, scope `service`, claim `service_role`, as
 *   src/accounts/service_tokens.ts makes them) that keep pico-auth's hash (`hash_scheme =
 *   sha256`) and move to ours when first presented.
 * - Refresh tokens that have not expired keep their SHA-256 hash; each starts a rotation family
 *   (`pico-auth:<id>`) and rotates into one of ours when presented (src/accounts/service.ts).
 * - Idempotent as the keyguard import is (`import_records`): a changed source row updates ours,
 *   a password changed in pico-auth since replaces ours, one unchanged there never replaces a
 *   hash that has moved to PBKDF2; service and refresh tokens gone from pico-auth are revoked
 *   here, and memberships gone from it are removed.
 */

import { PICO_SERVICE_TOKEN_PREFIX, sha256Hex } from "../apikeys/imported_keys.ts";
import { isAcceptedHash } from "../accounts/passwords.ts";
import { isRole } from "../accounts/roles.ts";
import { normaliseEmail } from "../accounts/service.ts";
import { SERVICE_SCOPE } from "../accounts_api/service_tokens.ts";
import type { ApiKeyRecord, Role, Store, UserRecord } from "../store/mod.ts";
import type { PicoAuthData } from "../store/sources/pico_auth.ts";
import {
  counts,
  digestOf,
  DryRunRollback,
  hasNoControl,
  type ImportSummary,
  type Refusal,
} from "./report.ts";

const SOURCE = "pico-auth";
const HASH = /^[0-9a-f]{64}$/;
/** Organisation names accounts accept (src/accounts/service.ts). */
const ORG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Options of {@link importPicoAuth}. */
export interface PicoAuthImportOptions {
  readonly store: Store;
  readonly data: PicoAuthData;
  readonly from: string;
  readonly dryRun: boolean;
  /** Seconds since the epoch. */
  readonly now: number;
}

/**
 * Import a pico-auth database's data (already read) into the store, in one transaction (rolled
 * back for a dry run). Resolves to the summary.
 */
export async function importPicoAuth(options: PicoAuthImportOptions): Promise<ImportSummary> {
  const { data, now } = options;
  const summary: ImportSummary = {
    source: SOURCE,
    from: options.from,
    store: options.store.source,
    dry_run: options.dryRun,
    counts: {
      organizations: counts(),
      users: counts(),
      groups: counts(),
      members: counts(),
      service_tokens: counts(),
      refresh_tokens: counts(),
    },
    refused: [],
    notes: [],
  };
  const refuse = (r: Refusal, kind: string) => {
    summary.refused.push(r);
    summary.counts[kind].refused++;
  };
  try {
    await options.store.transaction(async (tx) => {
      // ---- accounts --------------------------------------------------------------------------
      const userRecords = new Map(
        (await tx.imports.records(SOURCE, "user")).map((r) => [r.sourceId, r]),
      );
      const users = new Set<string>();
      for (const u of data.users) {
        const name = u.email.slice(0, 64);
        let email: string;
        try {
          email = normaliseEmail(u.email);
        } catch {
          refuse(
            { kind: "user", id: u.id, name, reason: "the e-mail address is not valid" },
            "users",
          );
          continue;
        }
        const problem = _userProblem(u.id, u.passwordHash, u.role, u.orgId);
        if (problem !== undefined) {
          refuse({ kind: "user", id: u.id, name: email, reason: problem }, "users");
          continue;
        }
        const rec = userRecords.get(u.id);
        const existing = await tx.users.byId(u.id);
        if (existing !== undefined && rec === undefined) {
          refuse({
            kind: "user",
            id: u.id,
            name: email,
            reason: "an account with this id exists here and was not imported from pico-auth",
          }, "users");
          continue;
        }
        const twin = await tx.users.byEmail(email);
        if (twin !== undefined && twin.id !== u.id) {
          refuse({
            kind: "user",
            id: u.id,
            name: email,
            reason: `the e-mail address is taken here by account ${twin.id}`,
          }, "users");
          continue;
        }
        const displayName = [...u.displayName.normalize("NFC").trim()].filter((c) =>
          hasNoControl(c)
        ).slice(0, 128).join("");
        const user: UserRecord = {
          id: u.id,
          email,
          username: existing?.username ?? null,
          displayName,
          passwordHash: u.passwordHash,
          role: u.role as Role,
          orgId: u.orgId,
          // pico-auth refuses only "suspended" at login; anything but "active" is closed here.
          status: u.status === "active" ? "active" : "suspended",
          mustChangePassword: existing?.mustChangePassword ?? false,
          createdAt: u.createdAt ?? now,
          updatedAt: now,
          lastLoginAt: u.lastLoginAt,
        };
        const secretDigest = sha256Hex(u.passwordHash);
        const digest = digestOf({
          email,
          displayName,
          role: user.role,
          orgId: user.orgId,
          status: user.status,
        });
        const keepPassword = existing !== undefined && rec?.secretDigest === secretDigest;
        if (rec === undefined || existing === undefined) summary.counts.users.created++;
        else if (rec.digest !== digest || !keepPassword) summary.counts.users.updated++;
        else summary.counts.users.unchanged++;
        await tx.imports.upsertUser(user, { keepPassword });
        if (!keepPassword && existing !== undefined) {
          // A password changed in pico-auth: its sessions there were ended, so are ours.
          await tx.refreshTokens.revokeUser(u.id, now);
        }
        await tx.imports.putRecord({
          source: SOURCE,
          kind: "user",
          sourceId: u.id,
          localId: u.id,
          digest,
          secretDigest,
          importedAt: now,
        });
        users.add(u.id);
      }
      for (const r of userRecords.values()) {
        if (!data.users.some((u) => u.id === r.sourceId)) {
          summary.notes.push(
            `account ${r.localId} was imported before and is gone from pico-auth; it is kept ` +
              `here (suspend it with the admin API if it should not log in)`,
          );
        }
      }

      // ---- organisations ---------------------------------------------------------------------
      // pico-auth's organisations are the names its accounts, groups and service tokens carry;
      // each gets a row here (API keys need one; /admin/orgs lists them).
      const orgIds = new Map<string, string>();
      const names = new Set([
        ...data.users.filter((u) => users.has(u.id)).map((u) => u.orgId),
        ...data.groups.map((g) => g.orgId),
        ...data.serviceTokens.map((t) => t.orgId),
      ]);
      for (const name of [...names].sort()) {
        if (!ORG.test(name)) continue; // the rows naming it are refused below
        const org = await tx.orgs.byName(name);
        if (org !== undefined) {
          orgIds.set(name, org.id);
          summary.counts.organizations.unchanged++;
          continue;
        }
        const id = crypto.randomUUID();
        await tx.imports.upsertOrg({ id, name, status: "active", createdAt: now });
        orgIds.set(name, id);
        summary.counts.organizations.created++;
      }

      // ---- groups ----------------------------------------------------------------------------
      const groupRecords = new Map(
        (await tx.imports.records(SOURCE, "group")).map((r) => [r.sourceId, r]),
      );
      const groups = new Set<string>();
      for (const g of data.groups) {
        const name = g.name.normalize("NFC").trim();
        let problem: string | undefined;
        if (name === "" || name.length > 128 || !hasNoControl(name)) {
          problem = "the name must be 1 to 128 characters without control characters";
        } else if (g.description.length > 1024) {
          problem = "the description is longer than 1024 characters";
        } else if (!ORG.test(g.orgId)) {
          problem = `the organisation "${g.orgId.slice(0, 64)}" is not a name accounts accept`;
        }
        const rec = groupRecords.get(g.id);
        const existing = await tx.groups.byId(g.id);
        if (problem === undefined && existing !== undefined && rec === undefined) {
          problem = "a group with this id exists here and was not imported from pico-auth";
        }
        if (problem === undefined) {
          const twin = (await tx.groups.list({ orgId: g.orgId })).find((x) =>
            x.name === name && x.id !== g.id
          );
          if (twin !== undefined) problem = `group ${twin.id} here has the same name`;
        }
        if (problem !== undefined) {
          refuse({ kind: "group", id: g.id, name: name.slice(0, 64), reason: problem }, "groups");
          continue;
        }
        const digest = digestOf({ name, description: g.description, orgId: g.orgId });
        if (rec === undefined || existing === undefined) summary.counts.groups.created++;
        else if (rec.digest !== digest) summary.counts.groups.updated++;
        else summary.counts.groups.unchanged++;
        await tx.imports.upsertGroup({
          id: g.id,
          name,
          description: g.description,
          orgId: g.orgId,
          createdAt: g.createdAt ?? now,
          updatedAt: g.updatedAt ?? now,
        });
        await tx.imports.putRecord({
          source: SOURCE,
          kind: "group",
          sourceId: g.id,
          localId: g.id,
          digest,
          secretDigest: null,
          importedAt: now,
        });
        groups.add(g.id);
      }

      // ---- members ---------------------------------------------------------------------------
      const memberRecords = new Map(
        (await tx.imports.records(SOURCE, "member")).map((r) => [r.sourceId, r]),
      );
      const seen = new Set<string>();
      for (const m of data.members) {
        const id = `${m.groupId}:${m.userId}`;
        seen.add(id);
        if (!groups.has(m.groupId) || !users.has(m.userId)) {
          refuse({
            kind: "member",
            id,
            reason: groups.has(m.groupId)
              ? `account ${m.userId} was not imported`
              : `group ${m.groupId} was not imported`,
          }, "members");
          continue;
        }
        const added = await tx.groups.addMember(m.groupId, m.userId, m.joinedAt ?? now);
        if (added) summary.counts.members.created++;
        else summary.counts.members.unchanged++;
        await tx.imports.putRecord({
          source: SOURCE,
          kind: "member",
          sourceId: id,
          localId: id,
          digest: "1",
          secretDigest: null,
          importedAt: now,
        });
      }
      let gone = 0;
      for (const r of memberRecords.values()) {
        if (seen.has(r.sourceId)) continue;
        const [groupId, userId] = r.sourceId.split(":");
        if (await tx.groups.removeMember(groupId, userId)) gone++;
        await tx.imports.dropRecord(SOURCE, "member", r.sourceId);
      }
      summary.counts.members.removed = gone;

      // ---- service tokens (API keys) ---------------------------------------------------------
      const tokenRecords = new Map(
        (await tx.imports.records(SOURCE, "service_token")).map((r) => [r.sourceId, r]),
      );
      for (const t of data.serviceTokens) {
        const hash = t.tokenHash.toLowerCase();
        let problem: string | undefined;
        if (!HASH.test(hash)) problem = "token_hash is not a hex SHA-256 (not pico-auth's)";
        else if (!isRole(t.role)) problem = `the role "${t.role.slice(0, 20)}" is not known`;
        else if (!ORG.test(t.orgId)) {
          problem = `the organisation "${t.orgId.slice(0, 64)}" is not a name keys accept`;
        } else if (t.name === "" || t.name.length > 128 || !hasNoControl(t.name)) {
          problem = "the name must be 1 to 128 characters without control characters";
        }
        const rec = tokenRecords.get(t.id);
        const existing = await tx.apiKeys.byId(t.id);
        if (
          problem === undefined && existing !== undefined &&
          (rec === undefined || existing.origin !== "pico-auth")
        ) {
          problem = "a key with this id exists here and was not imported from pico-auth";
        }
        if (problem === undefined) {
          const twin = await tx.apiKeys.byHashes([{ scheme: "sha256", hash }]);
          if (twin !== undefined && twin.id !== t.id) {
            problem = `key ${twin.id} here has the same hash`;
          }
        }
        if (problem !== undefined) {
          refuse(
            { kind: "service_token", id: t.id, name: t.name.slice(0, 64), reason: problem },
            "service_tokens",
          );
          continue;
        }
        const key: ApiKeyRecord = {
          id: t.id,
          reach: "org",
          orgId: orgIds.get(t.orgId)!,
          label: t.name,
          prefix: PICO_SERVICE_TOKEN_PREFIX,
          displayPrefix: PICO_SERVICE_TOKEN_PREFIX,
          hash,
          hashScheme: "sha256",
          origin: "pico-auth",
          scopes: [SERVICE_SCOPE],
          claims: { service_role: t.role },
          audiences: [],
          rateLimitPerMinute: null,
          monthlyQuota: null,
          expiresAt: null,
          createdAt: t.createdAt ?? now,
          lastUsedAt: null,
          status: t.revokedAt === null ? "active" : "revoked",
          revokedAt: t.revokedAt,
          replacedBy: null,
        };
        const secretDigest = sha256Hex(hash);
        const digest = digestOf({ name: t.name, role: t.role, org: t.orgId, status: key.status });
        const keepSecret = existing !== undefined && rec?.secretDigest === secretDigest;
        if (rec === undefined || existing === undefined) summary.counts.service_tokens.created++;
        else if (rec.digest !== digest || !keepSecret) summary.counts.service_tokens.updated++;
        else summary.counts.service_tokens.unchanged++;
        await tx.imports.upsertKey(key, { keepSecret });
        await tx.imports.putRecord({
          source: SOURCE,
          kind: "service_token",
          sourceId: t.id,
          localId: t.id,
          digest,
          secretDigest,
          importedAt: now,
        });
      }
      let revokedTokens = 0;
      for (const r of tokenRecords.values()) {
        if (data.serviceTokens.some((t) => t.id === r.sourceId)) continue;
        if (await tx.apiKeys.revoke(r.localId, now)) revokedTokens++;
      }
      summary.counts.service_tokens.removed = revokedTokens;
      if (data.serviceTokens.some((t) => t.description !== "")) {
        summary.notes.push(
          "service token descriptions are not kept (Keypebble's keys have a label only)",
        );
      }

      // ---- refresh tokens --------------------------------------------------------------------
      const refreshRecords = new Map(
        (await tx.imports.records(SOURCE, "refresh_token")).map((r) => [r.sourceId, r]),
      );
      let expired = 0;
      const live = new Set<string>();
      for (const t of data.refreshTokens) {
        const hash = t.tokenHash.toLowerCase();
        let problem: string | undefined;
        if (!HASH.test(hash)) problem = "token_hash is not a hex SHA-256 (not pico-auth's)";
        else if (!users.has(t.userId)) problem = `account ${t.userId} was not imported`;
        else if (t.expiresAt === null) problem = "expires_at is not a time";
        if (problem !== undefined) {
          refuse({ kind: "refresh_token", id: t.id, reason: problem }, "refresh_tokens");
          continue;
        }
        if (t.expiresAt! <= now) {
          expired++;
          continue;
        }
        live.add(t.id);
        const inserted = await tx.imports.insertRefreshToken({
          hash,
          familyId: `pico-auth:${t.id}`,
          userId: t.userId,
          clientId: null,
          scope: null,
          createdAt: t.createdAt ?? now,
          expiresAt: t.expiresAt!,
          usedAt: null,
          revokedAt: null,
          origin: "pico-auth",
        });
        if (inserted) summary.counts.refresh_tokens.created++;
        else summary.counts.refresh_tokens.unchanged++;
        await tx.imports.putRecord({
          source: SOURCE,
          kind: "refresh_token",
          sourceId: t.id,
          localId: hash,
          digest: "1",
          secretDigest: null,
          importedAt: now,
        });
      }
      summary.counts.refresh_tokens.skipped = expired;
      // Gone from pico-auth (rotated or ended there since the last import): no longer valid here.
      let revokedRefresh = 0;
      for (const r of refreshRecords.values()) {
        if (live.has(r.sourceId)) continue;
        if (await tx.imports.revokeRefreshToken(r.localId, now)) revokedRefresh++;
        await tx.imports.dropRecord(SOURCE, "refresh_token", r.sourceId);
      }
      summary.counts.refresh_tokens.removed = revokedRefresh;
      if (data.emailCredentials > 0) {
        summary.notes.push(
          `${data.emailCredentials} e-mail credential(s) were not imported (Keypebble has no ` +
            `e-mail credential store)`,
        );
      }
      if (options.dryRun) throw new DryRunRollback();
    });
  } catch (e) {
    if (!(e instanceof DryRunRollback)) throw e;
  }
  return summary;
}

function _userProblem(
  id: string,
  passwordHash: string,
  role: string,
  orgId: string,
): string | undefined {
  if (id === "" || id.length > 64 || !/^[\x21-\x7e]+$/.test(id)) {
    return "the id is not 1 to 64 printable characters";
  }
  if (!isAcceptedHash(passwordHash)) {
    return "the password hash is not bcrypt ($2a$, $2b$, $2y$) nor another accepted scheme";
  }
  if (!isRole(role)) return `the role "${role.slice(0, 20)}" is not known`;
  if (!ORG.test(orgId)) {
    return `the organisation "${orgId.slice(0, 64)}" is not a name accounts accept`;
  }
  return undefined;
}
