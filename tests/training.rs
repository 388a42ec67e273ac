//! Training natively on the CPU with exactly the code the page runs.

mod common;

use latent_lab::data::{DataSplit, PixelValues};
use latent_lab::model::VaeConfig;
use latent_lab::objective::{ElboStats, Objective};
use latent_lab::optimizer_settings::OptimizerSettings;
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
fn independent_pixel_baseline(data: &DataSplit) -> f64 {
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
    assert_eq!(after.means.len(), 1000 * 20);
    assert_eq!(after.unit_variances.len(), 20);
    assert!(
        after.active_units >= 5,
        "a trained latent-20 model uses several units: {after:?}"
    );
}

/// A dense layer of an exported model in f64: y = x W + b, W stored `[inputs, outputs]`.
struct Dense {
    weight: Vec<f64>,
    bias: Vec<f64>,
}

impl Dense {
    fn forward(&self, x: &[f64]) -> Vec<f64> {
        let mut y = self.bias.clone();
        let outputs = y.len();
        for (i, &xi) in x.iter().enumerate() {
            let row = &self.weight[i * outputs..(i + 1) * outputs];
            y.iter_mut().zip(row).for_each(|(y, w)| *y += xi * w);
        }
        y
    }
}

/// The MLP VAE of a weights file (diagonal q, Bernoulli p), evaluated by hand in f64 from the
/// file's tensors as burnpack reads them.
struct HandVae {
    encoder: [Dense; 2],
    mean: Dense,
    log_variance: Dense,
    decoder: [Dense; 3],
    slope: f64,
}

impl HandVae {
    fn from_file(bytes: &[u8]) -> Self {
        let tensors = common::file_tensors(bytes);
        let slope = Weights::parse(bytes).unwrap().config.negative_slope;
        // The one tensor under `part` whose name ends with `layer.field`, whatever the module
        // nesting in between.
        let find = |part: &str, layer: &str, field: &str| -> Vec<f64> {
            let suffix = format!(".{layer}.{field}");
            let found: Vec<_> = tensors
                .iter()
                .filter(|(name, _)| name.starts_with(part) && name.ends_with(&suffix))
                .collect();
            assert_eq!(found.len(), 1, "{part}…{suffix} in {:?}", tensors.keys());
            found[0].1.1.iter().map(|&v| v as f64).collect()
        };
        let dense = |part: &str, layer: &str| Dense {
            weight: find(part, layer, "weight"),
            bias: find(part, layer, "bias"),
        };
        Self {
            encoder: [dense("encoder", "hidden1"), dense("encoder", "hidden2")],
            mean: dense("encoder", "mean"),
            log_variance: dense("encoder", "log_variance"),
            decoder: [
                dense("decoder", "hidden1"),
                dense("decoder", "hidden2"),
                dense("decoder", "output"),
            ],
            slope,
        }
    }

    fn activate(&self, x: Vec<f64>) -> Vec<f64> {
        x.into_iter()
            .map(|v| if v < 0.0 { self.slope * v } else { v })
            .collect()
    }

    fn encode(&self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let h = self.activate(self.encoder[0].forward(x));
        let h = self.activate(self.encoder[1].forward(&h));
        (self.mean.forward(&h), self.log_variance.forward(&h))
    }

    /// −log p(x|z) = −Σ [x ln p + (1 − x) ln(1 − p)], p = 1 / (1 + e^−ℓ).
    fn reconstruction(&self, z: &[f64], x: &[f64]) -> f64 {
        let h = self.activate(self.decoder[0].forward(z));
        let h = self.activate(self.decoder[1].forward(&h));
        let logits = self.decoder[2].forward(&h);
        logits
            .iter()
            .zip(x)
            .map(|(&l, &x)| {
                let p = 1.0 / (1.0 + (-l).exp());
                -(x * p.ln() + (1.0 - x) * (1.0 - p).ln())
            })
            .sum()
    }
}

