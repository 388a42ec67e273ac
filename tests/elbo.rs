//! The ELBO's pieces, each against an answer computed another way.

mod common;

use burn::prelude::*;
use burn::tensor::Distribution;
use latent_lab::likelihood::{bernoulli_negative_log_likelihood, gaussian_negative_log_likelihood};
use latent_lab::model::{Likelihood, VaeConfig, VaeOutput};
use latent_lab::objective::{
    ElboTerms, Objective, importance_weighted_bound, log_importance_weights,
};
use latent_lab::posterior::{Posterior, kl_divergence, reparameterize};

#[test]
fn kl_of_a_diagonal_posterior_matches_a_hand_computed_value() {
    // μ = (1, −2), σ² = (4, ½): KL = ½[(1 + 4 − 1 − ln 4) + (4 + ½ − 1 − ln ½)]
    // = ½ (7.5 − ln 2) = 3.403426. A formula that dropped μ², used σ for σ², flipped the sign of
    // log σ² (which σ² = (4, ¼) would hide: its logs cancel) or lost the ½ is off by nats; at the
    // prior (μ = 0, σ = 1) all of those would still give 0.
    let device = common::device();
    let row = |v: [f32; 2]| Tensor::<1>::from_floats(v, &device).reshape([1, 2]);
    let posterior = Posterior::diagonal(row([1.0, -2.0]), row([4f32.ln(), 0.5f32.ln()]));
    let kl = common::values(kl_divergence(&posterior))[0] as f64;
    let expected = 0.5 * (7.5 - std::f64::consts::LN_2);
    assert!((kl - expected).abs() < 1e-5, "{kl} against {expected}");
    let zeros = Tensor::<2>::zeros([4, 20], &device);
    let at_prior = common::values(kl_divergence(&Posterior::diagonal(zeros.clone(), zeros)));
    assert!(at_prior.iter().all(|&k| k == 0.0), "{at_prior:?}");
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
    let posterior = Posterior::diagonal(expand(mean), expand(log_variance));
    let z = common::values(reparameterize(&posterior, noise));

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
    let (estimate, standard_error) = common::mean_and_error(&log_ratio);

    let closed = common::values(kl_divergence(&Posterior::diagonal(
        Tensor::from_floats([mean], &device),
        Tensor::from_floats([log_variance], &device),
    )))[0] as f64;
    // By hand: ½ [(0.64 + e^−1.2 − 1 + 1.2) + (2.25 + e^0.7 − 1 − 0.7) + 0] = 1.85247.
    assert!((closed - 1.85247).abs() < 1e-4, "closed form {closed}");
    assert!(
        (estimate - closed).abs() < 4.0 * standard_error,
        "Monte Carlo {estimate} ± {standard_error} vs closed form {closed}"
    );
}

/// A full-covariance posterior for one image: μ, log σ² (L's squared diagonal) and L's strictly
/// lower part, in f64 for the independent computations below.
const FULL_MEAN: [f64; 3] = [0.5, -1.0, 0.3];
const FULL_LOG_VARIANCE: [f64; 3] = [-0.8, 0.4, -0.2];
const FULL_LOWER: [[f64; 3]; 3] = [[0.0, 0.0, 0.0], [0.9, 0.0, 0.0], [-0.4, 0.6, 0.0]];

fn full_posterior(device: &Device, rows: usize) -> Posterior {
    let f32s = |v: [f64; 3]| v.map(|x| x as f32);
    let lower = FULL_LOWER.map(f32s);
    Posterior {
        mean: Tensor::<2>::from_floats([f32s(FULL_MEAN)], device).repeat_dim(0, rows),
        log_variance: Tensor::<2>::from_floats([f32s(FULL_LOG_VARIANCE)], device)
            .repeat_dim(0, rows),
        lower: Some(Tensor::<3>::from_floats([lower], device).repeat_dim(0, rows)),
    }
}

/// L = diag(σ) + lower, and Σ = L Lᵀ, computed by hand.
fn full_cholesky() -> [[f64; 3]; 3] {
    let mut l = FULL_LOWER;
    for i in 0..3 {
        l[i][i] = (0.5 * FULL_LOG_VARIANCE[i]).exp();
    }
    l
}

