//! What the page sends to start a training run (`TrainerOptions`, as JSON the way JS writes it)
//! merged with a weights file into the run's configuration: the options win where they speak,
//! the file fills in the rest, and anything out of range or misspelt is refused.

mod common;

use latent_lab::model::{Architecture, Covariance, Likelihood, VaeConfig};
use latent_lab::objective::Objective;
use latent_lab::optimizer_settings::OptimizerSettings;
use latent_lab::options::TrainerOptions;
use latent_lab::weights::{self, Precision, Weights};

const TRAINING_IMAGES: usize = 9_000;

fn options(json: &str) -> Result<TrainerOptions, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

/// A weights file of a fresh latent-5 model recording a run of 2 samples, β = 0.5, a warm-up
/// of 100 steps, learning rate 0.003 and batch 64.
fn recorded_run() -> Weights {
    let device = common::device();
    let model = VaeConfig::new().with_latent_size(5).init(&device);
    let objective = Objective::new()
        .with_samples(2)
        .with_beta(0.5)
        .with_warmup_steps(100);
    let optimizer = OptimizerSettings {
        learning_rate: 0.003,
        batch_size: 64,
    };
    let bytes = common::block_on(weights::export(
        &model,
        Some(&objective),
        None,
        Some(&optimizer),
        Precision::F32,
    ))
    .unwrap();
    Weights::parse(&bytes).unwrap()
}

#[test]
fn fresh_weights_take_the_model_asked_for_and_the_defaults() {
    let config = options(
        r#"{"backend": "cpu", "model": {"latentSize": 7, "likelihood": "GaussianLearned",
            "covariance": "Full", "architecture": "Conv"}}"#,
    )
    .unwrap()
    .trainer_config(None, TRAINING_IMAGES)
    .unwrap();
    assert_eq!(config.model.latent_size, 7);
    assert_eq!(config.model.likelihood, Likelihood::GaussianLearned);
    assert_eq!(config.model.covariance, Covariance::Full);
    assert_eq!(config.model.architecture, Architecture::Conv);
    assert_eq!(config.objective, Objective::new());
    assert_eq!((config.learning_rate, config.batch_size), (1e-3, 128));
}

#[test]
fn a_weights_file_fills_in_what_the_options_leave_out() {
    let weights = recorded_run();
    let config = options(r#"{"backend": "cpu"}"#)
        .unwrap()
        .trainer_config(Some(&weights), TRAINING_IMAGES)
        .unwrap();
    assert_eq!(config.model.latent_size, 5);
    assert_eq!((config.objective.samples, config.objective.beta), (2, 0.5));
    assert_eq!(config.objective.warmup_steps, 100);
    assert_eq!((config.learning_rate, config.batch_size), (0.003, 64));
}

#[test]
fn the_options_win_where_they_speak_and_the_file_brings_its_own_model() {
    let weights = recorded_run();
    let config = options(
        r#"{"backend": "cpu", "learningRate": 0.01,
            "objective": {"samples": 1, "beta": 1.0, "warmup_steps": 0},
            "model": {"latentSize": 30, "likelihood": "Bernoulli", "covariance": "Diagonal",
                      "architecture": "Mlp"}}"#,
    )
    .unwrap()
    .trainer_config(Some(&weights), TRAINING_IMAGES)
    .unwrap();
    assert_eq!(config.learning_rate, 0.01);
    assert_eq!(config.batch_size, 64, "not given: the file's");
    assert_eq!(config.objective, Objective::new());
    assert_eq!(
        config.model.latent_size, 5,
        "a weights file's model is its own"
    );
}

#[test]
fn refused_with_the_reason() {
    let refused = |json: &str| {
        options(json)
            .and_then(|o| o.trainer_config(None, TRAINING_IMAGES))
            .unwrap_err()
    };
    let model = r#""model": {"latentSize": 20, "likelihood": "Bernoulli", "covariance": "Diagonal", "architecture": "Mlp"}"#;
    assert_eq!(
        refused(r#"{"backend": "cpu"}"#),
        "fresh weights need a model"
    );
    assert!(
        refused(&format!(
            r#"{{"backend": "cpu", {model}, "learningRate": 2}}"#
        ))
        .contains("learning rate")
    );
    assert!(
        refused(&format!(r#"{{"backend": "cpu", {model}, "batchSize": 0}}"#))
            .contains("batch size")
    );
    // A misspelt field is refused, not ignored: snake_case where the page writes camelCase.
    assert!(
        refused(&format!(
            r#"{{"backend": "cpu", {model}, "learning_rate": 0.1}}"#
        ))
        .contains("unknown field")
    );
    assert!(refused(r#"{"backend": "tpu"}"#).contains("unknown variant"));
    let budget = refused(&format!(
        r#"{{"backend": "cpu", {model}, "memoryBudget": {{"totalBytes": 1000, "largestTensorBytes": 1000}}}}"#
    ));
    assert!(budget.contains("needs about 97.1 MB"), "{budget}");
}
