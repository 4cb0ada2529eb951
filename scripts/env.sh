# Sourced by the scripts: one place for the paths they share.
VIBEDATA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VIBEDATA_ROOT
# Caches live outside the checkout so a fresh clone (and CI) reuses compiled dependencies.
export VIBEDATA_CACHE="${VIBEDATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vibedata-studio}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$VIBEDATA_CACHE/target}"
# The Python venv with dbt and dlt; the app finds it at the same default (crates/core/src/paths.rs).
export VIBEDATA_VENV="${VIBEDATA_VENV:-${XDG_DATA_HOME:-$HOME/.local/share}/vibedata-studio/venv}"
export PATH="$HOME/.cargo/bin:$PATH"
