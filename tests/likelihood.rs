//! The continuous Bernoulli against its definition, the log-variance bound, and binarised data,
//! each checked against an answer computed independently of the code, in f64.

mod common;

use burn::prelude::*;
use latent_lab::data::{HELDOUT_BINARISATION_SEED, PixelValues};
use latent_lab::likelihood::{
    LOG_VARIANCE_BOUND, bound_log_variance, continuous_bernoulli_mean,
    continuous_bernoulli_negative_log_likelihood,
};

/// Logits on both sides of the series' threshold (0.1), at it, at 0, and far out.
const LOGITS: [f64; 12] = [
    -30.0, -4.0, -0.5, -0.1, -0.099, -1e-3, 0.0, 0.02, 0.1, 0.3, 2.0, 30.0,
];

/// log C(λ) from the paper's own form, 2 artanh(1 − 2λ) / (1 − 2λ), with λ and 1 − λ each
/// computed from ℓ in f64 (not the code's ℓ / tanh(ℓ/2)), and artanh(1 − 2λ) as
/// ½ log((1 − λ) / λ) so that λ near 1 loses nothing; at λ = ½ exactly, its limit log 2.
fn log_normaliser(logit: f64) -> f64 {
    let lambda = 1.0 / (1.0 + (-logit).exp());
    let one_minus = 1.0 / (1.0 + logit.exp());
    let t = one_minus - lambda;
    if t == 0.0 {
        std::f64::consts::LN_2
    } else {
        (((one_minus / lambda).ln()) / t).ln()
    }
}

/// −log p(x) of one pixel by the code, for every (logit, x) pair at once.
fn code_nll(logits: &[f64], xs: &[f64]) -> Vec<f32> {
    let device = common::device();
    let n = logits.len();
    let as_tensor = |v: &[f64]| {
        Tensor::<2>::from_data(
            TensorData::new(v.iter().map(|&x| x as f32).collect(), [n, 1]),
            &device,
        )
    };
    common::values(continuous_bernoulli_negative_log_likelihood(
        as_tensor(logits),
        as_tensor(xs),
    ))
}

#[test]
fn the_continuous_bernoulli_matches_its_definition_on_both_sides_of_the_series() {
    // −log p(x) = −[x log λ + (1 − x) log(1 − λ)] − log C(λ), in f64 from λ. The tolerance is
    // f32's: a few ulps of figures up to ~30 nats (10⁻⁵ relative, 10⁻⁵ absolute near 0).
    let mut logits = Vec::new();
    let mut xs = Vec::new();
    for &l in &LOGITS {
        for x in [0.0, 0.13, 0.5, 0.87, 1.0] {
            logits.push(l);
            xs.push(x);
        }
    }
    let got = code_nll(&logits, &xs);
    for ((&l, &x), &got) in logits.iter().zip(&xs).zip(&got) {
        let lambda = 1.0 / (1.0 + (-l).exp());
        let log_lambda = -(1.0 + (-l).exp()).ln();
        let log_one_minus = -(1.0 + l.exp()).ln();
        let expected = -(x * log_lambda + (1.0 - x) * log_one_minus) - log_normaliser(l);
        let tolerance = 1e-5 * (1.0 + expected.abs());
        assert!(
            (got as f64 - expected).abs() < tolerance,
            "ℓ = {l} (λ = {lambda}), x = {x}: {got} against {expected}"
        );
    }
}

