//! The model's shapes and config checks.

mod common;

use burn::prelude::*;
use burn::tensor::Distribution;
use latent_lab::limits::{Range, setting_limits};
use latent_lab::model::{Architecture, Covariance, Likelihood, VaeConfig};
use latent_lab::trainer::TrainerConfig;

fn check_shapes(latent: usize) {
    let device = common::device();
    let model = VaeConfig::new().with_latent_size(latent).init(&device);
    assert_eq!(model.latent_size(), latent);
    let images = Tensor::<2>::random([3, 784], Distribution::Default, &device);
    let noise = Tensor::<2>::random([3, latent], Distribution::Normal(0.0, 1.0), &device);
    let output = model.forward(images.clone(), noise);
    assert_eq!(output.posterior.mean.dims(), [3, latent]);
    assert_eq!(output.posterior.log_variance.dims(), [3, latent]);
    assert_eq!(output.logits.dims(), [3, 784]);

    let (mean, probabilities) = model.reconstruct(images);
    assert_eq!(mean.dims(), [3, latent]);
    assert_eq!(probabilities.dims(), [3, 784]);
    let p = common::values(model.decode_mean(Tensor::zeros([2, latent], &device)));
    assert_eq!(p.len(), 2 * 784);
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn shapes_with_the_default_latent_size() {
    assert_eq!(VaeConfig::new().latent_size, 20);
    check_shapes(20);
}

#[test]
fn shapes_with_a_two_dimensional_latent() {
    check_shapes(2);
}

#[test]
fn config_refuses_sizes_it_cannot_build() {
    for latent in [0, 1000] {
        let err = VaeConfig::new()
            .with_latent_size(latent)
            .validate()
            .unwrap_err();
        assert!(err.contains("latent size"), "{err}");
    }
    assert!(VaeConfig::new().with_latent_size(2).validate().is_ok());
    assert!(VaeConfig::new().with_hidden_size(0).validate().is_err());
}

#[test]
fn shapes_of_the_convolutional_full_covariance_variant() {
    let device = common::device();
    let model = VaeConfig::new()
        .with_architecture(Architecture::Conv)
        .with_covariance(Covariance::Full)
        .init(&device);
    let images = Tensor::<2>::random([3, 784], Distribution::Default, &device);
    // Two samples of z per image.
    let noise = Tensor::<2>::random([6, 20], Distribution::Normal(0.0, 1.0), &device);
    let output = model.forward(images, noise);
    assert_eq!(output.posterior.lower.as_ref().unwrap().dims(), [3, 20, 20]);
    assert_eq!(output.z.dims(), [6, 20]);
    assert_eq!(output.logits.dims(), [6, 784]);
    // The lower part is strictly lower-triangular (L's diagonal is checked in
    // `cholesky_diagonal_stays_positive_when_the_raw_outputs_are_very_negative`).
    let lower = common::values(output.posterior.lower.unwrap());
    for (i, v) in lower.iter().enumerate() {
        let (row, col) = ((i / 20) % 20, i % 20);
        if col >= row {
            assert_eq!(*v, 0.0, "entry ({row}, {col}) of the strictly lower part");
        }
    }
}

#[test]
fn cholesky_diagonal_stays_positive_when_the_raw_outputs_are_very_negative() {
    // A full-covariance encoder whose heads are biased far negative: the raw log σ² near −20 to
    // −300 and the off-diagonal head's own diagonal near −50. At −300, exp(½ log σ²) underflows
    // f32 to 0 (below about −208 it does): only the encoder's smooth bound on log σ², to no less
    // than −15, keeps that diagonal positive. L = diag(exp(½ log σ²)) + strictly-lower must have
    // a diagonal of at least e^−7.5, equal to exp(½ log σ²) from the log σ² the encoder gave, to
    // f32 rounding (10⁻⁵ relative); entries above the diagonal are zero and those below are the
    // head's. A diagonal taken from a raw output, or from a mask that keeps the head's
    // diagonal, is negative here.
    let device = common::device();
    let (latent, hidden) = (4, 16);
    let model = VaeConfig::new()
        .with_hidden_size(hidden)
        .with_latent_size(latent)
        .with_covariance(Covariance::Full)
        .init(&device);
    let model = common::with_parameter(
        model,
        "encoder.log_variance.bias",
        &[-300.0, -40.0, -25.0, -20.0],
    );
    let off_diagonal: Vec<f32> = (0..latent * latent)
        .map(|n| if n / latent == n % latent { -50.0 } else { 0.7 })
        .collect();
    let model = common::with_parameter(model, "encoder.off_diagonal.bias", &off_diagonal);
    let images = common::dataset().heldout.to_tensor(&device).narrow(0, 0, 3);
    let posterior = model.encoder.forward(images);
    let log_variance = common::values(posterior.log_variance.clone());
    let lower = common::values(posterior.lower.clone().unwrap());
    let cholesky = common::values(posterior.cholesky());
    for b in 0..3 {
        for i in 0..latent {
            for j in 0..latent {
                let at = (b * latent + i) * latent + j;
                let value = cholesky[at] as f64;
                if i == j {
                    let sigma = (0.5 * log_variance[b * latent + i] as f64).exp();
                    assert!(value > 0.0, "L[{i}][{i}] of image {b} is {value}");
                    assert!(
                        value >= (-7.5f64).exp() * (1.0 - 1e-5),
                        "L[{i}][{i}] of image {b} is {value}, below e^−7.5"
                    );
                    assert!(
                        (value / sigma - 1.0).abs() < 1e-5,
                        "L[{i}][{i}] of image {b}: {value} vs σ = {sigma}"
                    );
                } else if j > i {
                    assert_eq!(value, 0.0, "L[{i}][{j}] of image {b}");
                } else {
                    assert_eq!(cholesky[at], lower[at], "L[{i}][{j}] of image {b}");
                }
            }
        }
    }
    // Every log σ² was pushed down to its bound, so the check above was at the edge.
    assert!(
        log_variance.iter().all(|&v| (-15.0..-10.0).contains(&v)),
        "log σ² pushed down to its bound: {log_variance:?}"
    );
}

#[test]
fn parameter_count_matches_the_built_model() {
    use burn::module::Module;
    let device = common::device();
    for architecture in [Architecture::Mlp, Architecture::Conv] {
        for covariance in [Covariance::Diagonal, Covariance::Full] {
            for likelihood in [Likelihood::Bernoulli, Likelihood::GaussianLearned] {
                let config = VaeConfig::new()
                    .with_architecture(architecture)
                    .with_covariance(covariance)
                    .with_likelihood(likelihood)
                    .with_latent_size(7)
                    .with_hidden_size(33);
                let model = config.init(&device);
                assert_eq!(
                    config.parameter_count(),
                    model.num_params() as u64,
                    "{config:?}"
                );
            }
        }
    }
}

/// Each setting's published range is exactly what the checks accept: its ends (or the next
/// number above an exclusive minimum) pass, and the next numbers beyond them are refused.
#[test]
fn setting_limits_are_the_ranges_the_checks_enforce() {
    let limits = setting_limits();
    assert_eq!(
        serde_json::to_value(limits).unwrap(),
        serde_json::json!({
            "latentSize": {"min": 1.0, "max": 64.0},
            "sigma": {"min": 0.001, "max": 10.0},
            "samples": {"min": 1.0, "max": 16.0},
            "beta": {"min": 0.0, "max": 100.0},
            "warmupSteps": {"min": 0.0, "max": 1_000_000.0},
            "learningRate": {"min": 0.0, "max": 1.0, "minExclusive": true},
            "batchSize": {"min": 1.0, "max": 1024.0},
            "datasetImages": {"min": 16.0, "max": 70_000.0},
            "datasetFileBytes": {"min": 1.0, "max": 100_000_000.0},
            "heldoutPercent": {"min": 1.0, "max": 50.0},
            "imagePixels": {"min": 1.0, "max": 50_000_000.0},
            "convertedPixels": {"min": 1.0, "max": 250_000_000.0},
            "labelFolders": {"min": 2.0, "max": 256.0},
            "cellSide": {"min": 1.0, "max": 4096.0},
            "splitSeed": {"min": 0.0, "max": 4_294_967_295.0},
        })
    );
    // Brought images: the pixels one may decode to, the padded pixels a set's conversion may
    // read, and a sprite sheet's cell side, each at and beyond its end, refused before decoding.
    let empty = latent_lab::data::own::OwnDataset::new("edges");
    let pixels = limits.image_pixels.max as usize;
    assert!(empty.check_image(pixels / 5_000, 5_000).is_ok());
    assert!(empty.check_image(pixels / 5_000 + 1, 5_000).is_err());
    let squares = limits.converted_pixels.max as usize / 1_000_000;
    assert!(empty.plan_images(squares, 1_000, 1_000).is_ok());
    assert!(empty.plan_images(squares + 1, 1_000, 1_000).is_err());
    let side = limits.cell_side.max as usize;
    assert!(empty.check_sheet(side, side, side, side).is_ok());
    assert!(
        empty
            .check_sheet(side + 1, side + 1, side + 1, side + 1)
            .is_err()
    );
    // A person's dataset: its image count and held-out share at and beyond their ends.
    let images = |count: usize| {
        let pixels = vec![0u8; count * 4];
        latent_lab::data::own::OwnDataset::from_idx(
            "edges",
            &latent_lab::data::idx::write_images(&pixels, count, 2, 2),
            None,
        )
    };
    let split = |count: usize, percent: f64| images(count).and_then(|d| d.finish(percent, 0));
    let (min, max) = (limits.dataset_images.min, limits.dataset_images.max);
    assert!(split(min as usize, 10.0).is_ok());
    assert!(split(min as usize - 1, 10.0).is_err());
    assert!(images(max as usize).is_ok());
    assert!(images(max as usize + 1).is_err());
    let (low, high) = (limits.heldout_percent.min, limits.heldout_percent.max);
    for (percent, accepted) in [
        (low, true),
        (high, true),
        (low - 0.01, false),
        (high + 0.01, false),
    ] {
        assert_eq!(split(20, percent).is_ok(), accepted, "held out {percent} %");
    }
    let trainer = |edit: &dyn Fn(&mut TrainerConfig)| {
        let mut config = TrainerConfig::new(VaeConfig::new());
        edit(&mut config);
        config.validate().is_ok()
    };
    type Accepts = Box<dyn Fn(f64) -> bool>;
    let settings: [(&str, Range, Accepts, bool); 7] = [
        (
            "latent size",
            limits.latent_size,
            Box::new(move |v| trainer(&|c| c.model.latent_size = v as usize)),
            true,
        ),
        (
            "σ",
            limits.sigma,
            Box::new(move |sigma| {
                trainer(&|c| c.model.likelihood = Likelihood::Gaussian { sigma })
            }),
            false,
        ),
        (
            "samples",
            limits.samples,
            Box::new(move |v| trainer(&|c| c.objective.samples = v as usize)),
            true,
        ),
        (
            "β",
            limits.beta,
            Box::new(move |v| trainer(&|c| c.objective.beta = v)),
            false,
        ),
        (
            "warm-up",
            limits.warmup_steps,
            Box::new(move |v| trainer(&|c| c.objective.warmup_steps = v as u64)),
            true,
        ),
        (
            "learning rate",
            limits.learning_rate,
            Box::new(move |v| trainer(&|c| c.learning_rate = v)),
            false,
        ),
        (
            "batch size",
            limits.batch_size,
            Box::new(move |v| trainer(&|c| c.batch_size = v as usize)),
            true,
        ),
    ];
    for (name, range, accepts, integer) in settings {
        let (below, above) = if integer {
            (range.min - 1.0, range.max + 1.0)
        } else {
            (range.min.next_down(), range.max.next_up())
        };
        assert!(accepts(range.max), "{name}: max {}", range.max);
        assert!(!accepts(above), "{name}: above the max, {above}");
        if range.min_exclusive {
            assert!(
                !accepts(range.min),
                "{name}: the exclusive min {}",
                range.min
            );
            assert!(accepts(range.min.next_up()), "{name}: just above the min");
        } else {
            assert!(accepts(range.min), "{name}: min {}", range.min);
            // An unsigned setting at 0 has nothing below it to try.
            if below >= 0.0 || !integer {
                assert!(!accepts(below), "{name}: below the min, {below}");
            }
        }
    }
    // The slope of LeakyReLU, which the page does not offer, by the same rule.
    let slope = |s: f64| VaeConfig::new().with_negative_slope(s).validate().is_ok();
    assert!(slope(0.0) && slope(1.0) && !slope(1.0f64.next_up()) && !slope(-1e-300));
    assert!(!slope(1e30));
}

/// The threaded CPU build splits a dense layer's rows into blocks computed as one batched
/// product, the weights broadcast over them: its output and every gradient (of the weights, the
/// bias and the input, the weights' summed over the blocks) must be the plain layer's.
#[test]
fn a_dense_layer_split_into_blocks_of_rows_is_the_same_layer() {
    use burn::nn::LinearConfig;
    use latent_lab::model::dense_in_blocks;
    let device = common::device().autodiff();
    let linear = LinearConfig::new(24, 10).init(&device);
    let input = Tensor::<2>::random([12, 24], Distribution::Normal(0.0, 1.0), &device);
    // A loss that weights every output differently, so a block in the wrong place shows.
    let weights = Tensor::<2>::random([12, 10], Distribution::Normal(0.0, 1.0), &device);
    let run = |blocks: usize| {
        let x = input.clone().require_grad();
        let y = if blocks == 1 {
            linear.forward(x.clone())
        } else {
            dense_in_blocks(&linear, x.clone(), blocks)
        };
        let grads = (y.clone() * weights.clone()).sum().backward();
        [
            common::values(y),
            common::values(linear.weight.grad(&grads).unwrap()),
            common::values(linear.bias.as_ref().unwrap().grad(&grads).unwrap()),
            common::values(x.grad(&grads).unwrap()),
        ]
    };
    let plain = run(1);
    for blocks in [2, 3, 4, 6, 12] {
        for (what, (split, whole)) in [
            "output",
            "weight gradient",
            "bias gradient",
            "input gradient",
        ]
        .iter()
        .zip(run(blocks).iter().zip(&plain))
        {
            assert_eq!(split.len(), whole.len());
            for (a, b) in split.iter().zip(whole) {
                assert!(
                    (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "{blocks} blocks, {what}: {a} against {b}"
                );
            }
        }
    }
}
