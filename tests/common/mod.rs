//! Shared by the native tests: the committed dataset and a CPU device.
#![allow(dead_code)]

pub mod small_inputs;

use burn::prelude::*;
use latent_lab::data::MnistSplit;

pub fn dataset() -> MnistSplit {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/data/mnist-10k.bin"
    ))
    .expect("www/data/mnist-10k.bin is committed");
    MnistSplit::parse(&bytes).expect("the committed dataset parses")
}

/// The committed dataset with only its first `images` training digits (the held-out ones all
/// kept): a split whose batches and passes a test controls.
pub fn first_training_images(images: usize) -> MnistSplit {
    let data = dataset();
    MnistSplit {
        train: latent_lab::data::Images {
            pixels: data.train.pixels[..images * data.train.pixels_per_image()].to_vec(),
            labels: data.train.labels[..images].to_vec(),
            ..data.train.clone()
        },
        heldout: data.heldout,
    }
}

pub fn device() -> Device {
    latent_lab::device::cpu_device()
}

pub fn block_on<T>(future: impl Future<Output = T>) -> T {
    pollster::block_on(future)
}

pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_to_vec::<f32>().unwrap()
}

/// `bytes`, a weights file, with its metadata entry `key` set to `value` (or removed when
/// `None`), rewritten the way `weights::export` writes files: for crafting files whose
/// metadata the trainer would never write.
pub fn with_metadata(bytes: &[u8], key: &str, value: Option<&str>) -> Vec<u8> {
    let reader = burn_pack::Reader::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.to_vec()))
        .expect("a valid weights file");
    let mut metadata = reader.metadata().clone();
    match value {
        Some(value) => metadata.insert(key.to_string(), value.to_string()),
        None => metadata.remove(key),
    };
    let tensors = reader.into_tensors().unwrap();
    let writer = metadata
        .iter()
        .fold(burn_pack::Writer::new(tensors), |writer, (key, value)| {
            writer.with_metadata(key, value)
        });
    writer.into_bytes().unwrap().to_vec()
}
