/**
 * A real nginx in front of an application, asking Keypebble what keyguard's middleware and its
 * `rate_limit_by_ip` decided inside a FastAPI app (issue 22): `/api/` needs a key
 * (`auth_request` to `GET /forward-auth`, the identity copied upstream, keyguard's
 * `X-RateLimit-*` headers copied to the client), the routes of `limits` are limited per address
 * (`GET /forward-auth?limit=NAME`), `/admin/` is Keypebble's admin API, the rest goes to the app.
 *
 * nginx turns any status of an auth sub-request but 2xx, 401 and 403 into 500, and passes no
 * body: the config maps a 429 back (with `Retry-After`), and answers refusals with a JSON
 * `detail` as keyguard's clients expect (Traefik and Caddy pass Keypebble's own bodies).
 *
 * nginx connects to Keypebble from 127.0.0.2 (`proxy_bind`), the address Keypebble trusts
 * (`trusted_proxies: [127.0.0.2/32]`, `trusted_proxy_header: X-Real-IP`), so clients on 127.0.0.1
 * are clients, not proxies. With `clientHeader`, nginx takes the client's address from that
 * request header (the realip module): the tests' stand-in for clients on several addresses.
 */

import { type Cleanup, spawnDaemon, waitForHttp } from "./registry_helpers.ts";
import { freePort } from "../helpers/process.ts";

/** Options of {@link nginxForApp}. */
export interface GatewayOptions {
  readonly dir: string;
  readonly port: number;
  readonly kpPort: number;
  readonly appPort: number;
  /** Exact paths limited by a route limit of the same name (`limits.routes.NAME`). */
  readonly limits: Readonly<Record<string, string>>;
  readonly clientHeader?: string;
}

/** The nginx config. */
export function nginxForApp(o: GatewayOptions): string {
  const kp = `http://127.0.0.1:${o.kpPort}`;
  const app = `http://127.0.0.1:${o.appPort}`;
  const toKeypebble = `
      proxy_bind 127.0.0.2;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Real-IP $remote_addr;`;
  const refusals = `
      auth_request_set $kp_status $upstream_status;
      auth_request_set $kp_retry $upstream_http_retry_after;
      auth_request_set $kp_limit $upstream_http_x_ratelimit_limit;
      error_page 401 = @kp_401;
      error_page 403 = @kp_403;
      error_page 500 = @kp_error;`;
  const limited = Object.entries(o.limits).map(([name, path]) => `
    location = /_kp_limit_${name} {
      internal;
      proxy_pass ${kp}/forward-auth?limit=${name};${toKeypebble}
    }
    location = ${path} {
      auth_request /_kp_limit_${name};${refusals}
      proxy_set_header X-Real-IP $remote_addr;
      proxy_pass ${app};
    }`).join("\n");
  return `
user root;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${o.dir}/tmp/body;
  proxy_temp_path ${o.dir}/tmp/proxy;
  fastcgi_temp_path ${o.dir}/tmp/fastcgi;
  uwsgi_temp_path ${o.dir}/tmp/uwsgi;
  scgi_temp_path ${o.dir}/tmp/scgi;
  ${
    o.clientHeader === undefined
      ? ""
      : `set_real_ip_from 127.0.0.1;\n  real_ip_header ${o.clientHeader};`
  }
  server {
    listen 127.0.0.1:${o.port};
    default_type application/json;
    location = /_kp_key {
      internal;
      proxy_pass ${kp}/forward-auth;${toKeypebble}
    }
    location @kp_401 {
      return 401 '{"detail":"Invalid or missing API key."}';
    }
    location @kp_403 {
      return 403 '{"detail":"Access denied."}';
    }
    location @kp_error {
      if ($kp_status = 429) {
        add_header Retry-After $kp_retry always;
        add_header X-RateLimit-Limit $kp_limit always;
        add_header X-RateLimit-Remaining 0 always;
        return 429 '{"detail":"Rate limit exceeded."}';
      }
      return 503 '{"detail":"The key check is unavailable."}';
    }
    location /api/ {
      auth_request /_kp_key;${refusals}
      auth_request_set $kp_sub $upstream_http_x_auth_subject;
      auth_request_set $kp_org $upstream_http_x_auth_org;
      auth_request_set $kp_org_id $upstream_http_x_auth_org_id;
      auth_request_set $kp_label $upstream_http_x_auth_key_label;
      auth_request_set $kp_scopes $upstream_http_x_auth_scopes;
      auth_request_set $kp_remaining $upstream_http_x_ratelimit_remaining;
      add_header X-RateLimit-Limit $kp_limit always;
      add_header X-RateLimit-Remaining $kp_remaining always;
      proxy_set_header X-Auth-Subject $kp_sub;
      proxy_set_header X-Auth-Org $kp_org;
      proxy_set_header X-Auth-Org-Id $kp_org_id;
      proxy_set_header X-Auth-Key-Label $kp_label;
      proxy_set_header X-Auth-Scopes $kp_scopes;
      proxy_set_header X-API-Key "";
      proxy_set_header Authorization "";
      proxy_pass ${app};
    }
${limited}
    location /admin/ {
      proxy_bind 127.0.0.2;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_pass ${kp};
    }
    location / {
      proxy_pass ${app};
    }
  }
}
`;
}

/** Start nginx with {@link nginxForApp}'s config (stopped by `cleanup`); resolves to its URL. */
export async function startGateway(
  cleanup: Cleanup,
  options: Omit<GatewayOptions, "port">,
): Promise<string> {
  const port = freePort();
  await Deno.mkdir(`${options.dir}/tmp`, { recursive: true });
  await Deno.writeTextFile(`${options.dir}/nginx.conf`, nginxForApp({ ...options, port }));
  const nginx = cleanup.daemon(spawnDaemon("nginx", [
    "-p",
    options.dir,
    "-c",
    `${options.dir}/nginx.conf`,
    "-e",
    "stderr",
    "-g",
    `daemon off; pid ${options.dir}/nginx.pid;`,
  ]));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/admin/orgs`, nginx, "nginx");
  return url;
}

/** The config lines Keypebble needs behind this gateway. */
export const BEHIND_GATEWAY = [
  'trusted_proxies: ["127.0.0.2/32"]',
  "trusted_proxy_header: X-Real-IP",
];
