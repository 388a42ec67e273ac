#!/usr/bin/env bash
# Builds the wasm package (pkg/) and the page (www/dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "$@"
# wasm-opt is off in Cargo.toml: Debian's wasm-opt 108 emits modules Chromium refuses.
wasm-pack build --release --target web --no-typescript --no-pack --out-dir pkg
node scripts/build-www.mjs
