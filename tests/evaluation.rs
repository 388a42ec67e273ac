//! Held-out measurements: the importance-weighted bound, active units, and the model variants
//! the page can switch between.

mod common;

use latent_lab::evaluation::{self, active_units, principal_axes, unit_variances};
use latent_lab::model::{Architecture, Covariance, Likelihood, VaeConfig};
use latent_lab::objective::Objective;
use latent_lab::trainer::{Trainer, TrainerConfig};
use latent_lab::weights::Weights;

#[test]
fn elbo_below_iw_k_below_iw_k_prime() {
    // On a trained model (the shipped latent-20), over 200 held-out digits: the k = 1 bound is
    // the ELBO itself, and more samples tighten it, ELBO ≤ IW-8 ≤ IW-64 ≤ log p(x). Each
    // estimate averages 200 digits, whose spread is far below the gaps asserted.
    let data = common::dataset();
    let device = common::device();
    device.seed(23);
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/models/latent-20.bpk"
    ))
    .unwrap();
    let model = Weights::parse(&bytes).unwrap().into_model(&device).unwrap();
    let digits = data.heldout.to_tensor(&device).narrow(0, 0, 200);
    let gap = |k| common::block_on(evaluation::estimate_gap(&model, &digits, k)).unwrap();
    let (one, eight, many) = (gap(1), gap(8), gap(64));
    assert!(
        one.gap.abs() < 1e-3,
        "with one sample the bound is the ELBO: {one:?}"
    );
    for report in [&one, &eight, &many] {
        assert_eq!(report.digits, 200);
        assert!(
            report.negative_elbo.is_finite() && report.gap.is_finite(),
            "{report:?}"
        );
    }
    assert!(eight.gap > 0.5, "8 samples tighten the bound: {eight:?}");
    assert!(
        many.negative_log_likelihood < eight.negative_log_likelihood - 0.3,
        "64 samples tighten it further: {eight:?} vs {many:?}"
    );
    // Every estimate of −ELBO is of the same quantity: they agree within sampling noise.
    assert!(
        (one.negative_elbo - many.negative_elbo).abs() < 3.0,
        "{one:?} vs {many:?}"
    );
    assert!(common::block_on(evaluation::estimate_gap(&model, &digits, 0)).is_err());
}

#[test]
fn active_units_count_the_units_whose_mean_varies_over_the_data() {
    // Four digits, three units: unit 0 varies (variance 1.25), unit 1 is constant (collapsed),
    // unit 2 varies by ±0.05 (variance 0.0025, below the 0.01 threshold).
    let means = [
        1.0f32, 0.3, 0.05, //
        -1.0, 0.3, -0.05, //
        2.0, 0.3, 0.05, //
        0.0, 0.3, -0.05,
    ];
    let variances = unit_variances(&means, 3);
    let expected = [1.25, 0.0, 0.0025];
    for (v, e) in variances.iter().zip(expected) {
        assert!((v - e).abs() < 1e-6, "{variances:?}");
    }
    assert_eq!(active_units(&variances), 1);
    assert_eq!(active_units(&[0.011, 0.009, 0.5]), 2);
}

/// Rows `x = Σₖ sₖ gₖ uₖ + noise` for orthonormal directions `uₖ` of `d` dimensions, standard
/// deviations `sₖ` and deterministic pseudo-normal `gₖ`, so the covariance's top eigenvectors
/// are the `uₖ` with the largest `sₖ`.
fn rows_along(directions: &[(Vec<f64>, f64)], d: usize, rows: usize, noise: f64) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut normal = move || {
        // Sum of 12 uniforms − 6: mean 0, variance 1.
        (0..12)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .sum::<f64>()
            - 6.0
    };
    let mut out = Vec::with_capacity(rows * d);
    for _ in 0..rows {
        let mut x: Vec<f64> = (0..d).map(|_| noise * normal()).collect();
        for (u, s) in directions {
            let g = s * normal();
            x.iter_mut().zip(u).for_each(|(x, u)| *x += g * u);
        }
        out.extend(x.iter().map(|&v| 0.5 + v as f32));
    }
    out
}

/// A unit vector in `d` dimensions, rotated off the axes by `seed`.
fn direction(d: usize, seed: usize) -> Vec<f64> {
    let v: Vec<f64> = (0..d)
        .map(|j| ((j * 7 + seed * 13) % 11) as f64 - 5.0)
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

fn gram_schmidt(u: &[f64], v: &[f64]) -> Vec<f64> {
    let p: f64 = u.iter().zip(v).map(|(a, b)| a * b).sum();
    let w: Vec<f64> = v.iter().zip(u).map(|(v, u)| v - p * u).collect();
    let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
    w.into_iter().map(|x| x / norm).collect()
}

fn dot(a: &[f32], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(&a, b)| a as f64 * b).sum()
}

