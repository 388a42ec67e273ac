#!/usr/bin/env bash
# Every test: formatting and clippy (native and wasm), the native Rust tests (CPU backend), the
# page's plain JS, then the built page in headless Chromium, once with WebGPU (SwiftShader where
# there is no GPU) and once without it (CPU fallback), and from file://.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --browser
# Hygiene: formatting, and clippy with warnings as errors, natively and for the page's two wasm
# builds.
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --features fusion -- -D warnings
(source scripts/threaded-env.sh && cargo clippy --target wasm32-unknown-unknown --lib "${THREADED_CARGO_ARGS[@]}" -- -D warnings)
cargo test
# The packing kernel and Adam over flat buffers on burn's GPU backend too, on SwiftShader's Vulkan.
LATENT_LAB_TEST_GPU=1 VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
  LD_LIBRARY_PATH=/usr/lib/chromium cargo test --test flat_adam
node --test tests/js/
node --test --test-concurrency=1 tests/browser/
