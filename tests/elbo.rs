//! The ELBO's pieces against independent answers.

mod common;

use burn::prelude::*;
use burn::tensor::Distribution;
use latent_lab::elbo::{bernoulli_negative_log_likelihood, kl_divergence, reparameterize};

#[test]
fn kl_is_zero_when_the_posterior_is_the_prior() {
    let device = common::device();
    let zeros = Tensor::<2>::zeros([4, 20], &device);
    let kl = common::values(kl_divergence(zeros.clone(), zeros));
    assert_eq!(kl.len(), 4);
    assert!(kl.iter().all(|&k| k == 0.0), "{kl:?}");
}

#[test]
fn closed_form_kl_matches_a_monte_carlo_estimate() {
    // KL(q ‖ p) = E_q[log q(z) − log p(z)], estimated with samples drawn through
    // `reparameterize`, so this checks the sampler as well as the formula.
    let device = common::device();
    device.seed(7);
    let mean = [0.8f32, -1.5, 0.0];
    let log_variance = [-1.2f32, 0.7, 0.0];
    let samples = 200_000;
    let latent = mean.len();
    let expand = |v: [f32; 3]| Tensor::<2>::from_floats([v], &device).repeat_dim(0, samples);
    let noise = Tensor::random([samples, latent], Distribution::Normal(0.0, 1.0), &device);
    let z = common::values(reparameterize(expand(mean), expand(log_variance), noise));

    let log_ratio: Vec<f64> = z
        .chunks_exact(latent)
        .map(|zs| {
            zs.iter()
                .zip(mean.iter().zip(&log_variance))
                .map(|(&z, (&m, &lv))| {
                    let (z, m, lv) = (z as f64, m as f64, lv as f64);
                    let log_q = -0.5 * (lv + (z - m).powi(2) / lv.exp());
                    let log_p = -0.5 * z * z;
                    log_q - log_p // the log 2π terms cancel
                })
                .sum()
        })
        .collect();
    let n = log_ratio.len() as f64;
    let estimate = log_ratio.iter().sum::<f64>() / n;
    let variance = log_ratio.iter().map(|x| (x - estimate).powi(2)).sum::<f64>() / (n - 1.0);
    let standard_error = (variance / n).sqrt();

    let closed = common::values(kl_divergence(
        Tensor::from_floats([mean], &device),
        Tensor::from_floats([log_variance], &device),
    ))[0] as f64;
    // By hand: ½ [(0.64 + e^−1.2 − 1 + 1.2) + (2.25 + e^0.7 − 1 − 0.7) + 0] = 1.85247.
    assert!((closed - 1.85247).abs() < 1e-4, "closed form {closed}");
    assert!(
        (estimate - closed).abs() < 4.0 * standard_error,
        "Monte Carlo {estimate} ± {standard_error} vs closed form {closed}"
    );
}

#[test]
fn bernoulli_likelihood_is_exact_and_finite_at_extreme_logits() {
    let device = common::device();
    let logits = [100.0f32, -100.0, 100.0, -100.0, 0.0, 2.5];
    let targets = [1.0f32, 0.0, 0.0, 1.0, 0.5, 0.3];
    // Each row is a one-pixel image, so each output is one pixel's −log p(x|z).
    let column = |v: [f32; 6]| Tensor::<1>::from_floats(v, &device).reshape([6, 1]);
    let nll = common::values(bernoulli_negative_log_likelihood(column(logits), column(targets)));
    let softplus = |l: f64| l.max(0.0) + (-l.abs()).exp().ln_1p();
    for ((&l, &x), &got) in logits.iter().zip(&targets).zip(&nll) {
        let expected = softplus(l as f64) - l as f64 * x as f64;
        assert!(got.is_finite(), "logit {l}, target {x}: {got}");
        assert!(
            (got as f64 - expected).abs() < 1e-4,
            "logit {l}, target {x}: {got} vs {expected}"
        );
    }
    assert!(nll[0].abs() < 1e-6 && (nll[2] - 100.0).abs() < 1e-4);
}

#[test]
fn bernoulli_likelihood_gradients_are_finite_at_extreme_logits() {
    let device = common::device().autodiff();
    let logits = Tensor::<2>::from_floats([[100.0, -100.0, 100.0, -100.0]], &device).require_grad();
    let targets = Tensor::<2>::from_floats([[1.0, 0.0, 0.0, 1.0]], &device);
    let loss = bernoulli_negative_log_likelihood(logits.clone(), targets).sum();
    let gradients = loss.backward();
    let gradient = common::values(logits.grad(&gradients).unwrap());
    // d/dℓ = sigmoid(ℓ) − x: 0, 0, 1, −1.
    let expected = [0.0, 0.0, 1.0, -1.0];
    for (g, e) in gradient.iter().zip(expected) {
        assert!((g - e).abs() < 1e-5, "{gradient:?}");
    }
}

#[test]
fn reparameterized_samples_have_the_posterior_moments() {
    let device = common::device();
    device.seed(11);
    let samples = 100_000;
    let mean = Tensor::<2>::full([samples, 1], 1.5, &device);
    let log_variance = Tensor::<2>::full([samples, 1], (0.25f32).ln(), &device); // σ = 0.5
    let noise = Tensor::random([samples, 1], Distribution::Normal(0.0, 1.0), &device);
    let z = common::values(reparameterize(mean, log_variance, noise));
    let n = z.len() as f64;
    let m = z.iter().map(|&v| v as f64).sum::<f64>() / n;
    let sd = (z.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / n).sqrt();
    assert!((m - 1.5).abs() < 0.01, "mean {m}");
    assert!((sd - 0.5).abs() < 0.01, "sd {sd}");
}