#[test]
fn principal_axes_are_the_covariances_top_eigenvectors() {
    // 1,000 rows of latent 64 spread 3 along u and 2 along w (orthonormal, off the axes), with
    // 0.3 of noise in every dimension: PC 1 is u and PC 2 is w, up to sign.
    let d = 64;
    let u = direction(d, 1);
    let w = gram_schmidt(&u, &direction(d, 2));
    let means = rows_along(&[(u.clone(), 3.0), (w.clone(), 2.0)], d, 1000, 0.3);
    let [first, second] = principal_axes(&means, d);
    assert!(
        dot(&first, &u).abs() > 0.995,
        "PC 1 · u = {}",
        dot(&first, &u)
    );
    assert!(
        dot(&second, &w).abs() > 0.99,
        "PC 2 · w = {}",
        dot(&second, &w)
    );
    let as_f64 = |a: &[f32]| a.iter().map(|&x| x as f64).collect::<Vec<_>>();
    assert!((dot(&first, &as_f64(&first)) - 1.0).abs() < 1e-5);
    assert!((dot(&second, &as_f64(&second)) - 1.0).abs() < 1e-5);
    assert!(dot(&first, &as_f64(&second)).abs() < 1e-5, "orthogonal");
    // The sign: the largest component is positive, so the map does not flip between reports.
    for axis in [&first, &second] {
        let largest = axis
            .iter()
            .copied()
            .fold(0.0f32, |m, x| if x.abs() > m.abs() { x } else { m });
        assert!(largest > 0.0, "{axis:?}");
    }
    // The order of the two spreads decides the order of the axes.
    let swapped = rows_along(&[(u.clone(), 2.0), (w.clone(), 3.0)], d, 1000, 0.3);
    let [first, _] = principal_axes(&swapped, d);
    assert!(
        dot(&first, &w).abs() > 0.995,
        "PC 1 · w = {}",
        dot(&first, &w)
    );
}

#[test]
fn principal_axes_separate_close_spreads() {
    // Spreads of 2.0 and 1.97 along u and w: power iteration would need thousands of steps to
    // tell them apart; the answer must still be the eigenvectors of the sample covariance.
    // Checked as eigenvectors: C·a is parallel to a, for the covariance C of these rows.
    let d = 16;
    let u = direction(d, 3);
    let w = gram_schmidt(&u, &direction(d, 4));
    let means = rows_along(&[(u, 2.0), (w, 1.97)], d, 2000, 0.1);
    let rows = means.len() / d;
    let centre: Vec<f64> = (0..d)
        .map(|j| means[j..].iter().step_by(d).map(|&v| v as f64).sum::<f64>() / rows as f64)
        .collect();
    let covariance_times = |a: &[f32]| {
        let mut out = vec![0.0f64; d];
        for row in means.chunks_exact(d) {
            let x: Vec<f64> = row
                .iter()
                .zip(&centre)
                .map(|(&v, c)| v as f64 - c)
                .collect();
            let projection = dot(a, &x);
            out.iter_mut()
                .zip(&x)
                .for_each(|(o, x)| *o += projection * x / rows as f64);
        }
        out
    };
    for axis in principal_axes(&means, d) {
        let image = covariance_times(&axis);
        let norm = image.iter().map(|x| x * x).sum::<f64>().sqrt();
        let cosine = dot(&axis, &image) / norm;
        assert!(cosine > 0.99999, "C·a is not parallel to a: cos = {cosine}");
        assert!(norm > 3.0, "an axis of the two largest spreads: λ = {norm}");
    }
}

#[test]
fn principal_axes_of_one_dimension_or_non_finite_means() {
    assert_eq!(principal_axes(&[1.0, -2.0, 0.5], 1), [vec![1.0], vec![0.0]]);
    assert_eq!(
        principal_axes(&[1.0, f32::NAN, 0.5, 0.2], 2),
        [vec![1.0, 0.0], vec![0.0, 1.0]]
    );
}

fn trainer(model: VaeConfig, objective: Objective, seed: u64) -> Trainer {
    let config = TrainerConfig::new(model).with_objective(objective);
    Trainer::new(config, &common::dataset(), &common::device(), seed, None).unwrap()
}

#[test]
fn a_large_beta_collapses_the_posterior_onto_the_prior() {
    // β weighs the KL β times: past some β every unit is cheaper off than on. The same 150
    // steps with β = 1 keep several units active; with β = 30, at most one survives.
    let mut active = Vec::new();
    for beta in [1.0, 30.0] {
        let mut trainer = trainer(VaeConfig::new(), Objective::new().with_beta(beta), 31);
        for _ in 0..15 {
            common::block_on(trainer.train_steps(10)).unwrap();
        }
        let report = common::block_on(trainer.evaluate()).unwrap();
        active.push((report.active_units, report.elbo.kl));
    }
    assert!(active[0].0 >= 5, "β = 1: {active:?}");
    assert!(active[1].0 <= 1 && active[1].1 < 5.0, "β = 30: {active:?}");
}

#[test]
fn every_variant_trains() {
    // Each switch of the page, natively: the negative ELBO falls well below a random model's
    // (~543 nats for a Bernoulli decoder) in 60 steps and stays finite.
    let variants = [
        (
            VaeConfig::new().with_covariance(Covariance::Full),
            Objective::new(),
        ),
        (
            VaeConfig::new().with_likelihood(Likelihood::GaussianLearned),
            Objective::new(),
        ),
        (
            VaeConfig::new().with_likelihood(Likelihood::Gaussian { sigma: 0.1 }),
            Objective::new().with_samples(4).with_warmup_steps(50),
        ),
        (
            VaeConfig::new().with_architecture(Architecture::Conv),
            Objective::new(),
        ),
    ];
    for (model, objective) in variants {
        let description = format!("{model:?} {objective:?}");
        let mut trainer = trainer(model, objective, 41);
        let first = common::block_on(trainer.train_steps(1)).unwrap();
        for _ in 0..6 {
            common::block_on(trainer.train_steps(10)).unwrap();
        }
        let report = common::block_on(trainer.evaluate()).unwrap();
        let gap = common::block_on(trainer.estimate_gap(4, 50)).unwrap();
        assert!(
            report.elbo.is_finite() && gap.gap.is_finite(),
            "{description}: {report:?}"
        );
        assert!(
            report.elbo.negative_elbo < first.train.negative_elbo - 50.0,
            "{description}: first step {:?}, after 61 steps {:?}",
            first.train,
            report.elbo
        );
    }
}
