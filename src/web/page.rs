//! What the page's main thread asks before any trainer exists: the accepted range of every
//! setting, whether settings would be refused, and what it needs of the dataset.

use wasm_bindgen::JsValue;
#[cfg(target_family = "wasm")]
use wasm_bindgen::prelude::*;

use super::options::{TrainerOptions, TrainingSettings};
use super::{WebError, from_js, set_property, to_js};
use crate::data::{DataIdentity, DatasetLayout};
use crate::limits;
use crate::memory::MemoryEstimate;

/// The accepted range of every setting the page has a field for: `{ latentSize, sigma,
/// samples, beta, warmupSteps, learningRate, batchSize }`, each `{ min, max }`, with
/// `minExclusive: true` where the minimum itself is refused (the learning rate).
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = settingLimits))]
pub fn setting_limits_for_js() -> Result<JsValue, WebError> {
    to_js(&limits::setting_limits())
}

/// Checks training settings without starting anything: `options` as for
/// `TrainerHandle.create` with fresh weights, `training_images` the size of the training split.
/// The estimated memory of a training step, or the reason the settings would be refused (a
/// range, or the `memoryBudget`).
pub fn check_training_settings(
    options: &TrainerOptions,
    training_images: usize,
) -> Result<MemoryEstimate, WebError> {
    let config = options.trainer_config(None, training_images)?;
    Ok(config.memory_estimate(training_images))
}

/// [`check_training_settings`] for JS: resolves to `{ totalBytes, largestTensorBytes }` or throws.
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = checkTrainingSettings))]
pub fn check_training_settings_for_js(
    options: JsValue,
    training_images: usize,
) -> Result<JsValue, WebError> {
    let options = from_js(options, "trainer options")?;
    to_js(&check_training_settings(&options, training_images)?)
}

/// What a run's −ELBO and −IW-k are, given its settings as the page holds them:
/// `"negative-log-likelihood"` or `"binarised-expectation"`
/// ([`FigureMeaning`](crate::evaluation::FigureMeaning)).
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = figureMeaning))]
pub fn figure_meaning_for_js(settings: JsValue) -> Result<JsValue, WebError> {
    let settings: TrainingSettings = from_js(settings, "training settings")?;
    to_js(&settings.figure_meaning())
}

/// What the main thread needs of the dataset: its identity (name, count, hash: what a weights
/// file records), the held-out digits' labels (for colouring the latent map) when it has
/// labels, and the number of training images (the memory a training step needs depends on it:
/// the trainer keeps them all on its device).
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSummary {
    pub identity: DataIdentity,
    /// Empty when the dataset has no labels.
    pub heldout_labels: Vec<u8>,
    pub training_images: usize,
    pub heldout_images: usize,
}

/// The file is checked in full but its pixels are not copied: the worker parses them.
pub fn dataset_summary(dataset: &[u8]) -> Result<DatasetSummary, WebError> {
    let layout = DatasetLayout::read(dataset)?;
    let heldout = layout.heldout_labels();
    Ok(DatasetSummary {
        identity: DataIdentity::of_layout(&layout, dataset),
        heldout_labels: if layout.labelled {
            heldout.to_vec()
        } else {
            Vec::new()
        },
        training_images: layout.train,
        heldout_images: heldout.len(),
    })
}

/// [`dataset_summary`] for JS: `{ name, images, hash, labelled, heldoutLabels: Uint8Array,
/// trainingImages, heldoutImages }`.
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = datasetSummary))]
pub fn dataset_summary_for_js(dataset: &[u8]) -> Result<JsValue, WebError> {
    let summary = dataset_summary(dataset)?;
    let object = to_js(&summary.identity)?;
    set_property(
        &object,
        "labelled",
        (!summary.heldout_labels.is_empty()).into(),
    )?;
    let labels = js_sys::Uint8Array::from(summary.heldout_labels.as_slice());
    set_property(&object, "heldoutLabels", labels.into())?;
    set_property(
        &object,
        "trainingImages",
        (summary.training_images as u32).into(),
    )?;
    set_property(
        &object,
        "heldoutImages",
        (summary.heldout_images as u32).into(),
    )?;
    Ok(object)
}
