//! Training natively on the CPU with exactly the code the page runs.

mod common;

use latent_lab::data::MnistSplit;
use latent_lab::model::VaeConfig;
use latent_lab::objective::Objective;
use latent_lab::progress::MAX_SAFE_INTEGER;
use latent_lab::trainer::{Trainer, TrainerConfig};
use latent_lab::weights::{self, Precision, Weights};

#[test]
fn loss_falls_on_a_fixed_batch() {
    // A training split of exactly one batch: every step sees the same 128 digits.
    let batch = 128;
    let fixed = common::first_training_images(batch);
    let config = TrainerConfig::new(VaeConfig::new()).with_batch_size(batch);
    let mut trainer = Trainer::new(config, &fixed, &common::device(), 1, None).unwrap();
    let first = common::block_on(trainer.train_steps(1)).unwrap().train;
    common::block_on(trainer.train_steps(40)).unwrap();
    let last = common::block_on(trainer.train_steps(5)).unwrap().train;
    assert!(first.is_finite() && last.is_finite());
    // A random decoder predicts p ≈ ½ everywhere: 784 · ln 2 ≈ 543 nats.
    assert!((first.negative_elbo - 543.0).abs() < 60.0, "{first:?}");
    assert!(
        last.negative_elbo < 0.5 * first.negative_elbo,
        "first {first:?}, last {last:?}"
    );
    assert_eq!(trainer.progress().step, 46);
    assert_eq!(trainer.progress().epoch, 45, "each step is a whole pass");
}

/// −log p(x) of the held-out digits under the best model that ignores z: independent pixels
/// with each pixel's mean grey level over the training split.
fn independent_pixel_baseline(data: &MnistSplit) -> f64 {
    let n = data.train.len() as f64;
    let mean: Vec<f64> = (0..784)
        .map(|i| {
            let total: f64 = data.train.pixels[i..]
                .iter()
                .step_by(784)
                .map(|&p| p as f64)
                .sum();
            (total / 255.0 / n).clamp(1e-4, 1.0 - 1e-4)
        })
        .collect();
    let total: f64 = data
        .heldout
        .pixels
        .chunks_exact(784)
        .flat_map(|image| image.iter().zip(&mean))
        .map(|(&p, &m)| {
            let x = p as f64 / 255.0;
            -(x * m.ln() + (1.0 - x) * (1.0 - m).ln())
        })
        .sum();
    total / data.heldout.len() as f64
}

#[test]
fn a_short_run_learns_more_than_the_average_digit() {
    let data = common::dataset();
    let baseline = independent_pixel_baseline(&data);
    let config = TrainerConfig::new(VaeConfig::new());
    let mut trainer = Trainer::new(config, &data, &common::device(), 2, None).unwrap();
    let before = common::block_on(trainer.evaluate()).unwrap();
    // 300 steps of 128 ≈ 4 epochs over the 9,000 training digits.
    for _ in 0..30 {
        common::block_on(trainer.train_steps(10)).unwrap();
    }
    let after = common::block_on(trainer.evaluate()).unwrap();
    assert_eq!(trainer.progress().images_seen, 300 * 128);
    assert_eq!(trainer.progress().epoch, 4);
    // The threshold: the negative ELBO upper-bounds −log p(x), so a model whose bound is below
    // the independent-pixel baseline (≈206 nats here) has learned how pixels of a digit go
    // together, which only the latent code can carry. Demanding 25% below it rules out a model
    // that merely reproduces the mean image, which scores the baseline plus its KL.
    assert!(
        after.elbo.negative_elbo < 0.75 * baseline,
        "held-out −ELBO {after:?} vs baseline {baseline:.1} (before training {before:?})"
    );
    assert!(
        after.elbo.kl > 1.0,
        "the code carries information: {after:?}"
    );
    let e = after.elbo;
    assert!((e.negative_elbo - e.reconstruction - e.kl).abs() < 1e-6);
    assert_eq!(after.means.len(), 1000 * 20);
    assert_eq!(after.unit_variances.len(), 20);
    assert!(
        after.active_units >= 5,
        "a trained latent-20 model uses several units: {after:?}"
    );
}