#[test]
fn the_continuous_bernoulli_is_a_density_and_its_mean_is_its_mean() {
    // ∫₀¹ p(x) dx = 1 and ∫₀¹ x p(x) dx = the code's mean, with p = exp(−the code's −log p), by
    // Simpson's rule on 2,001 points (its error on these smooth integrands is below 10⁻¹⁰; the
    // f32 density's relative error, ~10⁻⁶, bounds both).
    let n = 2000;
    let grid: Vec<f64> = (0..=n).map(|i| i as f64 / n as f64).collect();
    let device = common::device();
    for &l in &LOGITS {
        let density: Vec<f64> = code_nll(&vec![l; grid.len()], &grid)
            .iter()
            .map(|&nll| (-(nll as f64)).exp())
            .collect();
        let simpson = |f: &dyn Fn(usize) -> f64| {
            let h = 1.0 / n as f64;
            (0..=n)
                .map(|i| {
                    let w = if i == 0 || i == n {
                        1.0
                    } else if i % 2 == 1 {
                        4.0
                    } else {
                        2.0
                    };
                    w * f(i)
                })
                .sum::<f64>()
                * h
                / 3.0
        };
        let mass = simpson(&|i| density[i]);
        assert!((mass - 1.0).abs() < 1e-4, "ℓ = {l}: ∫ p = {mass}");
        let mean = simpson(&|i| grid[i] * density[i]);
        let code_mean = common::values(continuous_bernoulli_mean(Tensor::<2>::from_data(
            TensorData::new(vec![l as f32], [1, 1]),
            &device,
        )))[0] as f64;
        assert!(
            (code_mean - mean).abs() < 1e-4,
            "ℓ = {l}: mean {code_mean} against ∫ x p = {mean}"
        );
    }
}

#[test]
fn the_branch_not_taken_never_poisons_the_gradient() {
    // At ℓ = 0 the exact form is 0/0; its branch is masked off, and the gradient must stay
    // finite there. Away from 0 it is the derivative of the definition: σ(ℓ) − x − d log C/dℓ,
    // with d log C/dℓ = 1/ℓ − 1/sinh ℓ (its series ℓ/6 − 7ℓ³/360 below 10⁻²), in f64. At 0
    // itself only finiteness is asked: the cross-entropy's max(ℓ, 0) and |ℓ| have kinks there,
    // and autodiff takes one-sided slopes at a point a float logit essentially never hits.
    let device = common::device().autodiff();
    let points: [f64; 8] = [0.0, 1e-4, -0.05, -0.1, 0.1, 0.7, 50.0, -50.0];
    let x: f64 = 0.3;
    let n = points.len();
    let logits = Tensor::<2>::from_data(
        TensorData::new(points.iter().map(|&l| l as f32).collect(), [n, 1]),
        &device,
    )
    .require_grad();
    let targets = Tensor::<2>::from_data(TensorData::new(vec![x as f32; n], [n, 1]), &device);
    let loss = continuous_bernoulli_negative_log_likelihood(logits.clone(), targets).sum();
    let gradient = common::values(logits.grad(&loss.backward()).unwrap());
    assert!(gradient.iter().all(|g| g.is_finite()), "{gradient:?}");
    for (&l, &got) in points.iter().zip(&gradient).skip(1) {
        let d_log_c = if l.abs() < 1e-2 {
            l / 6.0 - 7.0 * l.powi(3) / 360.0
        } else {
            1.0 / l - 1.0 / l.sinh()
        };
        let expected = 1.0 / (1.0 + (-l).exp()) - x - d_log_c;
        assert!(
            (got as f64 - expected).abs() < 1e-5,
            "ℓ = {l}: {got} against {expected}"
        );
    }
}

