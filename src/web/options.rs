//! What the page passes to start or check a training run, and the settings it reads back: plain
//! serde types in camelCase, shaped as the page's settings panel holds them
//! (`{ model, objective, optimizer }`), so JS uses them as they are. The crate's own types keep
//! the names the weights file writes (`warmup_steps`, `{"Gaussian": {"sigma": …}}`); the
//! conversions between the two are here, and so is the merge of options with a weights file into
//! the run's [`TrainerConfig`], tested natively (tests/web.rs).

use serde::{Deserialize, Serialize};

use crate::data::PixelValues;
use crate::device::BackendKind;
use crate::evaluation::FigureMeaning;
use crate::memory::MemoryBudget;
use crate::model::{Architecture, Covariance, Likelihood, VaeConfig};
use crate::objective::Objective;
use crate::trainer::TrainerConfig;
use crate::weights::Weights;

/// The decoder's likelihood, tagged by `kind` as the page's menu names it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LikelihoodOption {
    Bernoulli,
    ContinuousBernoulli,
    Gaussian { sigma: f64 },
    GaussianLearned,
}

impl From<LikelihoodOption> for Likelihood {
    fn from(option: LikelihoodOption) -> Self {
        match option {
            LikelihoodOption::Bernoulli => Likelihood::Bernoulli,
            LikelihoodOption::ContinuousBernoulli => Likelihood::ContinuousBernoulli,
            LikelihoodOption::Gaussian { sigma } => Likelihood::Gaussian { sigma },
            LikelihoodOption::GaussianLearned => Likelihood::GaussianLearned,
        }
    }
}

impl From<Likelihood> for LikelihoodOption {
    fn from(likelihood: Likelihood) -> Self {
        match likelihood {
            Likelihood::Bernoulli => LikelihoodOption::Bernoulli,
            Likelihood::ContinuousBernoulli => LikelihoodOption::ContinuousBernoulli,
            Likelihood::Gaussian { sigma } => LikelihoodOption::Gaussian { sigma },
            Likelihood::GaussianLearned => LikelihoodOption::GaussianLearned,
        }
    }
}

/// The model a fresh training run builds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelOptions {
    pub latent_size: usize,
    pub likelihood: LikelihoodOption,
    pub covariance: Covariance,
    pub architecture: Architecture,
}

/// How the ELBO is estimated and weighted ([`Objective`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectiveOptions {
    pub samples: usize,
    pub beta: f64,
    pub warmup_steps: u64,
}

/// Adam's learning rate and the batch size; each, when absent, the weights file's or the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptimizerOptions {
    #[serde(default)]
    pub learning_rate: Option<f64>,
    #[serde(default)]
    pub batch_size: Option<usize>,
}

/// What JS passes to start (or check) a training run.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainerOptions {
    pub backend: BackendKind,
    /// For fresh weights; a weights file brings its own model.
    #[serde(default)]
    pub model: Option<ModelOptions>,
    /// When absent, the weights file's, else the default (one sample, β = 1, no warm-up).
    #[serde(default)]
    pub objective: Option<ObjectiveOptions>,
    #[serde(default)]
    pub optimizer: OptimizerOptions,
    /// When absent, the weights file's, else binarised.
    #[serde(default)]
    pub data: Option<PixelValues>,
    /// When given, a run whose estimated memory exceeds it is refused before it starts.
    #[serde(default)]
    pub memory_budget: Option<MemoryBudget>,
    /// When given, seeds the fresh weights, ε, the binarisation and the batch order, so a run can
    /// be repeated exactly (the test that holds the threaded build to the single-threaded one);
    /// else every trainer draws a fresh seed.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The settings of a run as the page shows them: what a trainer reports it trains, in the shape
/// the page sends back to train the same again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingSettings {
    pub model: ModelOptions,
    pub objective: ObjectiveOptions,
    pub optimizer: OptimizerOptions,
    pub data: PixelValues,
}

impl TrainingSettings {
    /// What the −ELBO and −IW-k of a run with these settings are.
    pub fn figure_meaning(&self) -> FigureMeaning {
        FigureMeaning::of(self.model.likelihood.into(), self.data)
    }

    pub fn of(config: &TrainerConfig) -> Self {
        let model = &config.model;
        let objective = &config.objective;
        Self {
            model: ModelOptions {
                latent_size: model.latent_size,
                likelihood: model.likelihood.into(),
                covariance: model.covariance,
                architecture: model.architecture,
            },
            objective: ObjectiveOptions {
                samples: objective.samples,
                beta: objective.beta,
                warmup_steps: objective.warmup_steps,
            },
            optimizer: OptimizerOptions {
                learning_rate: Some(config.learning_rate),
                batch_size: Some(config.batch_size),
            },
            data: config.data,
        }
    }
}

impl TrainerOptions {
    /// The seed the options give, else a fresh one from the system's source of randomness (the
    /// browser's `crypto.getRandomValues` in the page), so every page load starts a new model.
    pub fn seed_or_fresh(&self) -> Result<u64, String> {
        match self.seed {
            Some(seed) => Ok(seed),
            None => getrandom::u64().map_err(|e| format!("no source of randomness: {e}")),
        }
    }

    /// The run these options ask for, starting from `initial` weights (whose model, data,
    /// objective, learning rate and batch size fill in whatever the options leave out) or from
    /// fresh ones of `model`; checked against every range and, when the options give a budget,
    /// against the memory a step needs with `training_images` images uploaded.
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
                    .with_likelihood(m.likelihood.into())
                    .with_covariance(m.covariance)
                    .with_architecture(m.architecture),
            ),
            (None, None) => return Err("fresh weights need a model".into()),
        };
        if let Some(o) = self.objective {
            config.objective = Objective::new()
                .with_samples(o.samples)
                .with_beta(o.beta)
                .with_warmup_steps(o.warmup_steps);
        }
        if let Some(lr) = self.optimizer.learning_rate {
            config.learning_rate = lr;
        }
        if let Some(batch) = self.optimizer.batch_size {
            config.batch_size = batch;
        }
        if let Some(data) = self.data {
            config.data = data;
        }
        config.validate()?;
        if let Some(budget) = self.memory_budget {
            config.check_memory(training_images, budget)?;
        }
        Ok(config)
    }
}
