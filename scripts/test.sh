#!/usr/bin/env bash
# Every test: the native Rust tests (CPU backend), the page's plain JS, then the built page in
# headless Chromium, once with WebGPU (SwiftShader where there is no GPU) and once without it
# (CPU fallback), and from file://.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --browser
cargo test
node --test tests/js/
node --test --test-concurrency=1 tests/browser/
