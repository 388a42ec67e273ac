#!/usr/bin/env bash
# Installs what a fresh machine lacks to build the page (and, with --browser, to test it):
# the wasm32 target, wasm-pack, a wasm-bindgen-cli of exactly the crate's wasm-bindgen version,
# the npm packages, and Debian's Chromium. Already-present tools are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

# rustfmt and clippy, for the test script's hygiene checks; rust-src, for the threaded build's
# standard library (scripts/build.sh).
for component in rustfmt clippy rust-src; do
  if ! rustup component list --installed | grep -q "^$component"; then
    rustup component add "$component"
  fi
done

if ! command -v wasm-pack >/dev/null; then
  cargo install --locked wasm-pack
fi

# wasm-pack uses a wasm-bindgen on PATH when its version matches the crate's.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }')" != "$bindgen_version" ]; then
  # Not --locked: that lockfile names a yanked crate.
  cargo install wasm-bindgen-cli --version "=$bindgen_version"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
fi
