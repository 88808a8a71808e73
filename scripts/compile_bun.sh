#!/usr/bin/env bash
# Build the single binary with Bun: `bun build --compile src/main.ts` → dist/keypebble.
#
# Bun resolves the npm `yaml` import from a node_modules folder. A package.json at the repository
# root would switch Deno into "manual node_modules" mode (deno check then fails without
# `deno install`), so the build happens in a scratch copy: src/ plus a package.json that pins the
# exact yaml version deno.lock resolved, installed with `bun install`.
#
# Usage: scripts/compile_bun.sh [OUTFILE] [extra bun build flags, e.g. --target=bun-linux-arm64]
#        scripts/compile_bun.sh --bundle OUTDIR   (the same split modules as plain .js files, no
#        binary: what tests/e2e/compile_bun_test.ts inspects for what a start evaluates)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle=""
if [ "${1:-}" = "--bundle" ]; then
  bundle="${2:?--bundle needs an output directory}"
  shift 2
  case "$bundle" in /*) ;; *) bundle="$PWD/$bundle" ;; esac
fi
out="${1:-$root/dist/keypebble}"
shift || true
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

if ! command -v bun >/dev/null 2>&1; then
  echo "bun not found: installing it with npm" >&2
  npm install -g bun
fi

# The yaml version Deno locked (deno.lock: "npm:yaml@^2.8.0": "2.9.1").
yaml_version="$(sed -nE 's/.*"npm:yaml@[^"]*": "([0-9][^"]*)".*/\1/p' "$root/deno.lock" | head -n 1)"
if [ -z "$yaml_version" ]; then
  echo "cannot find the yaml version in deno.lock" >&2
  exit 1
fi

# The postgres client version Deno locked (the store's Postgres driver).
postgres_version="$(sed -nE 's/.*"npm:postgres@[^"]*": "([0-9][^"]*)".*/\1/p' "$root/deno.lock" | head -n 1)"
redis_version="$(sed -nE 's/.*"npm:redis@[^"]*": "([0-9][^"]*)".*/\1/p' "$root/deno.lock" | head -n 1)"

# The console's and the API reference's browser code, bundled into src/console/assets.gen.ts
# (build output, not committed) so the binary embeds it.
(cd "$root" && deno task build:web)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R "$root/src" "$work/src"
cat >"$work/package.json" <<JSON
{
  "name": "keypebble-bun-build",
  "private": true,
  "dependencies": { "yaml": "$yaml_version", "postgres": "$postgres_version", "redis": "$redis_version" }
}
JSON
(cd "$work" && bun install --silent --no-progress)

# Cold start (issue 15): --bytecode ships JavaScriptCore bytecode, so nothing is parsed at start;
# --splitting keeps every dynamic import() (the Postgres and Redis clients, node:sqlite of the Deno
# adapter) in a chunk of its own, evaluated only when used (in one bundle, the bundler would hoist
# their node:net/tls/crypto imports to the top, evaluated on every start). ESM bytecode needs
# --format=esm; src/main.ts has no top-level await for it.
split=(--splitting --format=esm --minify-syntax --minify-whitespace)
if [ -n "$bundle" ]; then
  (cd "$work" && bun build --target=bun "${split[@]}" "$@" src/main.ts --outdir "$bundle")
  exit 0
fi
mkdir -p "$(dirname "$out")"
(cd "$work" && bun build --compile --bytecode "${split[@]}" "$@" src/main.ts --outfile "$out")

# Smoke-run the binary only when it was built for this machine: a --target for another OS or CPU
# (bun-linux-arm64 on x86_64) gives a file this machine cannot execute.
target=""
for a in "$@"; do
  case "$a" in --target=*) target="${a#--target=}" ;; esac
done
host_arch="$(uname -m)"
case "$host_arch" in x86_64 | amd64) host_arch=x64 ;; aarch64 | arm64) host_arch=arm64 ;; esac
host_os="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$target" in
  "" | bun | "bun-$host_os-$host_arch" | "bun-$host_os-$host_arch-"*) "$out" --version ;;
  *) echo "built $out for $target (not run: this machine is $host_os-$host_arch)" >&2 ;;
esac
