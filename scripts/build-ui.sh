#!/usr/bin/env bash
# Builds the Leptos UI to ui/dist with trunk (release wasm: small and quick to load). The desktop
# shell embeds ui/dist at compile time, so this runs before any build of src-tauri.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
echo "[build] UI: trunk build --release (wasm32) → ui/dist"
cd "$VIBEDATA_ROOT/ui"
trunk --quiet build --release --offline
