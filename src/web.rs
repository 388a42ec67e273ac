//! The wasm surface: the only file that touches wasm-bindgen and `JsValue`.
//!
//! Two opaque handles, following the Rust-wasm book's "big state lives in wasm" pattern:
//! [`TrainerHandle`] lives in the Web Worker and owns the training model on WebGPU or the CPU;
//! [`Viewer`] lives on the main thread on the CPU and answers the sliders, the drawing pad and
//! the latent views synchronously, so they stay instant however long a training step takes.
//! Weights move between them as weights files ([`crate::weights`]). Every error reaches JS as a
//! `JsError` with a message, and the one failure JS branches on also with a `kind`; nothing here
//! panics on bad input.

use burn::prelude::*;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::data::MnistSplit;
use crate::device::{self, BackendKind};
use crate::limits;
use crate::model::Vae;
use crate::objective::Objective;
use crate::options::TrainerOptions;
use crate::trainer::Trainer;
use crate::weights::{Precision, Weights};

unsafe extern "C" {
    /// Synthesised by the wasm linker: runs every static constructor in the module.
    fn __wasm_call_ctors();
}

#[wasm_bindgen(start)]
pub fn start() {
    // cubecl's IR (pliron) registers thousands of static constructors (the `inventory` crate).
    // A module that never runs them itself is linked "command-style": the linker runs them all
    // again at the top of every exported function, so each call from JS, even a getter, cost
    // 15–20 ms (settingLimits: 15 ms a call in Node, all of it in the constructors). Running
    // them once here, at instantiation, makes the linker leave the exports alone.
    // SAFETY: called once per instance, before any other export; inventory's constructors
    // are idempotent besides.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
}

fn js_error(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
}

/// The `kind` of the error [`TrainerHandle::create`] throws when WebGPU does not start.
const NO_WEBGPU: &str = "no-webgpu";

/// An `Error` with a `kind` that JS can branch on; the message is for people.
fn error_of_kind(kind: &str, message: impl std::fmt::Display) -> JsValue {
    let error = js_sys::Error::new(&message.to_string());
    // Setting a property on a fresh object cannot fail.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    error.into()
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(value).map_err(js_error)
}

