# Sourced (in a subshell) before cargo builds or checks the threaded CPU build, which a
# cross-origin isolated page trains with on a pool of Web Workers: wasm atomics and shared memory
# need the standard library rebuilt for them (build-std, an unstable cargo flag: RUSTC_BOOTSTRAP
# lets the pinned stable toolchain take it), and the linker exports what wasm-bindgen's thread
# start-up calls. Its own target folder, so neither build invalidates the other's. It leaves
# WebGPU out (Cargo.toml says why).
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/threads"
export RUSTFLAGS="-C target-feature=+simd128,+atomics,+bulk-memory -C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296 -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
THREADED_CARGO_ARGS=(--no-default-features --features threads -Z build-std=std,panic_abort)
