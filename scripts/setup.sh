#!/usr/bin/env bash
# Installs everything Vibedata Studio needs on a Debian machine, idempotently: each step checks first
# and says what it does. Usage: scripts/setup.sh [run|test]
#   run  — what the desktop app needs (system libraries, wasm target, trunk, wasm-bindgen-cli, venv)
#   test — all of `run` plus the end-to-end tools (tauri-driver, WebKitWebDriver, Xvfb)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

mode="${1:-test}"
case "$mode" in run | test) ;; *) echo "usage: $0 [run|test]" >&2; exit 2 ;; esac

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# Versions that build on this toolchain (see ../shared/REFERENCE.md). wasm-bindgen-cli must equal the
# `wasm-bindgen` crate pinned in Cargo.toml, or trunk refuses it offline.
TRUNK_VERSION=0.21.14
TAURI_DRIVER_VERSION=2.0.4
WASM_BINDGEN_VERSION="$(sed -nE 's/^wasm-bindgen = .*"=([0-9.]+)".*/\1/p' "$VIBEDATA_ROOT/Cargo.toml")"
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "cannot read the wasm-bindgen pin from Cargo.toml" >&2; exit 1; }

apt_packages=(
  pkg-config build-essential file curl
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev libssl-dev
  libgtk-3-dev libxdo-dev binaryen xvfb xauth procps libdbus-1-dev
  openjdk-17-jre-headless
)
if [ "$mode" = test ]; then
  # gnome-keyring + dbus: a real Secret Service for the keychain integration test.
  apt_packages+=(webkit2gtk-driver imagemagick gnome-keyring dbus-x11 libsecret-tools)
fi

step_apt() {
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "system packages: all ${#apt_packages[@]} present"
    return
  fi
  say "system packages: installing ${missing[*]}"
  apt_install "${missing[@]}"
}

apt_updated=""
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

step_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "rust target wasm32-unknown-unknown: present"
  else
    say "rust target wasm32-unknown-unknown: adding"
    rustup target add wasm32-unknown-unknown
  fi
}

# cargo_tool <binary> <crate> <version> [--locked]
cargo_tool() {
  local bin="$1" crate="$2" version="$3" locked="${4:-}"
  # `cargo install --list` knows each tool's version (tauri-driver has no --version flag).
  if command -v "$bin" >/dev/null && cargo install --list | grep -qxF "$crate v$version:"; then
    say "$crate $version: present"
    return
  fi
  say "$crate $version: installing with cargo (takes minutes on 2 cores)"
  # Tools build in their own target dir so they never invalidate the workspace's.
  CARGO_TARGET_DIR="$VIBEDATA_CACHE/tools-target" cargo install $locked "$crate" --version "$version"
}

step_venv() {
  local req="$VIBEDATA_ROOT/scripts/requirements.txt"
  local stamp="$VIBEDATA_VENV/.vibedata-requirements.sha256"
  local want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -x "$VIBEDATA_VENV/bin/dbt" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
    && "$VIBEDATA_VENV/bin/python" -c 'import duckdb, dlt, pyspark' 2>/dev/null; then
    say "python venv with dbt: present at $VIBEDATA_VENV"
    return
  fi
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    say "python3 lacks venv/ensurepip: installing Debian's python3-venv"
    apt_install python3-venv
  fi
  say "python venv with dbt-core, dbt-duckdb, dbt-spark (pyspark), dlt: creating at $VIBEDATA_VENV (a few minutes)"
  rm -rf "$VIBEDATA_VENV"
  python3 -m venv "$VIBEDATA_VENV"
  "$VIBEDATA_VENV/bin/pip" install --quiet --upgrade pip
  "$VIBEDATA_VENV/bin/pip" install --quiet -r "$req"
  echo "$want" >"$stamp"
  # Not `dbt --version`: it asks PyPI for the latest release.
  "$VIBEDATA_VENV/bin/python" -c 'import importlib.metadata as m
for p in ("dbt-core", "dbt-duckdb", "dbt-spark", "pyspark", "dlt", "duckdb"): print("[setup]   ", p, m.version(p))'
}

mkdir -p "$VIBEDATA_CACHE"
step_apt
step_wasm_target
cargo_tool trunk trunk "$TRUNK_VERSION" --locked
# No --locked: its lock file names a crate version the registry here lacks (REFERENCE.md).
cargo_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
if [ "$mode" = test ]; then
  cargo_tool tauri-driver tauri-driver "$TAURI_DRIVER_VERSION" --locked
fi
step_venv
say "done ($mode)"
