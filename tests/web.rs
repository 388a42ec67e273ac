//! The wasm surface, natively. What the page sends to start a training run (`TrainerOptions`, as
//! JSON the way JS writes it) merged with a weights file into the run's configuration: the
//! options win where they speak, the file fills in the rest, and anything out of range or
//! misspelt is refused. The settings a trainer reports come back in the shape the page sends.
//! The trainer and viewer handles, through the Rust-typed methods their JS bindings wrap.

mod common;

use latent_lab::data::PixelValues;
use latent_lab::evaluation::FigureMeaning;
use latent_lab::model::{Architecture, Covariance, Likelihood, VaeConfig};
use latent_lab::objective::Objective;
use latent_lab::optimizer_settings::OptimizerSettings;
use latent_lab::progress::Progress;
use latent_lab::web::{
    DatasetSummary, TrainerHandle, TrainerOptions, TrainingSettings, Viewer,
    check_training_settings, dataset_summary,
};
use latent_lab::weights::{self, Precision, Weights};

const TRAINING_IMAGES: usize = 9_000;
const MODEL: &str = r#""model": {"latentSize": 20, "likelihood": {"kind": "bernoulli"}, "covariance": "Diagonal", "architecture": "Mlp"}"#;

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
    let training = weights::Training {
        data: PixelValues::GreyLevels,
        objective: &objective,
        progress: &Progress::default(),
        optimizer: &optimizer,
        dataset: &common::identity(),
    };
    let bytes = common::block_on(weights::export(&model, Some(training), Precision::F32)).unwrap();
    Weights::parse(&bytes).unwrap()
}

#[test]
fn fresh_weights_take_the_model_asked_for_and_the_defaults() {
    let config = options(
        r#"{"backend": "cpu", "model": {"latentSize": 7, "likelihood": {"kind": "gaussian-learned"},
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
    assert_eq!(config.data, PixelValues::Binarised);
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
    assert_eq!(config.data, PixelValues::GreyLevels, "the file's data");
}

#[test]
fn the_options_win_where_they_speak_and_the_file_brings_its_own_model() {
    let weights = recorded_run();
    let config = options(
        r#"{"backend": "cpu", "optimizer": {"learningRate": 0.01},
            "objective": {"samples": 1, "beta": 1.0, "warmupSteps": 0},
            "model": {"latentSize": 30, "likelihood": {"kind": "bernoulli"}, "covariance": "Diagonal",
                      "architecture": "Mlp"}}"#,
    )
    .unwrap()
    .trainer_config(Some(&weights), TRAINING_IMAGES)
    .unwrap();
    assert_eq!(config.learning_rate, 0.01);
    assert_eq!(config.batch_size, 64, "not given: the file's");
    assert_eq!(
        config.data,
        PixelValues::GreyLevels,
        "not given: the file's"
    );
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
    let model = MODEL;
    assert_eq!(
        refused(r#"{"backend": "cpu"}"#),
        "fresh weights need a model"
    );
    assert!(
        refused(&format!(
            r#"{{"backend": "cpu", {model}, "optimizer": {{"learningRate": 2}}}}"#
        ))
        .contains("learning rate")
    );
    assert!(
        refused(&format!(
            r#"{{"backend": "cpu", {model}, "optimizer": {{"batchSize": 0}}}}"#
        ))
        .contains("batch size")
    );
    // A misspelt field is refused, not ignored: snake_case where the page writes camelCase.
    assert!(
        refused(&format!(
            r#"{{"backend": "cpu", {model}, "optimizer": {{"learning_rate": 0.1}}}}"#
        ))
        .contains("unknown field")
    );
    assert!(refused(r#"{"backend": "tpu"}"#).contains("unknown variant"));
    let budget = refused(&format!(
        r#"{{"backend": "cpu", {model}, "memoryBudget": {{"totalBytes": 1000, "largestTensorBytes": 1000}}}}"#
    ));
    assert!(budget.contains("needs about 104.8 MB"), "{budget}");
}

#[test]
fn the_settings_a_trainer_reports_are_what_the_page_sends_back() {
    let sent = r#"{"backend": "cpu", "model": {"latentSize": 3, "likelihood": {"kind": "gaussian", "sigma": 0.25},
            "covariance": "Full", "architecture": "Mlp"},
            "objective": {"samples": 2, "beta": 0.5, "warmupSteps": 7},
            "optimizer": {"learningRate": 0.004, "batchSize": 32}, "data": "grey-levels"}"#;
    let config = options(sent)
        .unwrap()
        .trainer_config(None, TRAINING_IMAGES)
        .unwrap();
    let settings = TrainingSettings::of(&config);
    let json = serde_json::to_value(settings).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "model": {"latentSize": 3, "likelihood": {"kind": "gaussian", "sigma": 0.25},
                      "covariance": "Full", "architecture": "Mlp"},
            "objective": {"samples": 2, "beta": 0.5, "warmupSteps": 7},
            "optimizer": {"learningRate": 0.004, "batchSize": 32},
            "data": "grey-levels",
        }),
        "camelCase, the likelihood tagged by kind"
    );
    // Sent back as they came, they ask for the same run.
    let mut again = json.clone();
    again["backend"] = "cpu".into();
    let back: TrainerOptions = serde_json::from_value(again).unwrap();
    assert_eq!(back.trainer_config(None, TRAINING_IMAGES).unwrap(), config);
    for (kind, likelihood) in [
        ("bernoulli", Likelihood::Bernoulli),
        ("continuous-bernoulli", Likelihood::ContinuousBernoulli),
        ("gaussian-learned", Likelihood::GaussianLearned),
    ] {
        let config = options(&MODEL_OF.replace("KIND", kind))
            .unwrap()
            .trainer_config(None, TRAINING_IMAGES)
            .unwrap();
        assert_eq!(config.model.likelihood, likelihood);
        let json = serde_json::to_value(TrainingSettings::of(&config)).unwrap();
        assert_eq!(
            json["model"]["likelihood"],
            serde_json::json!({ "kind": kind })
        );
        // Only a Bernoulli scored on grey levels gives figures that bound no −log p(x).
        for (data, expected) in [
            (PixelValues::Binarised, FigureMeaning::NegativeLogLikelihood),
            (PixelValues::GreyLevels, FigureMeaning::BinarisedExpectation),
        ] {
            let settings = TrainingSettings::of(&config.clone().with_data(data));
            let expected = match likelihood {
                Likelihood::Bernoulli => expected,
                _ => FigureMeaning::NegativeLogLikelihood,
            };
            assert_eq!(settings.figure_meaning(), expected, "{kind} on {data:?}");
        }
    }
}

