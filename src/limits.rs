//! The range of every setting the page has a field for, and of a person's own data, built from the constants the checks
//! themselves use ([`VaeConfig`], [`Objective`], [`TrainerConfig`]), so the page's fields, the
//! trainer and the weights loader cannot disagree about what is allowed.

use serde::Serialize;

use crate::data::bounds;
use crate::model::VaeConfig;
use crate::objective::Objective;
use crate::optimizer_settings::OptimizerSettings;

/// The accepted values of one setting: `min ≤ value ≤ max`, or `min < value` when
/// `min_exclusive` is set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Range {
    pub min: f64,
    pub max: f64,
    /// Serialised only when set.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub min_exclusive: bool,
}

impl Range {
    fn inclusive(min: f64, max: f64) -> Self {
        Self {
            min,
            max,
            min_exclusive: false,
        }
    }
}

/// Every setting's range, serialised in camelCase for the page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingLimits {
    pub latent_size: Range,
    /// The fixed σ of a Gaussian decoder.
    pub sigma: Range,
    /// Samples of z per image.
    pub samples: Range,
    pub beta: Range,
    pub warmup_steps: Range,
    pub learning_rate: Range,
    pub batch_size: Range,
    /// Images in a person's dataset, training and held out together.
    pub dataset_images: Range,
    /// The size of one file read into a dataset (an IDX file after gunzip included).
    pub dataset_file_bytes: Range,
    /// The held-out share of a person's dataset, in percent.
    pub heldout_percent: Range,
    /// The pixels one brought image may decode to (width × height).
    pub image_pixels: Range,
    /// The pixels a dataset's conversion may read in all, each image counted as the square it
    /// is padded to.
    pub converted_pixels: Range,
    /// Classes labelled by folders, one folder each.
    pub label_folders: Range,
    /// A sprite sheet cell's width and height, in pixels.
    pub cell_side: Range,
    /// The seed of a dataset's held-out split.
    pub split_seed: Range,
}

pub fn setting_limits() -> SettingLimits {
    SettingLimits {
        latent_size: Range::inclusive(1.0, VaeConfig::MAX_LATENT_SIZE as f64),
        sigma: Range::inclusive(VaeConfig::MIN_SIGMA, VaeConfig::MAX_SIGMA),
        samples: Range::inclusive(1.0, Objective::MAX_SAMPLES as f64),
        beta: Range::inclusive(0.0, Objective::MAX_BETA),
        warmup_steps: Range::inclusive(0.0, Objective::MAX_WARMUP_STEPS as f64),
        learning_rate: Range {
            min: 0.0,
            max: OptimizerSettings::MAX_LEARNING_RATE,
            min_exclusive: true,
        },
        batch_size: Range::inclusive(1.0, OptimizerSettings::MAX_BATCH_SIZE as f64),
        dataset_images: Range::inclusive(bounds::MIN_IMAGES as f64, bounds::MAX_IMAGES as f64),
        dataset_file_bytes: Range::inclusive(1.0, bounds::MAX_FILE_BYTES as f64),
        heldout_percent: Range::inclusive(bounds::MIN_HELDOUT_PERCENT, bounds::MAX_HELDOUT_PERCENT),
        image_pixels: Range::inclusive(1.0, bounds::MAX_IMAGE_PIXELS as f64),
        converted_pixels: Range::inclusive(1.0, bounds::MAX_CONVERTED_PIXELS as f64),
        label_folders: Range::inclusive(2.0, bounds::MAX_LABELS as f64),
        cell_side: Range::inclusive(1.0, bounds::MAX_CELL_SIDE as f64),
        split_seed: Range::inclusive(0.0, bounds::MAX_SPLIT_SEED as f64),
    }
}
