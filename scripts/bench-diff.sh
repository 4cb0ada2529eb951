#!/usr/bin/env bash
# Data diff benchmark: the app's diff against one query per column and reladiff (PyPI, in a venv
# of its own when it installs), on 1M and 10M rows × 10 columns with 0.1 % changed and 0.05 %
# added and removed, and an identical pair. Usage: bash scripts/bench-diff.sh [ROWS…]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh test
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
reladiff=()
rvenv="$VIBEDATA_CACHE/reladiff-venv"
if [ ! -x "$rvenv/bin/python" ] || ! "$rvenv/bin/python" -c 'import reladiff' 2>/dev/null; then
  echo "==> installing reladiff into $rvenv (for comparison)"
  python3 -m venv "$rvenv" && "$rvenv/bin/pip" install --quiet "reladiff[duckdb]" duckdb || echo "reladiff does not install here"
fi
if "$rvenv/bin/python" -c 'import reladiff' 2>/dev/null; then reladiff=(--reladiff "$rvenv/bin/python"); fi
"$VIBEDATA_VENV/bin/python" scripts/bench_diff.py crates/core/src/review/datadiff.py "$work" "$@" "${reladiff[@]}"
