#!/usr/bin/env bash
# Benchmark of the native dbt index against the venv's `dbt parse` on generated projects.
# Usage: bash scripts/bench-index.sh [SIZES…]   (default: 1000 5000 10000 models; ~4 min)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh test
echo "==> building the index benchmark (release)"
cargo build --release --quiet -p vibedata-dbt-index --bin dbt-index-bench
"$CARGO_TARGET_DIR/release/dbt-index-bench" "$@" --venv "$VIBEDATA_VENV"
