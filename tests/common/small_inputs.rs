//! Files small enough to mutate thousands of times: the parsers' test inputs, and the fuzzers'
//! seeds (examples/write-fuzz-seeds.rs writes them from here).

use latent_lab::data::{MAGIC, VERSION};
use latent_lab::device::cpu_device;
use latent_lab::model::VaeConfig;
use latent_lab::weights::{self, Precision};

/// A weights file of hidden size 1 and latent size 1 (14 KB).
pub fn small_weights() -> Vec<u8> {
    let model = VaeConfig::new()
        .with_hidden_size(1)
        .with_latent_size(1)
        .init(&cpu_device());
    pollster::block_on(weights::export(&model, None, Precision::F32)).unwrap()
}

/// A valid dataset of `count` 28×28 images, the first `train` for training.
pub fn small_dataset(count: u32, train: u32) -> Vec<u8> {
    dataset_of_side(count, train, 28, 28)
}

/// The same with `rows`×`cols` images, which the parser refuses unless 28×28.
pub fn dataset_of_side(count: u32, train: u32, rows: u16, cols: u16) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    for v in [VERSION, count, train] {
        bytes.extend(v.to_le_bytes());
    }
    bytes.extend(rows.to_le_bytes());
    bytes.extend(cols.to_le_bytes());
    bytes.extend((0..count).map(|i| (i % 10) as u8));
    let pixels = count * rows as u32 * cols as u32;
    bytes.extend((0..pixels).map(|i| (i * 37) as u8));
    bytes
}

/// An IDX images file of 20 small digits (28×28, a stroke each) and its labels file.
pub fn small_idx_pair() -> (Vec<u8>, Vec<u8>) {
    let count = 20;
    let pixels: Vec<u8> = (0..count * 784)
        .map(|i| {
            let (image, at) = (i / 784, i % 784);
            let (y, x) = (at / 28, at % 28);
            if x == 6 + image % 16 && (4..24).contains(&y) {
                255
            } else {
                0
            }
        })
        .collect();
    let labels: Vec<u8> = (0..count as u8).map(|i| i % 10).collect();
    (
        latent_lab::data::idx::write_images(&pixels, count, 28, 28),
        latent_lab::data::idx::write_labels(&labels),
    )
}

/// `bytes` gzipped, as IDX files are usually distributed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
