#!/usr/bin/env bash
# Benchmarks of the Fabric side (release build): the client against the fake Fabric (a 429 burst,
# a 2,000-item listing, an ephemeral workspace from nothing to ready), then the demo project built
# on local Spark and on DuckDB in the same run (the same dbt build: models, tests, unit tests).
# Usage: bash scripts/bench-fabric.sh   (~3 min after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
echo "==> building the benchmark and the CLI (release)"
cargo build --release --quiet -p vibedata-core --example bench_fabric
cargo build --release --quiet -p vibedata-cli --bin vibedata
echo "==> Fabric client and ephemeral workspace, against the fake Fabric"
"$CARGO_TARGET_DIR/release/examples/bench_fabric"
echo
echo "==> the demo project: dbt build on local Spark vs DuckDB"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export VIBEDATA_DATA_DIR="$tmp/data" VIBEDATA_WORKSPACE_ROOT="$tmp/workspaces"
"$CARGO_TARGET_DIR/release/vibedata" demo init >/dev/null
echo "| engine | passed | seconds |"
echo "|---|---|---:|"
for engine in duckdb spark; do
  "$CARGO_TARGET_DIR/release/vibedata" validate --engine "$engine" --json >"$tmp/$engine.json" || true
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("| %s | %s | %.1f |" % (d["engine"], d["passed"], d["seconds"]))' "$tmp/$engine.json"
done
