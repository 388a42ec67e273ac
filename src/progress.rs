//! Where training stands: steps, passes and images, as counts the page can hold.

use serde::{Deserialize, Serialize};

use crate::optimizer_settings::OptimizerSettings;

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`, 2⁵³ − 1).
/// serde-wasm-bindgen refuses to hand the page a larger `u64`, so every count the page reads
/// stays at or below it.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Where training stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Optimizer steps taken.
    pub step: u64,
    /// Completed passes over the training split.
    pub epoch: u64,
    /// Fraction of the current pass done, in `[0, 1]`: 1 when a pass ended exactly on a batch
    /// boundary and the next step starts a new one.
    pub epoch_fraction: f64,
    /// Training images seen across all steps.
    pub images_seen: u64,
}

impl Progress {
    /// Checks what a weights file claims: every count within [`MAX_SAFE_INTEGER`], the fraction
    /// in `[0, 1]`, and the orders every trainer keeps (each step sees between 1 and
    /// [`OptimizerSettings::MAX_BATCH_SIZE`] images, and a pass takes at least one step). Field
    /// names are the file's.
    pub fn validate(&self) -> Result<(), String> {
        for (field, value) in [
            ("step", self.step),
            ("epoch", self.epoch),
            ("imagesSeen", self.images_seen),
        ] {
            if value > MAX_SAFE_INTEGER {
                return Err(format!(
                    "progress.{field} must be at most {MAX_SAFE_INTEGER} (2^53 − 1, the largest \
                     integer a JavaScript number holds exactly), got {value}"
                ));
            }
        }
        // A range contains no NaN.
        if !(0.0..=1.0).contains(&self.epoch_fraction) {
            return Err(format!(
                "progress.epochFraction must be between 0 and 1 (got {})",
                self.epoch_fraction
            ));
        }
        if self.epoch > self.step {
            return Err(format!(
                "progress.epoch {} exceeds progress.step {}: a pass takes at least one step",
                self.epoch, self.step
            ));
        }
        let most_images = self
            .step
            .saturating_mul(OptimizerSettings::MAX_BATCH_SIZE as u64);
        if self.images_seen < self.step || self.images_seen > most_images {
            return Err(format!(
                "progress.imagesSeen {} does not fit progress.step {}: each step sees between 1 \
                 and {} images",
                self.images_seen,
                self.step,
                OptimizerSettings::MAX_BATCH_SIZE
            ));
        }
        Ok(())
    }
}

/// A count with its thousands separated by commas, as the page writes counts: `70,000`.
pub fn thousands(n: impl std::fmt::Display) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
