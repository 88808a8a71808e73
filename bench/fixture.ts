/**
 * What every benchmark sends and serves, in one place: the POST /auth body, the HS256 config and
 * the wrk script. `bench/run.ts`, `bench/memory.ts` and the in-process benches then measure the
 * same request, so the HTTP figures can be explained by the layer figures.
 *
 * @module
 */

/** The POST /auth body of every benchmark. */
export const AUTH_BODY = JSON.stringify({
  sub: "edge-0042",
  edge_id: "e42",
  roles: ["controller"],
});

/**
 * Config lines every benchmark server shares. The limits would throttle a benchmark (600
 * requests per minute per address by default), and request logging is a real but separate cost:
 * both off, as a tuned deployment would run.
 */
export const BENCH_COMMON_LINES: readonly string[] = [
  'issuer: "https://keypebble.bench"',
  'audience: "bench"',
  "rate_limit: { per_address: false, per_principal: false }",
  'log_level: "error"',
];

/** The HS256 config of the /auth benchmarks, its secret read from `secretPath`. */
export function hs256ConfigYaml(secretPath: string, extraLines: readonly string[] = []): string {
  return [
    ...BENCH_COMMON_LINES,
    ...extraLines,
    `hs256_secret_path: "${secretPath}"`,
    'kid: "hs-1"',
    "static_claims:",
    '  scope: "controller:read controller:write"',
    'allowed_custom_claims: ["sub", "edge_id", "roles"]',
    "",
  ].join("\n");
}

/** A wrk script that POSTs {@link AUTH_BODY} as JSON. */
export const POST_AUTH_LUA = `wrk.method = "POST"\nwrk.body = '${AUTH_BODY}'\n` +
  `wrk.headers["Content-Type"] = "application/json"\n`;
