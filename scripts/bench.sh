#!/usr/bin/env bash
# Measures start time and idle memory of the release build in real WebKit under Xvfb, and prints
# the table the README's performance section quotes. Usage: scripts/bench.sh [RUNS]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VIBEDATA_ROOT"
bash scripts/setup.sh test
bash scripts/build-ui.sh
echo "[bench] release build: cargo build --release -p vibedata-studio -p vibedata-e2e"
cargo build --release -p vibedata-studio -p vibedata-e2e --bins
VIBEDATA_APP_BIN="$CARGO_TARGET_DIR/release/vibedata-studio" "$CARGO_TARGET_DIR/release/bench" "${1:-5}"
