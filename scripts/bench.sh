#!/usr/bin/env bash
# Measures start time and idle memory of the release build in real WebKit under Xvfb, and prints
# the table the README's performance section quotes. Usage: scripts/bench.sh [RUNS], or
# scripts/bench.sh inbox [RUNS] for the Inbox's cold start with 10,000 synced issues.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VIBEDATA_ROOT"
bash scripts/setup.sh test
bash scripts/build-ui.sh
echo "[bench] release build: cargo build --release -p vibedata-studio -p vibedata-e2e -p vibedata-cli"
cargo build --release -p vibedata-studio -p vibedata-e2e -p vibedata-cli --bins
VIBEDATA_APP_BIN="$CARGO_TARGET_DIR/release/vibedata-studio" "$CARGO_TARGET_DIR/release/bench" "$@"