#[test]
fn weights_round_trip_bit_exact_with_the_step_count() {
    let data = common::dataset();
    let config = TrainerConfig::new(VaeConfig::new().with_latent_size(2))
        .with_objective(Objective::new().with_beta(0.5).with_samples(2))
        .with_learning_rate(3e-3)
        .with_batch_size(96);
    let mut trainer = Trainer::new(config.clone(), &data, &common::device(), 3, None).unwrap();
    common::block_on(trainer.train_steps(3)).unwrap();
    let bytes = common::block_on(trainer.export_weights(Precision::F32)).unwrap();

    let weights = Weights::parse(&bytes).unwrap();
    assert_eq!(weights.config.latent_size, 2);
    assert_eq!(weights.progress, Some(trainer.progress()));
    // The file carries the whole run: a reload or an import trains on as it was.
    assert_eq!(weights.optimizer, Some(config.optimizer()));
    assert_eq!(TrainerConfig::for_weights(&weights), config);
    // A trainer started from the file carries on from its step, with the same weights.
    let resumed = Trainer::new(config, &data, &common::device(), 4, Some(weights)).unwrap();
    assert_eq!(resumed.progress().step, 3);
    let again = common::block_on(resumed.export_weights(Precision::F32)).unwrap();
    assert_eq!(bytes, again, "export → import → export is bit-exact");

    // Weights for latent 2 do not load into a latent-20 trainer.
    let other = TrainerConfig::new(VaeConfig::new());
    let err = Trainer::new(
        other,
        &data,
        &common::device(),
        5,
        Some(Weights::parse(&bytes).unwrap()),
    )
    .err()
    .unwrap();
    assert!(err.contains("architecture"), "{err}");
}

#[test]
fn half_precision_weights_decode_within_rounding() {
    let device = common::device();
    let config = VaeConfig::new().with_latent_size(2);
    let model = config.init(&device);
    let half = common::block_on(weights::export(&model, None, None, None, Precision::F16)).unwrap();
    let full = common::block_on(weights::export(&model, None, None, None, Precision::F32)).unwrap();
    assert!(
        half.len() * 10 < full.len() * 6,
        "{} vs {} bytes",
        half.len(),
        full.len()
    );
    let widened = Weights::parse(&half).unwrap().into_model(&device).unwrap();
    let z = burn::tensor::Tensor::<2>::from_floats([[0.5, -1.0]], &device);
    let a = common::values(model.decode_mean(z.clone()));
    let b = common::values(widened.decode_mean(z));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(worst < 2e-3, "f16 weights moved a pixel by {worst}");
}

#[test]
fn a_huge_learning_rate_diverges_and_training_rolls_back_to_the_last_finite_snapshot() {
    let data = common::dataset();
    // The largest rate the page accepts: Adam then moves every weight by about 1 a step, and
    // log σ² soon overflows exp.
    let config = TrainerConfig::new(VaeConfig::new()).with_learning_rate(1.0);
    let mut trainer = Trainer::new(config, &data, &common::device(), 6, None).unwrap();
    let export = |trainer: &Trainer| common::block_on(trainer.export_weights(Precision::F32));
    let mut kept = std::collections::HashMap::new();
    kept.insert(0, export(&trainer).unwrap());
    let mut divergence = None;
    for _ in 0..200 {
        let stats = common::block_on(trainer.train_steps(1)).unwrap();
        if let Some(d) = stats.divergence {
            assert!(
                !stats.train.is_finite() || d.weights_not_finite,
                "{stats:?}"
            );
            assert_eq!(stats.progress, trainer.progress());
            divergence = Some(d);
            break;
        }
        assert!(stats.train.is_finite(), "a finite chunk: {stats:?}");
        kept.insert(trainer.progress().step, export(&trainer).unwrap());
    }
    let divergence = divergence.expect("learning rate 1 diverges within 200 steps");
    // Back to the model before the last step of the last finite chunk: the last one known to
    // give a finite loss.
    assert_eq!(trainer.progress().step, divergence.rolled_back_to);
    assert!(divergence.rolled_back_to < divergence.at_step);
    // The model, its step count and everything else the file holds are as they were then, bit
    // for bit, and finite (a weights file refuses NaN), and it evaluates to finite figures.
    let now = export(&trainer).unwrap();
    assert_eq!(now, kept[&divergence.rolled_back_to]);
    assert!(Weights::parse(&now).is_ok());
    let heldout = common::block_on(trainer.evaluate()).unwrap();
    assert!(heldout.elbo.is_finite(), "{heldout:?}");
    // Training goes on from there (and may diverge again at this rate, always rolling back).
    let stats = common::block_on(trainer.train_steps(1)).unwrap();
    assert!(stats.divergence.is_some() || stats.train.is_finite());
    assert!(Weights::parse(&export(&trainer).unwrap()).is_ok());
}

