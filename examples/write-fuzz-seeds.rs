//! Writes the fuzzers' seed inputs into `fuzz/seeds/` (committed), after a change to the weights
//! file's or the dataset's format: `cargo run --example write-fuzz-seeds`.

#[path = "../tests/common/small_inputs.rs"]
mod small_inputs;

use small_inputs::{gzip, small_dataset, small_idx_pair, small_weights};

fn main() -> std::io::Result<()> {
    // The IDX target's input: the images file's length (u32, little-endian), the images file,
    // the labels file.
    let (images, labels) = small_idx_pair();
    let pair = |images: &[u8]| {
        let mut bytes = (images.len() as u32).to_le_bytes().to_vec();
        bytes.extend_from_slice(images);
        bytes.extend_from_slice(&labels);
        bytes
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (kind, name, bytes) in [
        ("weights", "small.bpk", small_weights()),
        ("dataset", "small.bin", small_dataset(7, 5)),
        ("idx", "pair.bin", pair(&images)),
        ("idx", "pair-gz.bin", pair(&gzip(&images))),
    ] {
        std::fs::create_dir_all(dir.join(kind))?;
        let path = dir.join(kind).join(name);
        std::fs::write(&path, bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