fn fresh_seed() -> Result<u64, JsError> {
    getrandom::u64().map_err(|e| js_error(format!("no source of randomness: {e}")))
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
    /// Starts a trainer. `options`: `{ backend: "webgpu" | "cpu", model?: { latentSize,
    /// likelihood, covariance, architecture }, objective?: { samples, beta, warmup_steps },
    /// learningRate?, batchSize?, memoryBudget?: { totalBytes, largestTensorBytes } }`;
    /// `dataset`: the bytes of `mnist-10k.bin`; `weights`: a weights file to start from (its
    /// model and step count are carried on, and its objective, learning rate and batch size
    /// unless the options give them), or nothing for fresh weights of `options.model`. With a
    /// `memoryBudget`, settings whose training step would need more are refused.
    pub async fn create(
        options: JsValue,
        dataset: Vec<u8>,
        weights: Option<Vec<u8>>,
    ) -> Result<TrainerHandle, JsValue> {
        let options: TrainerOptions = serde_wasm_bindgen::from_value(options)
            .map_err(|e| js_error(format!("bad trainer options: {e}")))?;
        let initial = weights
            .map(|bytes| Weights::parse(&bytes))
            .transpose()
            .map_err(js_error)?;
        let data = MnistSplit::parse(&dataset).map_err(js_error)?;
        // Before the device: a bad setting is refused as such, never mistaken for a device
        // that will not start (which falls back to the CPU).
        let config = options
            .trainer_config(initial.as_ref(), data.train.len())
            .map_err(js_error)?;
        // The one failure JS branches on (it falls back to the CPU): said by `kind`.
        let device = device::open(options.backend)
            .await
            .map_err(|e| error_of_kind(NO_WEBGPU, e))?;
        let trainer =
            Trainer::new(config, &data, &device, fresh_seed()?, initial).map_err(js_error)?;
        Ok(Self {
            trainer,
            backend: options.backend,
        })
    }

    /// The model and objective being trained: `{ model: VaeConfig, objective: Objective, … }`.
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(self.trainer.config())
    }

    /// `{ kind, label }` of the backend this trainer runs on.
    pub fn backend(&self) -> Result<JsValue, JsError> {
        to_js(&BackendInfo {
            kind: self.backend,
            label: self.backend.label(),
        })
    }

    /// Runs `steps` optimizer steps; resolves to `{ progress, steps, train, klWeight }` where
    /// `train` holds the mean `{ reconstruction, kl, negativeElbo }` of those steps in nats per
    /// image.
    #[wasm_bindgen(js_name = trainSteps)]
    pub async fn train_steps(&mut self, steps: usize) -> Result<JsValue, JsError> {
        let stats = self.trainer.train_steps(steps).await.map_err(js_error)?;
        to_js(&stats)
    }

    /// Resolves to the held-out `{ elbo: { reconstruction, kl, negativeElbo }, unitVariances,
    /// activeUnits, means }`, `means` a Float32Array.
    pub async fn evaluate(&self) -> Result<JsValue, JsError> {
        let mut report = self.trainer.evaluate().await.map_err(js_error)?;
        // 20,000 means as a typed array (one copy), not as a JS array built number by number.
        let means = std::mem::take(&mut report.means);
        let value = to_js(&report)?;
        js_sys::Reflect::set(
            &value,
            &JsValue::from_str("means"),
            &js_sys::Float32Array::from(means.as_slice()),
        )
        .map_err(|_| js_error("could not attach the means to the report"))?;
        Ok(value)
    }

    /// Resolves to `{ k, digits, negativeElbo, negativeLogLikelihood, gap }` on the first
    /// `digits` held-out digits.
    #[wasm_bindgen(js_name = estimateGap)]
    pub async fn estimate_gap(&self, k: usize, digits: usize) -> Result<JsValue, JsError> {
        to_js(
            &self
                .trainer
                .estimate_gap(k, digits)
                .await
                .map_err(js_error)?,
        )
    }

    /// `{ step, epoch, epochFraction, imagesSeen }`.
    pub fn progress(&self) -> Result<JsValue, JsError> {
        to_js(&self.trainer.progress())
    }

    /// The current weights, step count and objective as a weights file (f32, exact).
    #[wasm_bindgen(js_name = exportWeights)]
    pub async fn export_weights(&self) -> Result<Vec<u8>, JsError> {
        self.trainer
            .export_weights(Precision::F32)
            .await
            .map_err(js_error)
    }
}

/// The accepted range of every setting the page has a field for: `{ latentSize, sigma,
/// samples, beta, warmupSteps, learningRate, batchSize }`, each `{ min, max }`, with
/// `minExclusive: true` where the minimum itself is refused (the learning rate).
#[wasm_bindgen(js_name = settingLimits)]
pub fn setting_limits() -> Result<JsValue, JsError> {
    to_js(&limits::setting_limits())
}

/// Checks training settings without starting anything: `options` as for
/// [`TrainerHandle::create`] with fresh weights, `training_images` the size of the training
/// split. Returns the estimated memory of a training step, `{ totalBytes, largestTensorBytes }`,
/// or throws the reason the settings would be refused (a range, or the `memoryBudget`).
#[wasm_bindgen(js_name = checkTrainingSettings)]
pub fn check_training_settings(
    options: JsValue,
    training_images: usize,
) -> Result<JsValue, JsError> {
    let options: TrainerOptions = serde_wasm_bindgen::from_value(options)
        .map_err(|e| js_error(format!("bad trainer options: {e}")))?;
    let config = options
        .trainer_config(None, training_images)
        .map_err(js_error)?;
    to_js(&config.memory_estimate(training_images))
}

