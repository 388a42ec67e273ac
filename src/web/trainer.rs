//! [`TrainerHandle`]: the model being trained, its optimizer and the dataset, on one backend, in
//! the Web Worker.

use serde::Serialize;
use wasm_bindgen::JsValue;
#[cfg(target_family = "wasm")]
use wasm_bindgen::prelude::*;

use super::options::{TrainerOptions, TrainingSettings};
use super::{ErrorKind, WebError, from_js, set_property, to_js};
use crate::data::DataSplit;
use crate::device::{self, BackendKind};
use crate::trainer::Trainer;
use crate::weights::{Precision, Weights};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BackendInfo {
    kind: BackendKind,
    label: String,
}

#[cfg_attr(target_family = "wasm", wasm_bindgen)]
pub struct TrainerHandle {
    trainer: Trainer,
    backend: BackendKind,
}

impl TrainerHandle {
    /// A trainer of `options` on the dataset file `dataset`, from the weights file `weights` (its
    /// model and step count carried on, and its objective and optimizer settings unless the
    /// options give them) or from fresh weights of `options.model`. Settings are checked before
    /// the device opens, so a bad one is refused as such and never mistaken for a device that
    /// will not start, the one failure with a kind ([`ErrorKind::NoWebgpu`]).
    pub async fn open(
        options: TrainerOptions,
        dataset: &[u8],
        weights: Option<&[u8]>,
        seed: u64,
    ) -> Result<Self, WebError> {
        let initial = weights.map(Weights::parse).transpose()?;
        let data = DataSplit::parse(dataset)?;
        let config = options.trainer_config(initial.as_ref(), data.train.len())?;
        let device = device::open(options.backend)
            .await
            .map_err(|e| WebError::of_kind(ErrorKind::NoWebgpu, e))?;
        let trainer = Trainer::new(config, &data, &device, seed, initial)?;
        Ok(Self {
            trainer,
            backend: options.backend,
        })
    }

    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }
}

#[cfg_attr(target_family = "wasm", wasm_bindgen)]
impl TrainerHandle {
    /// [`TrainerHandle::open`] for JS, with a fresh random seed unless the options give one.
    /// `options`: `{ backend: "webgpu" | "cpu", model?, objective?, optimizer?: { learningRate?,
    /// batchSize? }, data?, memoryBudget?: { totalBytes, largestTensorBytes }, seed? }` (see
    /// [`TrainerOptions`]); `dataset`: the bytes of `mnist-10k.bin`; `weights`: a weights file,
    /// or nothing for fresh weights.
    pub async fn create(
        options: JsValue,
        dataset: Vec<u8>,
        weights: Option<Vec<u8>>,
    ) -> Result<TrainerHandle, WebError> {
        let options: TrainerOptions = from_js(options, "trainer options")?;
        let seed = options.seed_or_fresh()?;
        Self::open(options, &dataset, weights.as_deref(), seed).await
    }

    /// What is being trained, as [`TrainingSettings`]: `{ model, objective, optimizer }`.
    pub fn settings(&self) -> Result<JsValue, WebError> {
        to_js(&TrainingSettings::of(self.trainer.config()))
    }

    /// `{ kind, label }` of the backend this trainer runs on.
    pub fn backend(&self) -> Result<JsValue, WebError> {
        to_js(&BackendInfo {
            kind: self.backend,
            label: self.backend.label(),
        })
    }

    /// Runs `steps` optimizer steps; resolves to `{ progress, steps, train, klWeight,
    /// divergence }` where `train` holds the mean `{ reconstruction, kl, negativeElbo }` of those
    /// steps in nats per image.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = trainSteps))]
    pub async fn train_steps(&mut self, steps: usize) -> Result<JsValue, WebError> {
        to_js(&self.trainer.train_steps(steps).await?)
    }

    /// Resolves to the held-out `{ elbo: { reconstruction, kl, negativeElbo }, unitVariances,
    /// activeUnits, means, principalAxes, reconstructions: { count, inputs, atMean, atSample }
    /// }`, `means` and the reconstructions' images Float32Arrays.
    pub async fn evaluate(&self) -> Result<JsValue, WebError> {
        let mut report = self.trainer.evaluate().await?;
        // 20,000 means as a typed array (one copy), not as a JS array built number by number.
        let means = std::mem::take(&mut report.means);
        let value = to_js(&report)?;
        let typed = |values: &[f32]| -> JsValue { js_sys::Float32Array::from(values).into() };
        set_property(&value, "means", typed(&means))?;
        let shown = &report.reconstructions;
        let reconstructions: JsValue = js_sys::Object::new().into();
        set_property(&reconstructions, "count", (shown.count as u32).into())?;
        set_property(&reconstructions, "inputs", typed(&shown.inputs))?;
        set_property(&reconstructions, "atMean", typed(&shown.at_mean))?;
        set_property(&reconstructions, "atSample", typed(&shown.at_sample))?;
        set_property(&value, "reconstructions", reconstructions)?;
        Ok(value)
    }

    /// Resolves to `{ k, digits, negativeElbo, negativeIwBound, gap }` on the first
    /// `digits` held-out digits.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = estimateGap))]
    pub async fn estimate_gap(&self, k: usize, digits: usize) -> Result<JsValue, WebError> {
        to_js(&self.trainer.estimate_gap(k, digits).await?)
    }

    /// `{ step, epoch, epochFraction, imagesSeen }`.
    pub fn progress(&self) -> Result<JsValue, WebError> {
        to_js(&self.trainer.progress())
    }

    /// For the browser tests: the next chunk diverges ([`Trainer::inject_non_finite_weights`]).
    #[doc(hidden)]
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = injectNonFiniteWeights))]
    pub fn inject_non_finite_weights(&mut self) {
        self.trainer.inject_non_finite_weights();
    }

    /// The current weights, step count, data and objective as a weights file (f32, exact).
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = exportWeights))]
    pub async fn export_weights(&self) -> Result<Vec<u8>, WebError> {
        Ok(self.trainer.export_weights(Precision::F32).await?)
    }
}
