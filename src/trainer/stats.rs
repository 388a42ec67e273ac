//! What a chunk of training steps reports: its figures, and the divergence it rolled back from.

use serde::{Deserialize, Serialize};

use crate::objective::ElboStats;
use crate::progress::Progress;

/// The outcome of [`Trainer::train_steps`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepStats {
    pub progress: Progress,
    /// Steps in this call.
    pub steps: usize,
    /// Mean over those steps' batches: the running mean the page plots as "train".
    pub train: ElboStats,
    /// The KL weight of the last of those steps (β, or less during warm-up).
    pub kl_weight: f64,
    /// Set when these steps diverged: the model, the optimizer and `progress` are then back
    /// at the last finite snapshot, and `train` holds the figures that were not finite.
    pub divergence: Option<Divergence>,
}

/// A chunk of steps whose loss or weights stopped being finite numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Divergence {
    /// The step count the chunk reached.
    pub at_step: u64,
    /// The step count of the snapshot training went back to.
    pub rolled_back_to: u64,
    /// Whether the weights themselves (and not only the loss) had become NaN or infinite.
    pub weights_not_finite: bool,
}