/// What the main thread needs of the dataset, from one parse of its 8 MB: `{ heldoutLabels,
/// trainingImages }`, the held-out digits' labels (a Uint8Array, for colouring the latent map)
/// and the number of training images (the memory a training step needs depends on it: the
/// trainer keeps them all on its device).
#[wasm_bindgen(js_name = datasetSummary)]
pub fn dataset_summary(dataset: &[u8]) -> Result<JsValue, JsError> {
    let split = MnistSplit::parse(dataset).map_err(js_error)?;
    let summary = js_sys::Object::new();
    let set = |key: &str, value: JsValue| {
        js_sys::Reflect::set(&summary, &JsValue::from_str(key), &value)
            .map_err(|_| js_error("could not build the dataset summary"))
    };
    set(
        "heldoutLabels",
        js_sys::Uint8Array::from(split.heldout.labels.as_slice()).into(),
    )?;
    set("trainingImages", JsValue::from(split.train.len() as u32))?;
    Ok(summary.into())
}

/// Inference on the main thread, on the CPU: decode, encode and reconstruct answer at once.
#[wasm_bindgen]
pub struct Viewer {
    model: Vae,
    objective: Option<Objective>,
    device: Device,
}

#[wasm_bindgen]
impl Viewer {
    /// A viewer of the model in a weights file; a new model means a new viewer, so a bad file
    /// never touches the one on screen.
    #[wasm_bindgen(constructor)]
    pub fn new(weights: &[u8]) -> Result<Viewer, JsError> {
        let device = device::cpu_device();
        let weights = Weights::parse(weights).map_err(js_error)?;
        let objective = weights.objective.clone();
        Ok(Self {
            model: weights.into_model(&device).map_err(js_error)?,
            objective,
            device,
        })
    }

    #[wasm_bindgen(getter, js_name = latentSize)]
    pub fn latent_size(&self) -> usize {
        self.model.latent_size()
    }

    /// The model's config, as the weights file gives it.
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(self.model.config())
    }

    /// The objective the model was being trained with, when its file says.
    pub fn objective(&self) -> Result<JsValue, JsError> {
        to_js(&self.objective)
    }

    /// Decoded means (784 values in `[0, 1]` each, row-major) of `n` latent points given as one
    /// flat array of `n × latent` values: one digit for the sliders, a grid or a strip at once.
    pub fn decode(&self, z: &[f32]) -> Result<Vec<f32>, JsError> {
        let latent = self.model.latent_size();
        if z.is_empty() || !z.len().is_multiple_of(latent) {
            return Err(js_error(format!(
                "latent points have {} values, not a multiple of {latent}",
                z.len()
            )));
        }
        if z.iter().any(|v| !v.is_finite()) {
            return Err(js_error("latent points must be finite"));
        }
        read(self.model.decode_mean(self.rows(z, latent)))
    }

    /// `{ mean, pixels }`, two Float32Arrays: the posterior mean μ of a 784-pixel image (grey
    /// levels in `[0, 1]`) and its decoding, in one call so the drawing pad moves the sliders
    /// and shows the reconstruction from the same pass.
    pub fn reconstruct(&self, pixels: &[f32]) -> Result<JsValue, JsError> {
        let input = self.model.config().input_size;
        if pixels.len() != input {
            return Err(js_error(format!(
                "image has {} values, expected {input}",
                pixels.len()
            )));
        }
        if pixels.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(js_error("image grey levels must lie in [0, 1]"));
        }
        let (mean, decoded) = self.model.reconstruct(self.rows(pixels, input));
        let out = js_sys::Object::new();
        for (key, values) in [("mean", read(mean)?), ("pixels", read(decoded)?)] {
            js_sys::Reflect::set(
                &out,
                &JsValue::from_str(key),
                &js_sys::Float32Array::from(values.as_slice()),
            )
            .map_err(|_| js_error("could not build the reconstruction"))?;
        }
        Ok(out.into())
    }
}

impl Viewer {
    fn rows(&self, values: &[f32], width: usize) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len() / width, width]),
            &self.device,
        )
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