#[test]
fn the_log_variance_bound_is_the_identity_inside_and_levels_off_outside() {
    // v − softplus(v − b) + softplus(−v − b) in f64 against the code, and the promises its docs
    // make: within e^(|v| − b) of v, inside ±b, increasing, with a slope above 0 out to ±30
    // (beyond, 1 − σ(v − b) − σ(−v − b) rounds to 0 in f32).
    // Not ±b itself, where softplus's max and |·| have their kinks and autodiff's one-sided
    // slopes at a point a float essentially never hits would not be the derivative.
    let values = [
        -1e4, -200.0, -30.0, -15.3, -8.7, -1.0, 0.0, 0.2, 3.0, 14.0, 90.0, 1e4,
    ];
    let device = common::device().autodiff();
    let v = Tensor::<1>::from_data(
        TensorData::new(values.iter().map(|&v| v as f32).collect(), [values.len()]),
        &device,
    )
    .require_grad();
    let bounded = bound_log_variance(v.clone());
    let got = common::values(bounded.clone().inner());
    let gradient = common::values(v.grad(&bounded.sum().backward()).unwrap());
    let b = LOG_VARIANCE_BOUND;
    let softplus = |t: f64| t.max(0.0) + (-t.abs()).exp().ln_1p();
    for (i, &v) in values.iter().enumerate() {
        let expected = v - softplus(v - b) + softplus(-v - b);
        assert!(
            (got[i] as f64 - expected).abs() < 1e-5 * (1.0 + expected.abs()),
            "{v}: {}",
            got[i]
        );
        assert!(got[i].abs() as f64 <= b, "{v}: {} is past ±{b}", got[i]);
        if v.abs() < b {
            assert!(
                (got[i] as f64 - v).abs() <= (v.abs() - b).exp() + 1e-6,
                "{v}: {}",
                got[i]
            );
        }
        if v.abs() <= 30.0 {
            assert!(gradient[i] > 0.0, "{v}: slope {}", gradient[i]);
        }
        if i > 0 {
            assert!(got[i] >= got[i - 1], "increasing at {v}");
        }
    }
}

#[test]
fn the_held_out_digits_are_binarised_once_the_same_way_and_training_batches_afresh() {
    let data = common::dataset();
    let heldout = PixelValues::Binarised.heldout(&data.heldout);
    assert_eq!(heldout, data.heldout.binarised(HELDOUT_BINARISATION_SEED));
    assert_eq!(
        heldout,
        PixelValues::Binarised.heldout(&data.heldout),
        "the same each time"
    );
    assert_ne!(
        heldout,
        data.heldout.binarised(HELDOUT_BINARISATION_SEED + 1)
    );
    assert_eq!(PixelValues::GreyLevels.heldout(&data.heldout), data.heldout);
    // Black and white only; 0 stays 0 and 255 stays 255; and each pixel is on with probability
    // its grey level: over the 784,000 pixels the share of ink matches the mean grey level
    // within 5 standard errors (√(p(1−p)/n) ≤ 0.00057).
    assert!(heldout.pixels.iter().all(|&p| p == 0 || p == 255));
    let pairs = || data.heldout.pixels.iter().zip(&heldout.pixels);
    assert!(pairs().all(|(&g, &b)| (g != 0 || b == 0) && (g != 255 || b == 255)));
    let mean =
        |pixels: &[u8]| pixels.iter().map(|&p| p as f64 / 255.0).sum::<f64>() / pixels.len() as f64;
    let (grey, ink) = (mean(&data.heldout.pixels), mean(&heldout.pixels));
    assert!((grey - ink).abs() < 5.0 * 0.00057, "grey {grey}, ink {ink}");
    // A mid-grey pixel (between 100 and 155) is on about half the time.
    let middle: Vec<_> = pairs().filter(|(g, _)| (100..=155).contains(*g)).collect();
    let on = middle.iter().filter(|(_, b)| **b == 255).count() as f64 / middle.len() as f64;
    assert!(
        (0.4..0.6).contains(&on),
        "{on} of {} mid-grey pixels",
        middle.len()
    );

    // On the device, each batch is drawn afresh: 0 or 1, the same mean, a different draw.
    let device = common::device();
    let grey_tensor = data.heldout.to_tensor(&device);
    let first = common::values(PixelValues::Binarised.training_batch(grey_tensor.clone()));
    let second = common::values(PixelValues::Binarised.training_batch(grey_tensor.clone()));
    assert!(first.iter().all(|&p| p == 0.0 || p == 1.0));
    let share = |v: &[f32]| v.iter().map(|&p| p as f64).sum::<f64>() / v.len() as f64;
    assert!(
        (share(&first) - grey).abs() < 5.0 * 0.00057,
        "{}",
        share(&first)
    );
    assert_ne!(first, second, "each batch is binarised afresh");
    assert_eq!(
        common::values(PixelValues::GreyLevels.training_batch(grey_tensor.clone())),
        common::values(grey_tensor)
    );
}