fn full_covariance() -> [[f64; 3]; 3] {
    let l = full_cholesky();
    let mut sigma = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            sigma[i][j] = (0..3).map(|k| l[i][k] * l[j][k]).sum();
        }
    }
    sigma
}

fn determinant(m: [[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// log N(z; μ, Σ) − log N(z; 0, I) through Σ's adjugate inverse and determinant: nothing here
/// reuses the Cholesky factor the code works with.
fn full_log_ratio(z: &[f64]) -> f64 {
    let sigma = full_covariance();
    let det = determinant(sigma);
    let minor = |r: usize, c: usize| {
        let rows: Vec<usize> = (0..3).filter(|&x| x != r).collect();
        let cols: Vec<usize> = (0..3).filter(|&x| x != c).collect();
        sigma[rows[0]][cols[0]] * sigma[rows[1]][cols[1]]
            - sigma[rows[0]][cols[1]] * sigma[rows[1]][cols[0]]
    };
    // The adjugate's (i, j) entry is the (j, i) cofactor.
    let inverse: [[f64; 3]; 3] = std::array::from_fn(|i| {
        std::array::from_fn(|j| {
            let sign = if (i + j) % 2 == 0 { 1.0 } else { -1.0 };
            sign * minor(j, i) / det
        })
    });
    let d: Vec<f64> = z.iter().zip(FULL_MEAN).map(|(z, m)| z - m).collect();
    let quadratic: f64 = (0..3)
        .map(|i| (0..3).map(|j| d[i] * inverse[i][j] * d[j]).sum::<f64>())
        .sum();
    let log_q = -0.5 * (det.ln() + quadratic);
    let log_p = -0.5 * z.iter().map(|z| z * z).sum::<f64>();
    log_q - log_p
}

#[test]
fn full_covariance_kl_matches_monte_carlo_and_samples_have_covariance_l_lt() {
    let device = common::device();
    device.seed(13);
    let samples = 200_000;
    let posterior = full_posterior(&device, samples);
    let noise = Tensor::random([samples, 3], Distribution::Normal(0.0, 1.0), &device);
    let z: Vec<f64> = common::values(reparameterize(&posterior, noise))
        .into_iter()
        .map(f64::from)
        .collect();

    // The samples' covariance is Σ = L Lᵀ.
    let sigma = full_covariance();
    let n = samples as f64;
    for i in 0..3 {
        for j in 0..3 {
            let covariance = z
                .chunks_exact(3)
                .map(|z| (z[i] - FULL_MEAN[i]) * (z[j] - FULL_MEAN[j]))
                .sum::<f64>()
                / n;
            assert!(
                (covariance - sigma[i][j]).abs() < 0.02,
                "Σ[{i}][{j}]: sample {covariance} vs {}",
                sigma[i][j]
            );
        }
    }

    let log_ratio: Vec<f64> = z.chunks_exact(3).map(full_log_ratio).collect();
    let (estimate, standard_error) = common::mean_and_error(&log_ratio);
    let closed = common::values(kl_divergence(&full_posterior(&device, 1)))[0] as f64;
    // ½ (tr Σ + μᵀμ − d − log det Σ), with det Σ from the 3 × 3 determinant.
    let by_hand = 0.5
        * ((0..3).map(|i| sigma[i][i]).sum::<f64>() + FULL_MEAN.iter().map(|m| m * m).sum::<f64>()
            - 3.0
            - determinant(sigma).ln());
    assert!(
        (closed - by_hand).abs() < 1e-4,
        "closed form {closed} vs {by_hand}"
    );
    assert!(
        (estimate - closed).abs() < 4.0 * standard_error,
        "Monte Carlo {estimate} ± {standard_error} vs closed form {closed}"
    );
}

#[test]
fn importance_weights_of_a_full_covariance_posterior_average_to_minus_kl() {
    // With log p(x|z) = 0 the log weight is log p(z) − log q(z|x), whose mean under q is −KL:
    // this checks log q(z|x) = log N(ε; 0, I) − log |det L| against the closed form.
    let device = common::device();
    device.seed(17);
    let samples = 100_000;
    let posterior = full_posterior(&device, 1);
    let noise = Tensor::random([samples, 3], Distribution::Normal(0.0, 1.0), &device);
    let z = reparameterize(&posterior, noise.clone());
    let output = VaeOutput {
        logits: Tensor::zeros([samples, 1], &device),
        posterior: posterior.clone(),
        noise,
        z: z.clone(),
    };
    let weights = common::values(log_importance_weights(
        &output,
        Tensor::zeros([samples], &device),
    ));
    // Each weight against the density computed from Σ directly.
    let zs = common::values(z);
    for (w, z) in weights.iter().zip(zs.chunks_exact(3)).take(100) {
        let z: Vec<f64> = z.iter().map(|&v| v as f64).collect();
        let expected = -full_log_ratio(&z);
        assert!((*w as f64 - expected).abs() < 1e-3, "{w} vs {expected}");
    }
    let (mean, error) =
        common::mean_and_error(&weights.iter().map(|&w| w as f64).collect::<Vec<_>>());
    let kl = common::values(kl_divergence(&posterior))[0] as f64;
    assert!(
        (mean + kl).abs() < 4.0 * error,
        "mean log weight {mean} ± {error}, KL {kl}"
    );
}

#[test]
fn reparameterized_gradient_of_a_simple_expectation_is_analytic() {
    // E_q[Σ zᵢ²] = |μ|² + tr(L Lᵀ): its gradient is 2μ for μ, σᵢ² for log σᵢ², and 2 L_ij for
    // the entries below the diagonal. The estimate through z = μ + L ε must agree.
    let device = common::device().autodiff();
    device.seed(19);
    let samples = 100_000;
    let f32s = |v: [f64; 3]| v.map(|x| x as f32);
    let mean = Tensor::<2>::from_floats([f32s(FULL_MEAN)], &device).require_grad();
    let log_variance = Tensor::<2>::from_floats([f32s(FULL_LOG_VARIANCE)], &device).require_grad();
    let lower = Tensor::<3>::from_floats([FULL_LOWER.map(f32s)], &device).require_grad();
    let posterior = Posterior {
        mean: mean.clone(),
        log_variance: log_variance.clone(),
        lower: Some(lower.clone().tril(-1)),
    };
    let noise = Tensor::random([samples, 3], Distribution::Normal(0.0, 1.0), &device);
    let z = reparameterize(&posterior, noise);
    let objective = z.square().sum_dim(1).mean();
    let gradients = objective.backward();

    let grad_mean = common::values(mean.grad(&gradients).unwrap());
    let grad_log_variance = common::values(log_variance.grad(&gradients).unwrap());
    let grad_lower = common::values(lower.grad(&gradients).unwrap());
    for i in 0..3 {
        let expected = 2.0 * FULL_MEAN[i];
        assert!(
            (grad_mean[i] as f64 - expected).abs() < 0.05,
            "∂/∂μ{i}: {grad_mean:?}"
        );
        let expected = FULL_LOG_VARIANCE[i].exp();
        assert!(
            (grad_log_variance[i] as f64 - expected).abs() < 0.03,
            "∂/∂logσ²{i}: {grad_log_variance:?}"
        );
        for j in 0..3 {
            let expected = if j < i { 2.0 * FULL_LOWER[i][j] } else { 0.0 };
            let got = grad_lower[i * 3 + j] as f64;
            assert!((got - expected).abs() < 0.05, "∂/∂L{i}{j}: {grad_lower:?}");
        }
    }
}

#[test]
fn gaussian_likelihood_is_a_normalised_density() {
    // exp(−NLL) integrated over a one-pixel image x must be 1 for any mean and σ: the constant
    // ½ log 2πσ² is there. A Riemann sum over ±10σ.
    let device = common::device();
    for (mean, sigma) in [(0.3f64, 0.1f64), (0.8, 1.0), (0.0, 0.02)] {
        let steps = 20_001;
        let (low, high) = (mean - 10.0 * sigma, mean + 10.0 * sigma);
        let dx = (high - low) / (steps - 1) as f64;
        let grid: Vec<f32> = (0..steps).map(|i| (low + i as f64 * dx) as f32).collect();
        let targets = Tensor::<1>::from_floats(grid.as_slice(), &device).reshape([steps, 1]);
        let means = Tensor::<2>::full([steps, 1], mean, &device);
        let log_variance = Tensor::<1>::from_floats([(2.0 * sigma.ln()) as f32], &device);
        let nll = common::values(gaussian_negative_log_likelihood(
            means,
            targets,
            log_variance,
        ));
        let integral: f64 = nll.iter().map(|&v| (-(v as f64)).exp() * dx).sum();
        assert!(
            (integral - 1.0).abs() < 1e-3,
            "mean {mean}, σ {sigma}: ∫ = {integral}"
        );
    }
    // And per image it is the sum over pixels: 784 pixels at the mean cost 784 · ½ log 2πσ².
    let sigma = 0.1f64;
    let pixels = Tensor::<2>::full([1, 784], 0.5, &device);
    let log_variance = Tensor::<1>::from_floats([(2.0 * sigma.ln()) as f32], &device);
    let nll = common::values(gaussian_negative_log_likelihood(
        pixels.clone(),
        pixels,
        log_variance,
    ))[0];
    let expected = 784.0 * 0.5 * (2.0 * std::f64::consts::PI * sigma * sigma).ln();
    assert!((nll as f64 - expected).abs() < 0.05, "{nll} vs {expected}");
}

#[test]
fn importance_weighted_bound_is_a_stable_log_mean_exp() {
    let device = common::device();
    // Two images, three samples each (rows are samples): one with weights far below f32's
    // exp range.
    let log_weights =
        Tensor::<2>::from_floats([[-1.0, -1000.0], [-2.0, -1001.0], [-3.0, -1002.0]], &device);
    let bound = common::values(importance_weighted_bound(log_weights));
    let log_mean_exp = |w: [f64; 3]| {
        let max = w.iter().cloned().fold(f64::MIN, f64::max);
        max + (w.iter().map(|x| (x - max).exp()).sum::<f64>() / 3.0).ln()
    };
    let expected = [
        log_mean_exp([-1.0, -2.0, -3.0]),
        log_mean_exp([-1000.0, -1001.0, -1002.0]),
    ];
    for (got, want) in bound.iter().zip(expected) {
        assert!(
            (*got as f64 - want).abs() < 1e-3,
            "{bound:?} vs {expected:?}"
        );
    }
}

#[test]
fn bernoulli_likelihood_is_minus_the_log_of_a_product_of_probabilities() {
    // Computed another way: p = 1/(1 + e^−ℓ) per pixel in f64, the product of p^x (1 − p)^(1−x)
    // over a binary image, then its log; and for grey levels −Σ [x ln p + (1 − x) ln(1 − p)].
    // A sign error, a swapped x and 1 − x, or a missing log term changes these by whole nats.
    let device = common::device();
    let logits: Vec<f32> = (0..12).map(|i| -6.0 + 1.1 * i as f32).collect();
    let binary: Vec<f32> = (0..12).map(|i| ((i * 7) % 3 == 0) as u8 as f32).collect();
    let grey: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37) % 1.0).collect();
    let row = |v: &[f32]| Tensor::<1>::from_floats(v, &device).reshape([1, 12]);
    let nll = |targets: &[f32]| {
        common::values(bernoulli_negative_log_likelihood(
            row(&logits),
            row(targets),
        ))[0] as f64
    };
    let p = |l: f32| 1.0 / (1.0 + (-(l as f64)).exp());
    let product: f64 = logits
        .iter()
        .zip(&binary)
        .map(|(&l, &x)| if x == 1.0 { p(l) } else { 1.0 - p(l) })
        .product();
    assert!(
        (nll(&binary) + product.ln()).abs() < 1e-4,
        "{} vs {}",
        nll(&binary),
        -product.ln()
    );
    let expected: f64 = logits
        .iter()
        .zip(&grey)
        .map(|(&l, &x)| -(x as f64 * p(l).ln() + (1.0 - x as f64) * (1.0 - p(l)).ln()))
        .sum();
    assert!(
        (nll(&grey) - expected).abs() < 1e-4,
        "{} vs {expected}",
        nll(&grey)
    );
}

#[test]
fn bernoulli_likelihood_is_finite_at_extreme_logits() {
    let device = common::device();
    let logits = [100.0f32, -100.0, 100.0, -100.0];
    let targets = [1.0f32, 0.0, 0.0, 1.0];
    // Each row is a one-pixel image, so each output is one pixel's −log p(x|z): a certain and
    // right prediction costs nothing, a certain and wrong one costs |ℓ| (e^−100 underflows f64's
    // 1 − p, so no product of probabilities could say this).
    let column = |v: [f32; 4]| Tensor::<1>::from_floats(v, &device).reshape([4, 1]);
    let nll = common::values(bernoulli_negative_log_likelihood(
        column(logits),
        column(targets),
    ));
    assert!(nll.iter().all(|v| v.is_finite()), "{nll:?}");
    assert!(nll[0].abs() < 1e-6 && nll[1].abs() < 1e-6, "{nll:?}");
    assert!(
        (nll[2] - 100.0).abs() < 1e-4 && (nll[3] - 100.0).abs() < 1e-4,
        "{nll:?}"
    );
}

#[test]
fn the_kl_weight_follows_beta_and_the_warm_up() {
    let warming = Objective::new().with_beta(2.0).with_warmup_steps(100);
    for (step, weight) in [(0, 0.0), (25, 0.5), (50, 1.0), (100, 2.0), (10_000, 2.0)] {
        assert_eq!(warming.kl_weight(step), weight, "step {step}");
    }
    let plain = Objective::new().with_beta(0.5);
    assert_eq!(plain.kl_weight(0), 0.5);
    assert_eq!(plain.kl_weight(7), 0.5);
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
    let posterior = Posterior::diagonal(
        Tensor::<2>::full([1, 1], 1.5, &device),
        Tensor::<2>::full([1, 1], (0.25f32).ln(), &device), // σ = 0.5
    );
    // One image, 100,000 samples of its z.
    let noise = Tensor::random([samples, 1], Distribution::Normal(0.0, 1.0), &device);
    let z: Vec<f64> = common::values(reparameterize(&posterior, noise))
        .into_iter()
        .map(f64::from)
        .collect();
    let (m, _) = common::mean_and_error(&z);
    let sd = (z.iter().map(|v| (v - m).powi(2)).sum::<f64>() / z.len() as f64).sqrt();
    assert!((m - 1.5).abs() < 0.01, "mean {m}");
    assert!((sd - 0.5).abs() < 0.01, "sd {sd}");
}

#[test]
fn l_sample_reconstruction_is_the_mean_of_single_sample_passes() {
    // `ElboTerms::new` on a pass with L = 3 samples of z per image (noise row s·batch + b is
    // sample s of image b) against three passes of one sample each, fed those same noise rows:
    // each image's reconstruction must be the mean of its own three, computed here in f64, and
    // the KL the same closed form. Four distinct digits, whose −log p(x|z) mostly differ by
    // half a nat or more, so averaging another image's rows in is off by far more than the
    // tolerance, 10⁻³ nats: f32 rounding of sums of 784 terms of about 0.7.
    let device = common::device();
    device.seed(29);
    let model = VaeConfig::new()
        .with_hidden_size(32)
        .with_latent_size(3)
        .init(&device);
    let (batch, samples, latent) = (4, 3, 3);
    let images = common::dataset()
        .heldout
        .to_tensor(&device)
        .narrow(0, 0, batch);
    let noise = Tensor::<2>::random(
        [samples * batch, latent],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let output = model.forward(images.clone(), noise.clone());
    let targets = Tensor::cat(vec![images.clone(); samples], 0);
    let reconstruction = model
        .decoder
        .negative_log_likelihood(output.logits.clone(), targets);
    let terms = ElboTerms::new(&output.posterior, reconstruction);
    let averaged = common::values(terms.reconstruction);
    let kl = common::values(terms.kl);

    let mut by_hand = vec![0.0f64; batch];
    let mut single_kl = Vec::new();
    for s in 0..samples {
        let one = model.forward(images.clone(), noise.clone().narrow(0, s * batch, batch));
        let reconstruction = model
            .decoder
            .negative_log_likelihood(one.logits.clone(), images.clone());
        // With one sample per image the terms are that pass's own values.
        let terms = ElboTerms::new(&one.posterior, reconstruction.clone());
        assert_eq!(
            common::values(terms.reconstruction),
            common::values(reconstruction.clone())
        );
        for (sum, r) in by_hand.iter_mut().zip(common::values(reconstruction)) {
            *sum += r as f64 / samples as f64;
        }
        single_kl = common::values(terms.kl);
    }
    let spread = by_hand.iter().cloned().fold(f64::NAN, f64::max)
        - by_hand.iter().cloned().fold(f64::NAN, f64::min);
    assert!(
        spread > 0.1,
        "the digits' reconstructions differ: {by_hand:?}"
    );
    for b in 0..batch {
        assert!(
            (averaged[b] as f64 - by_hand[b]).abs() < 1e-3,
            "image {b}: {averaged:?} vs {by_hand:?}"
        );
        assert!(
            (kl[b] - single_kl[b]).abs() < 1e-5,
            "{kl:?} vs {single_kl:?}"
        );
    }
}

#[test]
fn learned_sigma_likelihood_is_the_gaussian_density_computed_by_hand() {
    // The decoder with a learned σ, its log σ² set to −1.7 (σ ≈ 0.43, far from the initial 0.1),
    // scoring two digits under chosen logits: −log p(x|z) must be
    // Σ ½ (ln 2π + log σ² + (x − sigmoid(ℓ))² / σ²) over the 784 pixels, computed here in f64.
    // Reading the parameter as log σ instead, dropping the constant or the sigmoid, each moves
    // the answer by tens to hundreds of nats; the tolerance, 10⁻⁵ relative, is f32 rounding. (The
    // smooth bound on log σ² moves −1.7 by less than e^(1.7 − 15) ≈ 2·10⁻⁶, below it.)
    let device = common::device();
    let log_variance = -1.7f64;
    let model = VaeConfig::new()
        .with_hidden_size(4)
        .with_latent_size(2)
        .with_likelihood(Likelihood::GaussianLearned)
        .init(&device);
    let model = common::with_parameter(model, "decoder.log_variance", &[log_variance as f32]);
    let sigma = common::values(model.decoder.learned_sigma().unwrap())[0] as f64;
    assert!(
        (sigma - (0.5 * log_variance).exp()).abs() < 1e-6,
        "σ = {sigma}"
    );

    let images = common::dataset().heldout.to_tensor(&device).narrow(0, 0, 2);
    let pixels = common::values(images.clone());
    let logits: Vec<f32> = (0..2 * 784)
        .map(|i| ((i * 37) % 101) as f32 / 101.0 * 8.0 - 4.0)
        .collect();
    let nll = common::values(model.decoder.negative_log_likelihood(
        Tensor::<1>::from_floats(logits.as_slice(), &device).reshape([2, 784]),
        images,
    ));
    for (b, &got) in nll.iter().enumerate() {
        let expected: f64 = (b * 784..(b + 1) * 784)
            .map(|j| {
                let mean = 1.0 / (1.0 + (-(logits[j] as f64)).exp());
                let error = pixels[j] as f64 - mean;
                0.5 * ((2.0 * std::f64::consts::PI).ln()
                    + log_variance
                    + error * error / log_variance.exp())
            })
            .sum();
        assert!(
            (got as f64 - expected).abs() < 1e-5 * expected.abs(),
            "image {b}: {got} vs {expected}"
        );
    }
}
