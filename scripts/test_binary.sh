#!/usr/bin/env bash
# `deno task test:binary`: run the CLI and end-to-end suites against a compiled binary instead of
# the source. KEYPEBBLE_BIN names the binary (relative paths are taken from where you ran the
# task); without it, the Bun binary is built first into dist/keypebble.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
caller="${INIT_CWD:-$PWD}"
bin="${KEYPEBBLE_BIN:-}"
if [ -z "$bin" ]; then
  bash "$root/scripts/compile_bun.sh" "$root/dist/keypebble"
  bin="$root/dist/keypebble"
fi
case "$bin" in /*) ;; *) bin="$caller/$bin" ;; esac
if [ ! -x "$bin" ]; then
  echo "KEYPEBBLE_BIN=$bin is not an executable file" >&2
  exit 2
fi
echo "testing the binary $bin" >&2
cd "$root"
# The suites also check what ships beside the binary (dist/spiffe.js) and import the console's
# generated assets: build both, as test:e2e does.
deno task build:web >&2
deno task build:spiffe >&2
KEYPEBBLE_BIN="$bin" exec deno test --allow-read --allow-write --allow-net --allow-env --allow-run \
  --allow-sys tests/cli/ tests/e2e/