const MODEL_OF: &str = r#"{"backend": "cpu", "model": {"latentSize": 2, "likelihood": {"kind": "KIND"}, "covariance": "Diagonal", "architecture": "Mlp"}}"#;

fn dataset_bytes() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/data/mnist-10k.bin"
    ))
    .unwrap()
}

#[test]
fn a_handle_trains_exports_and_reopens_from_its_weights() {
    let dataset = dataset_bytes();
    let fresh = options(&format!(
        r#"{{"backend": "cpu", {MODEL}, "optimizer": {{"batchSize": 16}}}}"#
    ))
    .unwrap();
    let handle = common::block_on(TrainerHandle::open(fresh, &dataset, None, 1)).unwrap();
    let trainer = handle.trainer();
    assert_eq!(trainer.config().batch_size, 16);
    assert_eq!(trainer.config().model.latent_size, 20);
    let bytes = common::block_on(
        handle
            .trainer()
            .export_weights(latent_lab::weights::Precision::F32),
    )
    .unwrap();
    // A weights file brings its own model and its batch size; the options' learning rate wins.
    let reopened = common::block_on(TrainerHandle::open(
        options(r#"{"backend": "cpu", "optimizer": {"learningRate": 0.002}}"#).unwrap(),
        &dataset,
        Some(&bytes),
        2,
    ))
    .unwrap();
    let config = reopened.trainer().config();
    assert_eq!((config.learning_rate, config.batch_size), (0.002, 16));
    assert_eq!(config.model.latent_size, 20);
}

#[test]
fn a_handle_refuses_bad_input_with_a_message_and_no_kind() {
    let dataset = dataset_bytes();
    let open = |json: &str, dataset: &[u8], weights: Option<&[u8]>| {
        common::block_on(TrainerHandle::open(
            options(json).unwrap(),
            dataset,
            weights,
            1,
        ))
        .err()
        .expect("refused")
    };
    let fresh = format!(r#"{{"backend": "cpu", {MODEL}}}"#);
    let bad_weights = open(&fresh, &dataset, Some(b"not a weights file"));
    assert_eq!(bad_weights.kind, None);
    assert!(
        bad_weights.message.contains("weights"),
        "{}",
        bad_weights.message
    );
    let bad_data = open(&fresh, &dataset[..100], None);
    assert!(
        bad_data.message.contains("dataset is 100 bytes"),
        "{}",
        bad_data.message
    );
    // A setting out of range on WebGPU is refused before the device opens: never taken for a
    // device that will not start, which the worker answers by falling back to the CPU.
    let bad_setting = open(
        &format!(r#"{{"backend": "webgpu", {MODEL}, "optimizer": {{"batchSize": 0}}}}"#),
        &dataset,
        None,
    );
    assert_eq!(bad_setting.kind, None);
    assert!(
        bad_setting.message.contains("batch size"),
        "{}",
        bad_setting.message
    );
}

#[test]
fn the_dataset_summary_reads_the_labels_without_parsing_the_pixels_twice() {
    let bytes = dataset_bytes();
    let DatasetSummary {
        identity,
        heldout_labels,
        training_images,
        heldout_images,
    } = dataset_summary(&bytes).unwrap();
    let parsed = common::dataset();
    assert_eq!(training_images, parsed.train.len());
    assert_eq!(heldout_images, parsed.heldout.len());
    assert_eq!(heldout_labels, parsed.heldout.labels);
    assert_eq!(identity, parsed.identity);
    assert_eq!(identity.name, "MNIST digits");
    assert_eq!(identity.images, 10_000);
    let truncated = dataset_summary(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(
        truncated.message.contains("header declares"),
        "{}",
        truncated.message
    );
}

#[test]
fn checking_settings_gives_the_memory_or_the_reason() {
    let fine = options(&format!(r#"{{"backend": "cpu", {MODEL}}}"#)).unwrap();
    let estimate = check_training_settings(&fine, TRAINING_IMAGES).unwrap();
    assert!(estimate.total_bytes > estimate.largest_tensor_bytes);
    let tight = options(&format!(
        r#"{{"backend": "cpu", {MODEL}, "memoryBudget": {{"totalBytes": 1000, "largestTensorBytes": 1000}}}}"#
    ))
    .unwrap();
    let refused = check_training_settings(&tight, TRAINING_IMAGES).unwrap_err();
    assert!(
        refused.message.contains("needs about"),
        "{}",
        refused.message
    );
}

#[test]
fn the_viewer_answers_good_input_and_refuses_bad() {
    let device = common::device();
    let model = VaeConfig::new().with_latent_size(3).init(&device);
    let bytes = common::block_on(weights::export(&model, None, Precision::F32)).unwrap();
    let viewer = Viewer::new(&bytes).unwrap();
    assert_eq!(viewer.latent_size(), 3);
    let two = viewer.decode(&[0.0, 0.5, -1.0, 1.0, 2.0, 0.0]).unwrap();
    assert_eq!(two.len(), 2 * 784);
    assert!(two.iter().all(|p| (0.0..=1.0).contains(p)));
    let image = vec![0.5; 784];
    let out = viewer.reconstruct(&image).unwrap();
    assert_eq!((out.mean.len(), out.pixels.len()), (3, 784));
    // The reconstruction is the decoding of the mean.
    assert_eq!(viewer.decode(&out.mean).unwrap(), out.pixels);

    let message = |e: latent_lab::web::WebError| e.message;
    assert!(message(viewer.decode(&[0.0; 4]).unwrap_err()).contains("not a multiple of 3"));
    assert!(message(viewer.decode(&[]).unwrap_err()).contains("not a multiple"));
    assert!(message(viewer.decode(&[f32::NAN, 0.0, 0.0]).unwrap_err()).contains("finite"));
    assert!(message(viewer.reconstruct(&[0.5; 783]).unwrap_err()).contains("expected 784"));
    assert!(message(viewer.reconstruct(&[1.5; 784]).unwrap_err()).contains("[0, 1]"));
    assert!(Viewer::new(b"junk").is_err());
}
