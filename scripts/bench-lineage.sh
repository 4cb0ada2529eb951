#!/usr/bin/env bash
# Column lineage of the native index against sqlglot's, on the same rendered SQL, in one run:
# time to read every model's columns and agreement on the traced ones, on the agreement fixtures,
# the demo domain and generated projects.
# Usage: bash scripts/bench-lineage.sh [SIZES…]   (default: 1000 5000 models)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh test
echo "==> building the index benchmark (release)"
cargo build --release --quiet -p vibedata-dbt-index --bin dbt-index-bench
bench="$CARGO_TARGET_DIR/release/dbt-index-bench"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 5000)
projects=()
for f in crates/dbt-index/fixtures/agreement/*/ crates/core/assets/demo-domain/; do
  projects+=("$f")
done
for n in "${sizes[@]}"; do
  "$bench" --write "$work/gen$n" "$n"
  projects+=("$work/gen$n")
done
echo
echo "| project | models | columns | index: parse + lineage | sqlglot: lineage() | traced columns agreeing | sqlglot errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for p in "${projects[@]}"; do
  read -r ours models columns < <("$bench" --lineage "$p" "$work/index.json")
  "$VIBEDATA_VENV/bin/python" scripts/lineage_vs_sqlglot.py "$work/index.json" 2>/dev/null >"$work/report.json"
  "$VIBEDATA_VENV/bin/python" - "$p" "$ours" "$models" "$columns" "$work/report.json" <<'PY'
import json, os, sys
name, ours, models, columns, report = sys.argv[1:6]
r = json.load(open(report))
print(f"| {os.path.basename(name.rstrip('/'))} | {models} | {columns} | {float(ours) * 1000:.1f} ms | "
      f"{r['sqlglot_seconds'] * 1000:.0f} ms | {r['agree']}/{r['compared']} ({r['agreement_pct']} %) | {r['sqlglot_errors']} |")
PY
done
