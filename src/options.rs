//! What the page asks for when it starts a training run, and how that merges with a weights
//! file into the run's [`TrainerConfig`]. Plain serde types, so the merge is tested natively;
//! the wasm surface (`web.rs`) only converts them from JS.

use serde::Deserialize;

use crate::device::BackendKind;
use crate::memory::MemoryBudget;
use crate::model::{Architecture, Covariance, Likelihood, VaeConfig};
use crate::objective::Objective;
use crate::trainer::TrainerConfig;
use crate::weights::Weights;

/// The model a fresh training run builds.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelOptions {
    pub latent_size: usize,
    pub likelihood: Likelihood,
    pub covariance: Covariance,
    pub architecture: Architecture,
}

/// What JS passes to start a training run.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainerOptions {
    pub backend: BackendKind,
    /// For fresh weights; a weights file brings its own model.
    #[serde(default)]
    pub model: Option<ModelOptions>,
    /// When absent, the weights file's, else the default (one sample, β = 1, no warm-up).
    #[serde(default)]
    pub objective: Option<Objective>,
    /// When absent, the weights file's, else the default.
    #[serde(default)]
    pub learning_rate: Option<f64>,
    /// When absent, the weights file's, else the default.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// When given, a run whose estimated memory exceeds it is refused before it starts.
    #[serde(default)]
    pub memory_budget: Option<MemoryBudget>,
}

impl TrainerOptions {
    /// The run these options ask for, starting from `initial` weights (whose model, objective,
    /// learning rate and batch size fill in whatever the options leave out) or from fresh ones
    /// of `model`; checked against every range and, when the options give a budget, against
    /// the memory a step needs with `training_images` images uploaded.
    pub fn trainer_config(
        &self,
        initial: Option<&Weights>,
        training_images: usize,
    ) -> Result<TrainerConfig, String> {
        let mut config = match (initial, &self.model) {
            (Some(weights), _) => TrainerConfig::for_weights(weights),
            (None, Some(m)) => TrainerConfig::new(
                VaeConfig::new()
                    .with_latent_size(m.latent_size)
                    .with_likelihood(m.likelihood)
                    .with_covariance(m.covariance)
                    .with_architecture(m.architecture),
            ),
            (None, None) => return Err("fresh weights need a model".into()),
        };
        if let Some(objective) = &self.objective {
            config.objective = objective.clone();
        }
        if let Some(lr) = self.learning_rate {
            config.learning_rate = lr;
        }
        if let Some(batch) = self.batch_size {
            config.batch_size = batch;
        }
        config.validate()?;
        if let Some(budget) = self.memory_budget {
            config.check_memory(training_images, budget)?;
        }
        Ok(config)
    }
}
