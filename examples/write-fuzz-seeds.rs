//! Writes the fuzzers' seed inputs into `fuzz/seeds/` (committed), after a change to the weights
//! file's or the dataset's format: `cargo run --example write-fuzz-seeds`.

#[path = "../tests/common/small_inputs.rs"]
mod small_inputs;

use small_inputs::{small_dataset, small_weights};

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (kind, name, bytes) in [
        ("weights", "small.bpk", small_weights()),
        ("dataset", "small.bin", small_dataset(7, 5)),
    ] {
        std::fs::create_dir_all(dir.join(kind))?;
        let path = dir.join(kind).join(name);
        std::fs::write(&path, bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