#[test]
fn out_of_range_hyper_parameters_are_refused_with_a_reason() {
    let data = common::dataset();
    let base = || TrainerConfig::new(VaeConfig::new());
    let cases = [
        (base().with_learning_rate(0.0), "learning rate"),
        (base().with_learning_rate(-1e-3), "learning rate"),
        (base().with_learning_rate(1e6), "learning rate"),
        (base().with_learning_rate(f64::NAN), "learning rate"),
        (base().with_batch_size(0), "batch size"),
        (base().with_batch_size(100_000), "batch size"),
        (
            TrainerConfig::new(VaeConfig::new().with_latent_size(0)),
            "latent size",
        ),
        (
            TrainerConfig::new(VaeConfig::new().with_latent_size(1000)),
            "latent size",
        ),
    ];
    for (config, needle) in cases {
        let err = Trainer::new(config.clone(), &data, &common::device(), 7, None)
            .err()
            .unwrap_or_else(|| panic!("{config:?} was accepted"));
        assert!(err.contains(needle), "`{err}` should mention {needle}");
    }
}

#[test]
fn training_stops_before_a_count_passes_what_javascript_holds_exactly() {
    let data = common::dataset();
    let config = TrainerConfig::new(VaeConfig::new().with_latent_size(2)).with_batch_size(8);
    let trainer = Trainer::new(config.clone(), &data, &common::device(), 8, None).unwrap();
    let bytes = common::block_on(trainer.export_weights(Precision::F32)).unwrap();
    // A file whose counts leave room for exactly one more step of 8 images.
    let images = MAX_SAFE_INTEGER - 8;
    let progress = format!(
        r#"{{"step":{},"epoch":0,"epochFraction":0.5,"imagesSeen":{images}}}"#,
        images - 1
    );
    let crafted = common::with_metadata(&bytes, "progress", Some(&progress));
    let weights = Weights::parse(&crafted).unwrap();
    let mut trainer = Trainer::new(config, &data, &common::device(), 9, Some(weights)).unwrap();
    let stats = common::block_on(trainer.train_steps(1)).unwrap();
    assert_eq!(stats.progress.images_seen, MAX_SAFE_INTEGER);
    let before = trainer.progress();
    let err = common::block_on(trainer.train_steps(1)).unwrap_err();
    assert!(err.contains("9007199254740991"), "{err}");
    assert_eq!(trainer.progress(), before, "a refused chunk takes no step");
    // What it exports still loads.
    let again = common::block_on(trainer.export_weights(Precision::F32)).unwrap();
    assert_eq!(Weights::parse(&again).unwrap().progress, Some(before));
}

#[test]
fn a_pass_that_ends_on_a_batch_boundary_saves_a_file_that_loads() {
    // 16 training digits in batches of 16: every step ends a pass exactly, and the progress
    // the trainer writes says the pass is whole (epoch fraction 1).
    let images = 16;
    let split = common::first_training_images(images);
    let config = TrainerConfig::new(VaeConfig::new().with_latent_size(2)).with_batch_size(images);
    let mut trainer = Trainer::new(config.clone(), &split, &common::device(), 10, None).unwrap();
    common::block_on(trainer.train_steps(2)).unwrap();
    assert_eq!(trainer.progress().epoch_fraction, 1.0);
    let bytes = common::block_on(trainer.export_weights(Precision::F32)).unwrap();
    let weights = Weights::parse(&bytes).unwrap();
    assert_eq!(weights.progress, Some(trainer.progress()));
    // And training carries on from it, starting the next pass.
    let mut resumed = Trainer::new(config, &split, &common::device(), 11, Some(weights)).unwrap();
    let stats = common::block_on(resumed.train_steps(1)).unwrap();
    assert_eq!((stats.progress.step, stats.progress.epoch), (3, 2));
}
