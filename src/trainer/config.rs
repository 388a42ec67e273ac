//! The settings of a training run, and where they come from when a weights file is carried on.

use burn::prelude::*;

use crate::data::PixelValues;
use crate::model::VaeConfig;
use crate::objective::Objective;
use crate::optimizer_settings::OptimizerSettings;
use crate::weights::Weights;

/// Hyper-parameters of a training run.
#[derive(Config, Debug, PartialEq)]
pub struct TrainerConfig {
    pub model: VaeConfig,
    #[config(default = "Objective::new()")]
    pub objective: Objective,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    #[config(default = 128)]
    pub batch_size: usize,
    /// Binarised digits or grey levels.
    #[config(default = "PixelValues::Binarised")]
    pub data: PixelValues,
}

impl TrainerConfig {
    pub fn validate(&self) -> Result<(), String> {
        self.model.validate()?;
        self.objective.validate()?;
        self.optimizer().validate()
    }

    /// The run a weights file describes: its model, its data, and its objective, learning rate
    /// and batch size where it records them (the defaults where it does not), for carrying on
    /// training it.
    pub fn for_weights(weights: &Weights) -> Self {
        let mut config = Self::new(weights.config.clone()).with_data(weights.data);
        if let Some(objective) = &weights.objective {
            config.objective = objective.clone();
        }
        if let Some(optimizer) = weights.optimizer {
            config.learning_rate = optimizer.learning_rate;
            config.batch_size = optimizer.batch_size;
        }
        config
    }

    /// The learning rate and batch size, as a weights file carries them.
    pub fn optimizer(&self) -> OptimizerSettings {
        OptimizerSettings {
            learning_rate: self.learning_rate,
            batch_size: self.batch_size,
        }
    }
}