/// Mean KL(q(z|x) ‖ p(z)) over `images` (grey levels as stored), and the mean over them of a
/// Monte Carlo estimate of E_q[−log p(x|z)] with `samples` draws each, with the mean of the
/// draws' within-image variance.
fn hand_elbo(vae: &HandVae, images: &[u8], samples: usize, seed: u64) -> (f64, f64, f64) {
    let mut normals = common::Normals::new(seed);
    let (mut kl, mut reconstruction, mut variance) = (0.0, 0.0, 0.0);
    let count = images.len() / 784;
    for image in images.chunks_exact(784) {
        let x: Vec<f64> = image.iter().map(|&p| p as f64 / 255.0).collect();
        let (mean, log_variance) = vae.encode(&x);
        kl += mean
            .iter()
            .zip(&log_variance)
            .map(|(m, lv)| 0.5 * (m * m + lv.exp() - 1.0 - lv))
            .sum::<f64>();
        let draws: Vec<f64> = (0..samples)
            .map(|_| {
                let z: Vec<f64> = mean
                    .iter()
                    .zip(&log_variance)
                    .map(|(m, lv)| m + (0.5 * lv).exp() * normals.sample())
                    .collect();
                vae.reconstruction(&z, &x)
            })
            .collect();
        let (m, error) = common::mean_and_error(&draws);
        reconstruction += m;
        variance += error * error * samples as f64;
    }
    let n = count as f64;
    (kl / n, reconstruction / n, variance / n)
}

