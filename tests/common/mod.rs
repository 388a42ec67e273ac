//! Shared by the native tests: the committed dataset and a CPU device.
#![allow(dead_code)]

pub mod small_inputs;

use burn::prelude::*;
use latent_lab::data::DataSplit;

pub fn dataset() -> DataSplit {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/data/mnist-10k.bin"
    ))
    .expect("www/data/mnist-10k.bin is committed");
    DataSplit::parse(&bytes).expect("the committed dataset parses")
}

/// The committed dataset with only its first `images` training digits (the held-out ones all
/// kept): a split whose batches and passes a test controls.
pub fn first_training_images(images: usize) -> DataSplit {
    let data = dataset();
    DataSplit {
        train: latent_lab::data::Images {
            pixels: data.train.pixels[..images * data.train.pixels_per_image()].to_vec(),
            labels: data.train.labels[..images].to_vec(),
            ..data.train.clone()
        },
        heldout: data.heldout,
        identity: data.identity,
    }
}

/// A data identity as a trainer records it, for writing weights files by hand.
pub fn identity() -> latent_lab::data::DataIdentity {
    latent_lab::data::DataIdentity {
        name: "sixteen letters".into(),
        images: 16,
        hash: "0123456789abcdef".repeat(4),
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

/// `module` with the float parameter at `path` (its module path, as the weights file names it:
/// `encoder.log_variance.bias`) set to `values`, in its own shape. Panics when no parameter has
/// that path or the count differs, so a renamed field cannot make a test quietly set nothing.
pub fn with_parameter<M: burn::module::Module>(module: M, path: &str, values: &[f32]) -> M {
    struct Setter<'a> {
        path: Vec<String>,
        target: &'a str,
        values: &'a [f32],
        found: bool,
    }
    impl burn::module::ModuleMapper for Setter<'_> {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn map_float<const D: usize>(
            &mut self,
            param: burn::module::Param<Tensor<D>>,
        ) -> burn::module::Param<Tensor<D>> {
            if self.path.join(".") != self.target {
                return param;
            }
            self.found = true;
            let values = self.values;
            param.map(|tensor| {
                let shape = tensor.dims();
                assert_eq!(shape.iter().product::<usize>(), values.len(), "{shape:?}");
                Tensor::from_data(TensorData::new(values.to_vec(), shape), &tensor.device())
            })
        }
    }
    let mut setter = Setter {
        path: Vec::new(),
        target: path,
        values,
        found: false,
    };
    let module = module.map(&mut setter);
    assert!(setter.found, "no parameter at `{path}`");
    module
}

/// Every tensor of a weights file as burnpack itself reads it, by name: its shape and its
/// values widened to f32. Independent of the crate's parser, for checking what that parser did.
pub fn file_tensors(bytes: &[u8]) -> std::collections::BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    let reader = burn_pack::Reader::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.to_vec()))
        .expect("burnpack reads the file");
    reader
        .into_tensors()
        .expect("burnpack reads the tensors")
        .into_iter()
        .map(|tensor| {
            let (name, dtype, shape, _, bytes) = tensor.into_parts().unwrap();
            let values = match dtype {
                burn::tensor::DType::F32 => bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
                burn::tensor::DType::F16 => bytes
                    .chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
                other => panic!("tensor `{name}` is {other:?}"),
            };
            (name, (shape.to_vec(), values))
        })
        .collect()
}

/// Standard normal draws in f64 from a seeded generator (Box–Muller), for Monte Carlo estimates
/// that share nothing with the backend's sampler.
pub struct Normals {
    rng: rand::rngs::StdRng,
    spare: Option<f64>,
}

impl Normals {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: rand::SeedableRng::seed_from_u64(seed),
            spare: None,
        }
    }

    pub fn sample(&mut self) -> f64 {
        use rand::RngExt;
        if let Some(v) = self.spare.take() {
            return v;
        }
        // 1 − u lies in (0, 1], so its log is finite.
        let u: f64 = 1.0 - self.rng.random::<f64>();
        let v: f64 = self.rng.random::<f64>();
        let radius = (-2.0 * u.ln()).sqrt();
        let angle = 2.0 * std::f64::consts::PI * v;
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }
}

/// Mean and standard error of a sample.
pub fn mean_and_error(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let variance = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}
