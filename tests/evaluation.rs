//! Held-out measurements: the importance-weighted bound, active units, and the model variants
//! the page can switch between.

mod common;

use latent_lab::evaluation::{self, active_units, unit_variances};
use latent_lab::model::{Architecture, Covariance, Likelihood, VaeConfig};
use latent_lab::trainer::{Objective, Trainer, TrainerConfig};
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
    let gap = |k| common::block_on(evaluation::importance_weighted(&model, &digits, k)).unwrap();
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
    assert!(common::block_on(evaluation::importance_weighted(&model, &digits, 0)).is_err());
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
        let gap = common::block_on(trainer.evaluate_gap(4, 50)).unwrap();
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