#[test]
fn reported_figures_are_the_elbo_of_the_exported_weights() {
    // The figures a training chunk and a held-out evaluation report, recomputed by hand in f64
    // from the weights exported just before them, on the same images. The training split is
    // one batch of 256, so a step's batch is every training digit (in some order): the step's
    // figures are the ELBO's terms at the weights it started from. The KL is closed form,
    // so it must match to f32 rounding (10⁻⁴ relative); each reconstruction is a Monte Carlo
    // estimate (the trainer's with 2 samples per digit, the evaluation's with 1, these with 16),
    // so they must agree within four standard errors of the difference, from the measured
    // spread of −log p(x|z) over draws. β = 0.5: what is reported is the KL, not the weighted
    // term the loss uses. On grey levels, so that the step's images are the stored ones (a
    // binarised batch is drawn afresh on the device).
    let split = common::first_training_images(256);
    let config = TrainerConfig::new(VaeConfig::new().with_hidden_size(32).with_latent_size(3))
        .with_objective(Objective::new().with_beta(0.5).with_samples(2))
        .with_learning_rate(3e-3)
        .with_batch_size(256)
        .with_data(PixelValues::GreyLevels);
    let mut trainer = Trainer::new(config, &split, &common::device(), 12, None).unwrap();
    common::block_on(trainer.train_steps(40)).unwrap();
    let export = |trainer: &Trainer| {
        HandVae::from_file(&common::block_on(trainer.export_weights(Precision::F32)).unwrap())
    };
    let check = |what: &str, reported: ElboStats, samples: usize, hand: (f64, f64, f64)| {
        let (kl, reconstruction, variance) = hand;
        let images = if what == "train" { 256.0 } else { 1000.0 };
        assert!(
            (reported.kl - kl).abs() < 1e-4 * kl.abs().max(1.0),
            "{what}: reported KL {} vs {kl} by hand",
            reported.kl
        );
        let error = (variance / images * (1.0 / samples as f64 + 1.0 / 16.0)).sqrt();
        assert!(
            (reported.reconstruction - reconstruction).abs() < 4.0 * error,
            "{what}: reported reconstruction {} vs {reconstruction} ± {error} by hand",
            reported.reconstruction
        );
        assert!(
            kl > 0.5,
            "{what}: a KL that a wrong weighting would move: {kl}"
        );
    };

    let before = export(&trainer);
    let stats = common::block_on(trainer.train_steps(1)).unwrap();
    check(
        "train",
        stats.train,
        2,
        hand_elbo(&before, &split.train.pixels, 16, 1),
    );

    let now = export(&trainer);
    let heldout = common::block_on(trainer.evaluate()).unwrap();
    check(
        "held-out",
        heldout.elbo,
        1,
        hand_elbo(&now, &split.heldout.pixels, 16, 2),
    );
    // The means it reports are the encoder's, digit by digit.
    for (i, image) in split
        .heldout
        .pixels
        .chunks_exact(784)
        .enumerate()
        .step_by(97)
    {
        let x: Vec<f64> = image.iter().map(|&p| p as f64 / 255.0).collect();
        let (mean, _) = now.encode(&x);
        for (j, m) in mean.iter().enumerate() {
            let reported = heldout.means[i * 3 + j] as f64;
            assert!(
                (reported - m).abs() < 1e-4,
                "digit {i}: μ{j} {reported} vs {m}"
            );
        }
    }
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
    let half = common::block_on(weights::export(&model, None, Precision::F16)).unwrap();
    let full = common::block_on(weights::export(&model, None, Precision::F32)).unwrap();
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
fn the_largest_learning_rate_trains_badly_but_stays_finite() {
    // With both log-variances bounded, nothing a setting can do overflows: at the largest rate
    // the page accepts, Adam moves every weight by about 1 a step and the loss reaches ~10¹⁴
    // nats, but it stays finite. Without the bound, e^(log σ²) overflowed within 200 steps.
    let data = common::first_training_images(1024);
    let config = TrainerConfig::new(VaeConfig::new())
        .with_learning_rate(OptimizerSettings::MAX_LEARNING_RATE);
    let mut trainer = Trainer::new(config, &data, &common::device(), 6, None).unwrap();
    let stats = common::block_on(trainer.train_steps(200)).unwrap();
    assert!(
        stats.divergence.is_none() && stats.train.is_finite(),
        "{stats:?}"
    );
    assert!(
        stats.train.negative_elbo > 1e3,
        "it does not train: {stats:?}"
    );
}

#[test]
fn a_diverging_chunk_rolls_back_to_the_last_finite_snapshot() {
    // No setting diverges any more, so the fault a device computing wrongly would make is
    // injected: the first layer's weights turn NaN before a chunk, after some finite ones.
    let data = common::first_training_images(1024);
    let config = TrainerConfig::new(VaeConfig::new()).with_batch_size(64);
    let mut trainer = Trainer::new(config, &data, &common::device(), 6, None).unwrap();
    let export = |trainer: &Trainer| common::block_on(trainer.export_weights(Precision::F32));
    let train = |trainer: &mut Trainer, steps| {
        let stats = common::block_on(trainer.train_steps(steps)).unwrap();
        assert!(
            stats.divergence.is_none() && stats.train.is_finite(),
            "{stats:?}"
        );
    };
    train(&mut trainer, 5);
    train(&mut trainer, 6);
    let at_eleven = export(&trainer).unwrap();
    // A finite chunk keeps the model from before its last step: here, step 11's.
    train(&mut trainer, 1);
    trainer.inject_non_finite_weights();
    let stats = common::block_on(trainer.train_steps(3)).unwrap();
    let divergence = stats.divergence.expect("NaN weights diverge");
    assert!(divergence.weights_not_finite, "{stats:?}");
    assert_eq!(stats.progress, trainer.progress());
    assert_eq!((divergence.at_step, divergence.rolled_back_to), (15, 11));
    assert_eq!(trainer.progress().step, 11);
    // The model, its step count and everything else the file holds are as they were then, bit
    // for bit, and finite (a weights file refuses NaN), and it evaluates to finite figures.
    let now = export(&trainer).unwrap();
    assert_eq!(now, at_eleven);
    assert!(Weights::parse(&now).is_ok());
    let heldout = common::block_on(trainer.evaluate()).unwrap();
    assert!(heldout.elbo.is_finite(), "{heldout:?}");
    // Training goes on from there, finite.
    let stats = common::block_on(trainer.train_steps(3)).unwrap();
    assert!(
        stats.divergence.is_none() && stats.train.is_finite(),
        "{stats:?}"
    );
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
