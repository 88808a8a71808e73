/**
 * An in-process Keypebble with accounts (issue 13): API keys and accounts over one in-memory
 * SQLite store, cheap PBKDF2 for speed, an adjustable clock, and helpers to log in.
 */

import { AccountService } from "../../src/accounts/service.ts";
import type { AccountsConfig } from "../../src/config/mod.ts";
import type { Limits } from "../../src/limits/mod.ts";
import type { Role } from "../../src/store/mod.ts";
import { makeKeyInstance } from "./api_keys.ts";
import type { KeyTestInstance } from "./api_keys.ts";
import { makeTestHandler } from "./handler.ts";

/** A test instance with accounts. */
export interface AccountTestInstance extends KeyTestInstance {
  readonly accounts: AccountService;
  /** POST JSON. */
  postJson(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Create an account directly and log it in; resolves to its access and refresh tokens. */
  user(
    email: string,
    options?: { role?: Role; orgId?: string; password?: string },
  ): Promise<{ id: string; access: string; refresh: string; password: string }>;
}

/** The accounts section tests use unless told otherwise. */
export const TEST_ACCOUNTS: AccountsConfig = {
  registration: "open",
  passwordMinLength: 8,
  adminEmail: "admin@example.test",
  defaultOrg: "default",
  accessTtlSeconds: 900,
  refreshTtlSeconds: 86_400,
};

/** Build an instance with a bootstrap admin whose password is `admin-password-1`. */
export async function makeAccountInstance(
  options: {
    extraYaml?: string;
    accounts?: Partial<AccountsConfig>;
    fetchJwks?: typeof fetch;
    limits?: Limits;
    /** The store (default: a private in-memory SQLite). */
    storeUrl?: string;
    /** The config's top-level `audience` (default `kp-api`). */
    audience?: string;
    /** More files the config names (a policy). */
    files?: Record<string, string>;
  } = {},
): Promise<AccountTestInstance> {
  const clock = { t: Date.UTC(2026, 5, 10, 12, 0, 5) };
  const base = await makeKeyInstance({
    clock,
    ...(options.storeUrl === undefined ? {} : { storeUrl: options.storeUrl }),
    ...(options.extraYaml === undefined ? {} : { extraYaml: options.extraYaml }),
    ...(options.files === undefined ? {} : { files: options.files }),
  });
  const accounts = new AccountService({
    store: base.store,
    config: { ...TEST_ACCOUNTS, ...options.accounts },
    now: () => clock.t,
    hashIterations: 1000,
  });
  await accounts.bootstrap("admin-password-1");
  const kp = await makeTestHandler({
    configYaml: `issuer: "https://kp.test"\nhs256_secret_path: secret\naudience: ${
      options.audience ?? "kp-api"
    }\n${options.extraYaml ?? ""}`,
    files: { secret: "s".repeat(40), ...options.files },
    now: () => clock.t,
    apiKeys: base.svc,
    accounts,
    ...(options.fetchJwks === undefined ? {} : { fetchJwks: options.fetchJwks }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    kp.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  return {
    ...base,
    ...kp,
    accounts,
    postJson,
    async user(email, o = {}) {
      const password = o.password ?? "correct-horse-9";
      const u = await accounts.create({
        email,
        password,
        role: o.role ?? "viewer",
        ...(o.orgId === undefined ? {} : { orgId: o.orgId }),
      });
      const res = await postJson("/api/v1/auth/login", { email, password });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      const body = await res.json();
      return { id: u.id, access: body.access_token, refresh: body.refresh_token, password };
    },
  };
}

/** An `Authorization: Bearer` header. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
