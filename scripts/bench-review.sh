#!/usr/bin/env bash
# Benchmark of the Review page's first screen (lineage diff of a branch, cold) on generated
# projects, with dbt's `parse` + `ls --select state:modified+` measured in the same run.
# Usage: bash scripts/bench-review.sh [SIZES…]   (default: 1000 5000 models; ~3 min)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh test
echo "==> building the review benchmark (release)"
cargo build --release --quiet -p vibedata-core --example bench_review
"$CARGO_TARGET_DIR/release/examples/bench_review" "$@" --venv "$VIBEDATA_VENV"
