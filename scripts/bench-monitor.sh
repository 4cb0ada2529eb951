#!/usr/bin/env bash
# Benchmarks of the monitor engine (release): the alert engine on a storm of signals, and the
# anomaly detector's precision and recall on a labelled generator.
# Usage: bash scripts/bench-monitor.sh [SIGNALS] [SERIES_PER_KIND]   (defaults: 1000000 1000; ~1 min)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
echo "==> building the monitor benchmarks (release)"
cargo build --release --quiet -p vibedata-monitor --example bench_storm --example bench_detector
echo "==> alert storm"
"$CARGO_TARGET_DIR/release/examples/bench_storm" "${1:-1000000}"
echo
echo "==> detector quality"
"$CARGO_TARGET_DIR/release/examples/bench_detector" "${2:-1000}"
