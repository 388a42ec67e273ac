//! Shared by the native tests: the committed dataset and a CPU device.
#![allow(dead_code)]

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

pub fn device() -> Device {
    latent_lab::backend::cpu_device()
}

pub fn block_on<T>(future: impl Future<Output = T>) -> T {
    pollster::block_on(future)
}

pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_to_vec::<f32>().unwrap()
}
