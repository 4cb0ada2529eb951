#!/usr/bin/env bash
# The agent loop's own overhead per turn (an in-process provider that answers instantly).
# Usage: bash scripts/bench-agent.sh [TURNS] [RUNS]   (default 100 turns, 5 runs; a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
echo "==> building the agent benchmark (release)"
cargo build --release --quiet -p vibedata-agent --bin agent-bench
"$CARGO_TARGET_DIR/release/agent-bench" "$@"
