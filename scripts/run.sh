#!/usr/bin/env bash
# Runs Vibedata Studio on the embedded defaults: installs what it needs (scripts/setup.sh run),
# builds the UI and the app, creates or repairs the demo data domain (git repository, bare origin,
# DuckDB warehouse), and opens the desktop window. State lives in the XDG data dir
# (~/.local/share/vibedata-studio), so closing and rerunning keeps it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VIBEDATA_ROOT"

bash scripts/setup.sh run
bash scripts/build-ui.sh
echo "[build] app and CLI: cargo build -p vibedata-studio -p vibedata-cli"
cargo build --quiet -p vibedata-studio -p vibedata-cli
echo "[run] demo domain: vibedata demo init"
"$CARGO_TARGET_DIR/debug/vibedata" demo init || echo "[run] the demo is not complete; the app shows why"

app="$CARGO_TARGET_DIR/debug/vibedata-studio"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "[run] no display found: starting the app on a virtual X display (Xvfb); stop with Ctrl+C"
  exec xvfb-run --auto-servernum --server-args="-screen 0 1280x820x24" "$app"
fi
echo "[run] starting Vibedata Studio"
exec "$app"
