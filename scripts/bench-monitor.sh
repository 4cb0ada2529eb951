#!/usr/bin/env bash
# Benchmarks of the monitor engine (release): the alert engine on a storm of signals, with
# Prometheus Alertmanager (the Debian package, on loopback) fed the same storm in the same run,
# and the anomaly detector's precision and recall on a labelled generator.
# Usage: bash scripts/bench-monitor.sh [SIGNALS] [SERIES_PER_KIND]   (defaults: 1000000 1000; ~4 min)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
echo "==> building the monitor benchmarks (release)"
cargo build --release --quiet -p vibedata-monitor --example bench_storm --example bench_detector
if ! command -v prometheus-alertmanager >/dev/null 2>&1; then
  echo "==> installing Prometheus Alertmanager (Debian package prometheus-alertmanager), the storm's peer"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager >/dev/null
fi
events="$(mktemp --suffix=.jsonl)"
trap 'rm -f "$events"' EXIT
echo "==> alert storm: the Vibedata engine"
"$CARGO_TARGET_DIR/release/examples/bench_storm" "${1:-1000000}" --write-events "$events"
echo
echo "==> the same storm: Prometheus Alertmanager"
python3 scripts/bench_alertmanager.py "$(command -v prometheus-alertmanager)" "$events" 60
echo
echo "==> detector quality"
"$CARGO_TARGET_DIR/release/examples/bench_detector" "${2:-1000}"
