//! The wasm surface: the only file that touches wasm-bindgen and `JsValue`.
//!
//! Two opaque handles, following the Rust-wasm book's "big state lives in wasm" pattern:
//! [`TrainerHandle`] lives in the Web Worker and owns the training model on WebGPU or the CPU;
//! [`Viewer`] lives on the main thread on the CPU and answers the sliders and the drawing pad
//! synchronously, so they stay instant however long a training step takes. Weights move between
//! them as weights files ([`crate::weights`]). Every error reaches JS as a `JsError` with a
//! message; nothing here panics on bad input.

use burn::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::backend::{self, BackendKind};
use crate::data::MnistSplit;
use crate::model::{Vae, VaeConfig};
use crate::trainer::{Trainer, TrainerConfig};
use crate::weights::{Precision, Weights};

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(value).map_err(js_error)
}

fn fresh_seed() -> Result<u64, JsError> {
    getrandom::u64().map_err(|e| js_error(format!("no source of randomness: {e}")))
}

/// What JS passes to start a training run.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TrainerOptions {
    backend: BackendKind,
    latent_size: usize,
    #[serde(default)]
    learning_rate: Option<f64>,
    #[serde(default)]
    batch_size: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BackendInfo {
    kind: BackendKind,
    label: &'static str,
}

/// The model being trained, its optimizer and the dataset, on one backend.
#[wasm_bindgen]
pub struct TrainerHandle {
    trainer: Trainer,
    backend: BackendKind,
}

#[wasm_bindgen]
impl TrainerHandle {
    /// Starts a trainer. `options`: `{ backend: "webgpu" | "cpu", latentSize, learningRate?,
    /// batchSize? }`; `dataset`: the bytes of `mnist-10k.bin`; `weights`: a weights file to start
    /// from (its latent size wins over `latentSize`, and its step count is carried on), or
    /// nothing for fresh weights.
    pub async fn create(
        options: JsValue,
        dataset: Vec<u8>,
        weights: Option<Vec<u8>>,
    ) -> Result<TrainerHandle, JsError> {
        let options: TrainerOptions = serde_wasm_bindgen::from_value(options)
            .map_err(|e| js_error(format!("bad trainer options: {e}")))?;
        let initial = weights
            .map(|bytes| Weights::parse(&bytes))
            .transpose()
            .map_err(js_error)?;
        let model = match &initial {
            Some(weights) => weights.config.clone(),
            None => VaeConfig::new().with_latent_size(options.latent_size),
        };
        let mut config = TrainerConfig::new(model);
        if let Some(lr) = options.learning_rate {
            config.learning_rate = lr;
        }
        if let Some(batch) = options.batch_size {
            config.batch_size = batch;
        }
        let data = MnistSplit::parse(&dataset).map_err(js_error)?;
        let device = backend::device(options.backend).await.map_err(js_error)?;
        let trainer = Trainer::new(config, &data, &device, fresh_seed()?, initial).map_err(js_error)?;
        Ok(Self {
            trainer,
            backend: options.backend,
        })
    }

    #[wasm_bindgen(getter, js_name = latentSize)]
    pub fn latent_size(&self) -> usize {
        self.trainer.config().model.latent_size
    }

    /// `{ kind, label }` of the backend this trainer runs on.
    pub fn backend(&self) -> Result<JsValue, JsError> {
        to_js(&BackendInfo {
            kind: self.backend,
            label: self.backend.label(),
        })
    }

    /// Runs `steps` optimizer steps; resolves to `{ progress, steps, train }` where `train`
    /// holds the mean `{ reconstruction, kl, negativeElbo }` of those steps in nats per image.
    #[wasm_bindgen(js_name = trainSteps)]
    pub async fn train_steps(&mut self, steps: usize) -> Result<JsValue, JsError> {
        let stats = self.trainer.train_steps(steps).await.map_err(js_error)?;
        to_js(&stats)
    }

    /// Resolves to the held-out `{ reconstruction, kl, negativeElbo }`.
    pub async fn evaluate(&self) -> Result<JsValue, JsError> {
        to_js(&self.trainer.evaluate().await.map_err(js_error)?)
    }

    /// `{ step, epoch, epochFraction, imagesSeen }`.
    pub fn progress(&self) -> Result<JsValue, JsError> {
        to_js(&self.trainer.progress())
    }

    /// The current weights and step count as a weights file (f32, exact).
    #[wasm_bindgen(js_name = exportWeights)]
    pub async fn export_weights(&self) -> Result<Vec<u8>, JsError> {
        self.trainer
            .export_weights(Precision::F32)
            .await
            .map_err(js_error)
    }
}

/// Inference on the main thread, on the CPU: decode, encode and reconstruct answer at once.
#[wasm_bindgen]
pub struct Viewer {
    model: Vae,
    config: VaeConfig,
    device: Device,
}

#[wasm_bindgen]
impl Viewer {
    /// A viewer of the model in a weights file; a new model means a new viewer, so a bad file
    /// never touches the one on screen.
    #[wasm_bindgen(constructor)]
    pub fn new(weights: &[u8]) -> Result<Viewer, JsError> {
        let device = backend::cpu_device();
        let weights = Weights::parse(weights).map_err(js_error)?;
        let config = weights.config.clone();
        Ok(Self {
            model: weights.into_model(&device).map_err(js_error)?,
            config,
            device,
        })
    }

    #[wasm_bindgen(getter, js_name = latentSize)]
    pub fn latent_size(&self) -> usize {
        self.config.latent_size
    }

    /// Pixel probabilities (784, row-major) of the digit at latent point `z`.
    pub fn decode(&self, z: &[f32]) -> Result<Vec<f32>, JsError> {
        self.check_len("latent point", z.len(), self.config.latent_size)?;
        let z = self.batch_of_one(z);
        read(self.model.decode_probabilities(z))
    }

    /// The posterior mean μ of a 784-pixel image with grey levels in `[0, 1]`.
    pub fn encode(&self, pixels: &[f32]) -> Result<Vec<f32>, JsError> {
        let images = self.image(pixels)?;
        read(self.model.encoder.forward(images).mean)
    }

    /// `[μ…, pixels…]`: the posterior mean of the image followed by its decoding, in one call so
    /// the drawing pad moves the sliders and shows the reconstruction from the same pass.
    pub fn reconstruct(&self, pixels: &[f32]) -> Result<Vec<f32>, JsError> {
        let (mean, probabilities) = self.model.reconstruct(self.image(pixels)?);
        let mut out = read(mean)?;
        out.extend(read(probabilities)?);
        Ok(out)
    }
}

impl Viewer {
    fn check_len(&self, what: &str, got: usize, expected: usize) -> Result<(), JsError> {
        if got != expected {
            return Err(js_error(format!("{what} has {got} values, expected {expected}")));
        }
        Ok(())
    }

    fn batch_of_one(&self, values: &[f32]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(values.to_vec(), [1, values.len()]), &self.device)
    }

    fn image(&self, pixels: &[f32]) -> Result<Tensor<2>, JsError> {
        self.check_len("image", pixels.len(), self.config.input_size)?;
        if pixels.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(js_error("image grey levels must lie in [0, 1]"));
        }
        Ok(self.batch_of_one(pixels))
    }
}

/// Reads a CPU tensor synchronously: fine on the CPU backend, where the data is already there.
fn read(tensor: Tensor<2>) -> Result<Vec<f32>, JsError> {
    tensor
        .try_into_data()
        .map_err(|e| js_error(format!("reading the result failed: {e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| js_error(format!("unexpected result type: {e:?}")))
}
