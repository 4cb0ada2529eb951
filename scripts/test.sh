#!/usr/bin/env bash
# Runs every test: formatting, the core's unit and integration tests (real SQLite, git and dbt),
# clippy, and the end-to-end tests of the built app in WebKit under Xvfb. Installs what it needs
# first (scripts/setup.sh test). Prints how long each step took.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VIBEDATA_ROOT"

t0=$(date +%s)
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
step() {
  local name="$1"
  shift
  local s
  s=$(date +%s)
  printf '\n\033[1;34m[test]\033[0m %s\n' "$name"
  "$@"
  printf '\033[1;34m[test]\033[0m %s: done in %ss\n' "$name" "$(($(date +%s) - s))"
}

step "setup" bash scripts/setup.sh test
step "rustfmt" cargo fmt --all -- --check
step "UI build" bash scripts/build-ui.sh
# One debug build serves the unit/integration tests, the app binary and the end-to-end tests.
# cargo test's output is also kept to add up the counts at the end.
tests() { "$@" 2>&1 | tee -a "$results"; }
step "unit and integration tests (core, protocol, cli, shell)" \
  tests cargo test --workspace --exclude vibedata-ui --exclude vibedata-e2e
step "desktop app build" cargo build -p vibedata-studio
export VIBEDATA_APP_BIN="$CARGO_TARGET_DIR/debug/vibedata-studio"
export VIBEDATA_E2E_ARTIFACTS="$VIBEDATA_ROOT/target/e2e-artifacts"
step "end-to-end tests (real WebKit under Xvfb)" \
  tests cargo test -p vibedata-e2e -- --test-threads=1
step "clippy (native)" cargo clippy --workspace --exclude vibedata-ui --all-targets -- -D warnings
step "clippy (UI, wasm32)" cargo clippy -p vibedata-ui --target wasm32-unknown-unknown -- -D warnings
printf '\n\033[1;32m[test]\033[0m all steps passed in %ss (screenshots in target/e2e-artifacts/)\n' "$(($(date +%s) - t0))"
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$results"
