//! Adam's step size and the batch size: what a weights file records beside the objective.

use serde::{Deserialize, Serialize};

/// The optimizer's step size and the batch it averages over: what a weights file records beside
/// the objective, so that a reload or an import trains on as it was.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSettings {
    pub learning_rate: f64,
    pub batch_size: usize,
}

impl OptimizerSettings {
    /// The learning rate lies in `(0, MAX_LEARNING_RATE]`: at 1, Adam already moves every
    /// weight by about 1 a step, and the held-out −ELBO is near 10¹⁴ nats after an epoch
    /// (`latent-lab train --learning-rate 1`): nothing larger can train.
    pub const MAX_LEARNING_RATE: f64 = 1.0;
    /// Batch sizes lie in `1..=MAX_BATCH_SIZE`.
    pub const MAX_BATCH_SIZE: usize = 1024;

    /// The ranges of a training run's settings (`TrainerConfig` checks itself with this).
    pub fn validate(&self) -> Result<(), String> {
        // Written so that NaN fails.
        if !(self.learning_rate > 0.0 && self.learning_rate <= Self::MAX_LEARNING_RATE) {
            return Err(format!(
                "learning rate must be in (0, {}] (got {})",
                Self::MAX_LEARNING_RATE,
                self.learning_rate
            ));
        }
        if self.batch_size == 0 || self.batch_size > Self::MAX_BATCH_SIZE {
            return Err(format!(
                "batch size must be between 1 and {} (got {})",
                Self::MAX_BATCH_SIZE,
                self.batch_size
            ));
        }
        Ok(())
    }
}
