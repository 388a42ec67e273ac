#!/usr/bin/env bash
# Builds the wasm packages (pkg/, and the threaded CPU one, pkg-threads/) and the page (www/dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "$@"
# wasm-opt is off in Cargo.toml: Debian's wasm-opt 108 emits modules Chromium refuses.
# burn's fusion is on in the page's build: it cuts a training step's GPU dispatches from 386 to
# 131 and its queue submits from 15 to 6 (BENCHMARKS.md), which is what a real GPU's speed rests
# on; the CPU path does not use it.
wasm-pack build --release --target web --no-typescript --no-pack --out-dir pkg -- --features fusion
# The threaded CPU build (pkg-threads/): scripts/threaded-env.sh says what it needs.
(
  source scripts/threaded-env.sh
  wasm-pack build --release --target web --no-typescript --no-pack --out-dir pkg-threads -- "${THREADED_CARGO_ARGS[@]}"
)
node scripts/build-www.mjs
