//! Held-out measurements: the importance-weighted bound, active units, and the model variants
//! the page can switch between.

mod common;

use std::f64::consts::PI;

use burn::prelude::*;
use latent_lab::evaluation::{active_units, principal_axes, unit_variances};
use latent_lab::likelihood::gaussian_negative_log_likelihood;
use latent_lab::model::{Architecture, Covariance, Likelihood, VaeConfig, VaeOutput};
use latent_lab::objective::{
    ElboTerms, Objective, importance_weighted_bound, log_importance_weights,
};
use latent_lab::posterior::{Posterior, reparameterize};
use latent_lab::trainer::{Trainer, TrainerConfig};

/// Square f64 matrices as rows, for the exact answers of the linear-Gaussian model below.
type Matrix = Vec<Vec<f64>>;

fn product(a: &Matrix, b: &Matrix) -> Matrix {
    (0..a.len())
        .map(|i| {
            (0..b[0].len())
                .map(|j| (0..b.len()).map(|k| a[i][k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}

fn transpose(a: &Matrix) -> Matrix {
    (0..a[0].len())
        .map(|j| (0..a.len()).map(|i| a[i][j]).collect())
        .collect()
}

fn apply(a: &Matrix, v: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|row| row.iter().zip(v).map(|(a, v)| a * v).sum())
        .collect()
}

fn inner(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

fn difference(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a - b).collect()
}

fn identity(n: usize) -> Matrix {
    (0..n)
        .map(|i| (0..n).map(|j| (i == j) as u8 as f64).collect())
        .collect()
}

fn scaled(a: &Matrix, s: f64) -> Matrix {
    a.iter()
        .map(|row| row.iter().map(|x| x * s).collect())
        .collect()
}

fn sum(a: &Matrix, b: &Matrix) -> Matrix {
    a.iter()
        .zip(b)
        .map(|(a, b)| a.iter().zip(b).map(|(a, b)| a + b).collect())
        .collect()
}

/// The lower-triangular L with L Lᵀ = a; panics unless a is positive definite.
fn cholesky(a: &Matrix) -> Matrix {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                assert!(s > 0.0, "not positive definite: {a:?}");
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    l
}

fn log_determinant(a: &Matrix) -> f64 {
    let l = cholesky(a);
    (0..a.len()).map(|i| 2.0 * l[i][i].ln()).sum()
}

/// x with a x = b, by forward and back substitution through a's Cholesky factor.
fn solve(a: &Matrix, b: &[f64]) -> Vec<f64> {
    let l = cholesky(a);
    let n = b.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        y[i] = (b[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        x[i] = (y[i] - (i + 1..n).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    x
}

fn inverse(a: &Matrix) -> Matrix {
    let columns: Matrix = identity(a.len()).iter().map(|e| solve(a, e)).collect();
    transpose(&columns)
}

fn trace(a: &Matrix) -> f64 {
    (0..a.len()).map(|i| a[i][i]).sum()
}

/// log N(x; m, c).
fn log_normal(x: &[f64], m: &[f64], c: &Matrix) -> f64 {
    let d = difference(x, m);
    -0.5 * (x.len() as f64 * (2.0 * PI).ln() + log_determinant(c) + inner(&d, &solve(c, &d)))
}

/// KL(N(m₀, c₀) ‖ N(m₁, c₁)).
fn kl_normal(m0: &[f64], c0: &Matrix, m1: &[f64], c1: &Matrix) -> f64 {
    let d = difference(m1, m0);
    0.5 * (trace(&product(&inverse(c1), c0)) + inner(&d, &solve(c1, &d)) - m0.len() as f64
        + log_determinant(c1)
        - log_determinant(c0))
}

/// E_q[(p(z|x) / q(z))²] for p(z|x) = N(a, A) and q = N(c, C): ∫ N(z; a, A)² / N(z; c, C) dz,
/// a Gaussian integral, finite when Λ = 2A⁻¹ − C⁻¹ is positive definite. It is 1 + the variance
/// of the normalised importance weight w / p(x).
fn weight_second_moment(a: &[f64], big_a: &Matrix, c: &[f64], big_c: &Matrix) -> f64 {
    let (a_inv, c_inv) = (inverse(big_a), inverse(big_c));
    let lambda = sum(&scaled(&a_inv, 2.0), &scaled(&c_inv, -1.0));
    let h: Vec<f64> = apply(&a_inv, a)
        .iter()
        .zip(apply(&c_inv, c))
        .map(|(a, c)| 2.0 * a - c)
        .collect();
    let exponent = 0.5
        * (inner(&h, &solve(&lambda, &h)) - 2.0 * inner(a, &apply(&a_inv, a))
            + inner(c, &apply(&c_inv, c)));
    (exponent - log_determinant(big_a) + 0.5 * log_determinant(big_c)
        - 0.5 * log_determinant(&lambda))
    .exp()
}

/// A linear-Gaussian VAE: p(z) = N(0, I), p(x|z) = N(W z + b, σ² I), so that
/// p(x) = N(b, W Wᵀ + σ² I) and p(z|x) = N(A Wᵀ (x − b) / σ², A) with A = (I + WᵀW / σ²)⁻¹,
/// all exact. W's columns are far from orthogonal, so the true posterior is correlated (−0.72).
const PIXELS: usize = 6;
const LATENT: usize = 2;
const W: [[f64; LATENT]; PIXELS] = [
    [1.0, 0.6],
    [0.8, 0.9],
    [-0.5, -0.2],
    [0.3, 0.7],
    [0.6, 0.1],
    [-0.4, -0.8],
];
const BIAS: [f64; PIXELS] = [0.2, -0.1, 0.4, 0.0, -0.3, 0.1];
const SIGMA: f64 = 0.6;
/// Three distinct images, each of a different (and differently scaled) q.
const IMAGES: [[f64; PIXELS]; 3] = [
    [1.1, 0.7, -0.2, 0.9, 0.1, -1.0],
    [-0.9, -0.4, 0.8, -0.3, -0.8, 1.2],
    [0.4, 1.3, 0.1, 1.2, -0.6, -0.5],
];

fn w() -> Matrix {
    W.iter().map(|row| row.to_vec()).collect()
}

fn log_evidence(x: &[f64]) -> f64 {
    let w = w();
    let covariance = sum(
        &product(&w, &transpose(&w)),
        &scaled(&identity(PIXELS), SIGMA * SIGMA),
    );
    log_normal(x, &BIAS, &covariance)
}

fn true_posterior(x: &[f64]) -> (Vec<f64>, Matrix) {
    let w = w();
    let precision = sum(
        &identity(LATENT),
        &scaled(&product(&transpose(&w), &w), 1.0 / (SIGMA * SIGMA)),
    );
    let covariance = inverse(&precision);
    let mean = apply(&transpose(&w), &difference(x, &BIAS));
    let mean = apply(&covariance, &mean)
        .iter()
        .map(|m| m / (SIGMA * SIGMA))
        .collect();
    (mean, covariance)
}

/// E_q[log p(x|z)] for q = N(m, c): the decoder's mean W z + b is linear in z, so the expected
/// squared error is |x − W m − b|² + tr(W c Wᵀ).
fn expected_log_likelihood(x: &[f64], m: &[f64], c: &Matrix) -> f64 {
    let w = w();
    let residual = difference(&difference(x, &apply(&w, m)), &BIAS);
    let spread = trace(&product(&product(&w, c), &transpose(&w)));
    -0.5 * (PIXELS as f64 * (2.0 * PI * SIGMA * SIGMA).ln()
        + (inner(&residual, &residual) + spread) / (SIGMA * SIGMA))
}

/// A Gaussian q(z|x) set by hand: its mean, its Cholesky factor, and its covariance.
struct Encoding {
    mean: Vec<f64>,
    cholesky: Matrix,
}

impl Encoding {
    fn covariance(&self) -> Matrix {
        product(&self.cholesky, &transpose(&self.cholesky))
    }

    fn kl_from_prior(&self) -> f64 {
        kl_normal(
            &self.mean,
            &self.covariance(),
            &[0.0; LATENT],
            &identity(LATENT),
        )
    }

    fn elbo(&self, x: &[f64]) -> f64 {
        expected_log_likelihood(x, &self.mean, &self.covariance()) - self.kl_from_prior()
    }
}

/// Deliberately not the true posterior: the mean moved by about half a posterior standard
/// deviation, the covariance scaled by a factor of each image's own, and for the diagonal
/// family the correlation dropped. Every covariance is at least the posterior's (the diagonal
/// factors exceed 1 + 0.72), so the importance weights have every moment finite.
fn encodings(full: bool) -> Vec<Encoding> {
    let shifts = [[0.3, -0.2], [-0.25, -0.3], [0.15, 0.35]];
    let factors: [f64; 3] = if full {
        [1.2, 1.6, 2.2]
    } else {
        [1.8, 2.2, 2.8]
    };
    IMAGES
        .iter()
        .zip(shifts.iter().zip(factors))
        .map(|(x, (shift, factor))| {
            let (mean, covariance) = true_posterior(x);
            let cholesky = if full {
                cholesky(&scaled(&covariance, factor))
            } else {
                (0..LATENT)
                    .map(|i| {
                        (0..LATENT)
                            .map(|j| {
                                if i == j {
                                    (factor * covariance[i][i]).sqrt()
                                } else {
                                    0.0
                                }
                            })
                            .collect()
                    })
                    .collect()
            };
            Encoding {
                mean: mean.iter().zip(shift).map(|(m, s)| m + s).collect(),
                cholesky,
            }
        })
        .collect()
}

/// What the crate computes for `repeats` copies of the batch of three images, with `k` samples
/// of z per row: the log importance weights `[k, repeats · 3]` and the bound `[repeats · 3]`,
/// column r·3 + i being repeat r of image i; and the ELBO's terms per row.
struct Estimates {
    log_weights: Vec<f32>,
    bound: Vec<f32>,
    reconstruction: Vec<f32>,
    kl: Vec<f32>,
}

fn estimate(encodings: &[Encoding], full: bool, k: usize, repeats: usize, seed: u64) -> Estimates {
    let device = common::device();
    let batch = repeats * encodings.len();
    let per_row = |f: &dyn Fn(&Encoding) -> Vec<f32>| -> Vec<f32> {
        let one: Vec<f32> = encodings.iter().flat_map(f).collect();
        one.repeat(repeats)
    };
    let tensor2 = |values: Vec<f32>, shape: [usize; 2]| {
        Tensor::<2>::from_data(TensorData::new(values, shape), &device)
    };
    let mean = tensor2(
        per_row(&|e| e.mean.iter().map(|&v| v as f32).collect()),
        [batch, LATENT],
    );
    let log_variance = tensor2(
        per_row(&|e| {
            (0..LATENT)
                .map(|i| (2.0 * e.cholesky[i][i].ln()) as f32)
                .collect()
        }),
        [batch, LATENT],
    );
    let lower = full.then(|| {
        let values = per_row(&|e| {
            (0..LATENT * LATENT)
                .map(|n| {
                    let (i, j) = (n / LATENT, n % LATENT);
                    if j < i { e.cholesky[i][j] as f32 } else { 0.0 }
                })
                .collect()
        });
        Tensor::<3>::from_data(TensorData::new(values, [batch, LATENT, LATENT]), &device)
    });
    let posterior = Posterior {
        mean,
        log_variance,
        lower,
    };
    // ε from a generator of the test's own, so that tests running beside this one and
    // drawing from the backend's cannot change its samples.
    let mut normals = common::Normals::new(seed);
    let noise = tensor2(
        (0..k * batch * LATENT)
            .map(|_| normals.sample() as f32)
            .collect(),
        [k * batch, LATENT],
    );
    let z = reparameterize(&posterior, noise.clone());
    let w_transposed: Vec<f32> = (0..LATENT)
        .flat_map(|j| W.iter().map(move |row| row[j] as f32))
        .collect();
    let decoded = z.clone().matmul(tensor2(w_transposed, [LATENT, PIXELS]))
        + tensor2(BIAS.map(|b| b as f32).to_vec(), [1, PIXELS]);
    let images: Vec<f32> = IMAGES.iter().flatten().map(|&v| v as f32).collect();
    let targets = tensor2(images, [IMAGES.len(), PIXELS]).repeat_dim(0, k * repeats);
    let log_variance = Tensor::<1>::from_floats([(2.0 * SIGMA.ln()) as f32], &device);
    let reconstruction = gaussian_negative_log_likelihood(decoded.clone(), targets, log_variance);
    let terms = ElboTerms::new(&posterior, reconstruction.clone());
    let output = VaeOutput {
        posterior,
        noise,
        z,
        logits: decoded,
    };
    let log_weights = log_importance_weights(&output, reconstruction);
    assert_eq!(log_weights.dims(), [k, batch]);
    Estimates {
        bound: common::values(importance_weighted_bound(log_weights.clone())),
        log_weights: common::values(log_weights),
        reconstruction: common::values(terms.reconstruction),
        kl: common::values(terms.kl),
    }
}

/// Column `image` of every repeat, from values laid out `[rows, repeats · 3]`.
fn of_image(values: &[f32], image: usize) -> Vec<f64> {
    values
        .iter()
        .skip(image)
        .step_by(IMAGES.len())
        .map(|&v| v as f64)
        .collect()
}

fn check_linear_gaussian(full: bool) {
    let family = if full { "full" } else { "diagonal" };
    let encodings = encodings(full);
    // The references, in f64. The ELBO's distance from log p(x) is KL(q ‖ p(z|x)), computed
    // separately: the three closed forms must agree before anything is compared with them.
    let exact: Vec<(f64, f64, f64, f64)> = IMAGES
        .iter()
        .zip(&encodings)
        .map(|(x, e)| {
            let (post_mean, post_covariance) = true_posterior(x);
            let gap = kl_normal(&e.mean, &e.covariance(), &post_mean, &post_covariance);
            let (evidence, elbo) = (log_evidence(x), e.elbo(x));
            assert!(
                (evidence - elbo - gap).abs() < 1e-9,
                "{evidence} {elbo} {gap}"
            );
            let moment =
                weight_second_moment(&post_mean, &post_covariance, &e.mean, &e.covariance());
            (evidence, elbo, gap, moment)
        })
        .collect();

    // The ELBO: the mean of 20,000 single-sample log weights per image, within four standard
    // errors (a 1-in-15,000 chance for a correct implementation) of its closed form.
    let single = estimate(&encodings, full, 1, 20_000, full as u64);
    for (i, &(_, elbo, _, _)) in exact.iter().enumerate() {
        let (mean, error) = common::mean_and_error(&of_image(&single.log_weights, i));
        assert!(
            (mean - elbo).abs() < 4.0 * error,
            "{family} q, image {i}: mean log weight {mean} ± {error}, closed-form ELBO {elbo}"
        );
    }

    // The bound with k samples, 256 / 64 / 64 repeats per image. ELBO ≤ E[IW-k] ≤ log p(x), and
    // log p(x) − E[IW-k] = (ρ − 1) / 2k + O(1/k²) (the delta method on the log of a mean of k
    // weights, ρ = E_q[(w / p(x))²] in closed form above). Each mean must lie within four
    // standard errors of that value (at k = 4,096 about ±0.01 nats of log p(x)). The allowance
    // of a quarter of the 1/k term covers the next one, (¾(ρ − 1)² − μ₃/3) / k² with μ₃ the
    // normalised weights' third central moment: under a tenth of the first for these q at
    // k = 16, less beyond. f32 rounding of a log-sum-exp of up to 4,096 terms (about 10⁻⁴
    // nats) is below every standard error used.
    let mut previous = vec![(f64::NEG_INFINITY, 0.0); IMAGES.len()];
    for (k, repeats) in [(16, 256), (256, 64), (4096, 64)] {
        let run = estimate(&encodings, full, k, repeats, k as u64 + full as u64);
        for (i, &(evidence, elbo, gap, moment)) in exact.iter().enumerate() {
            let (mean, error) = common::mean_and_error(&of_image(&run.bound, i));
            let bias = (moment - 1.0) / (2.0 * k as f64);
            let expected = evidence - bias;
            let context = format!(
                "{family} q, image {i}, k = {k}: IW-k {mean} ± {error}, log p(x) {evidence}, \
                 ELBO {elbo}, KL(q ‖ p(z|x)) {gap}, ρ {moment}"
            );
            assert!(
                (mean - expected).abs() < 4.0 * error + 0.25 * bias,
                "{context}: expected {expected}"
            );
            assert!(mean > elbo + 4.0 * error, "above the ELBO: {context}");
            assert!(mean < evidence + 4.0 * error, "below log p(x): {context}");
            let (before, before_error) = previous[i];
            let tolerance = 4.0 * (error * error + before_error * before_error).sqrt();
            assert!(
                mean > before - tolerance,
                "no looser than with fewer samples: {context}"
            );
            previous[i] = (mean, error);
            if k == 16 {
                // The terms, averaged over 16 samples per row: the reconstruction against
                // −E_q[log p(x|z)] in closed form within four standard errors over the repeats,
                // and the KL exactly (to f32 rounding of a few nats).
                let e = &encodings[i];
                let (reconstruction, error) =
                    common::mean_and_error(&of_image(&run.reconstruction, i));
                let expected = -expected_log_likelihood(&IMAGES[i], &e.mean, &e.covariance());
                assert!(
                    (reconstruction - expected).abs() < 4.0 * error,
                    "{family} q, image {i}: reconstruction {reconstruction} ± {error} vs {expected}"
                );
                for kl in of_image(&run.kl, i) {
                    assert!(
                        (kl - e.kl_from_prior()).abs() < 1e-4,
                        "{family} q, image {i}: KL {kl} vs {}",
                        e.kl_from_prior()
                    );
                }
            }
        }
    }
}

#[test]
fn importance_weighted_bounds_of_a_linear_gaussian_vae_approach_its_exact_log_likelihood() {
    // A model whose log p(x) is known exactly (see `log_evidence`), with q(z|x) set by hand and
    // unequal across the three images, so a weight paired with the wrong image's q, sample or
    // log-determinant moves that image's estimate by far more than its standard error.
    check_linear_gaussian(false);
}

#[test]
fn importance_weighted_bounds_with_a_full_covariance_posterior() {
    // The same with a full Cholesky factor, whose log-determinant is the sum of its diagonal's
    // logs and whose off-diagonal entries must not enter it.
    check_linear_gaussian(true);
}
#[test]
fn heldout_elbo_agrees_with_the_mean_log_importance_weight() {
    // Two estimates of the same held-out ELBO on the same 1,000 digits: `evaluate`'s one
    // sampled reconstruction per digit plus the closed-form KL, and `estimate_gap`'s mean log
    // importance weight log p(x|z) + log p(z) − log q(z|x), whose KL part is sampled too. Each
    // is unbiased, so they differ only by Monte Carlo noise: both are repeated, and their means
    // must agree within four standard errors of the difference. With k = 8 a digit's eight
    // noise rows lie a chunk of digits apart (sample-major): scoring a digit against another
    // digit's z costs this trained model about 25 nats, against a standard error of a few
    // hundredths.
    let data = common::dataset();
    let config = TrainerConfig::new(VaeConfig::new().with_hidden_size(64).with_latent_size(4))
        .with_learning_rate(3e-3);
    let mut trainer = Trainer::new(config, &data, &common::device(), 53, None).unwrap();
    common::block_on(trainer.train_steps(60)).unwrap();
    let closed: Vec<f64> = (0..30)
        .map(|_| {
            common::block_on(trainer.evaluate())
                .unwrap()
                .elbo
                .negative_elbo
        })
        .collect();
    let (closed, closed_error) = common::mean_and_error(&closed);
    for (k, repeats) in [(1, 30), (8, 30)] {
        let sampled: Vec<f64> = (0..repeats)
            .map(|_| {
                let report = common::block_on(trainer.estimate_gap(k, 1000)).unwrap();
                assert_eq!((report.k, report.digits), (k, 1000));
                report.negative_elbo
            })
            .collect();
        let (sampled, error) = common::mean_and_error(&sampled);
        let tolerance = 4.0 * (closed_error.powi(2) + error.powi(2)).sqrt();
        assert!(
            (sampled - closed).abs() < tolerance,
            "k = {k}: −mean log weight {sampled} ± {error}, held-out −ELBO {closed} ± \
             {closed_error}"
        );
    }
    for k in [0, 1025] {
        assert!(
            common::block_on(trainer.estimate_gap(k, 10)).is_err(),
            "k = {k}"
        );
    }
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
fn principal_axes_are_exact_for_a_covariance_with_known_eigenvectors() {
    // The rows c ± 4·sᵢ·qᵢ, one pair for each row qᵢ of the 16 × 16 Sylvester–Hadamard matrix
    // over 4 (an orthonormal basis, no vector of it near an axis): their mean is c and their
    // covariance exactly Σ sᵢ² qᵢ qᵢᵀ, whose eigenvectors are the qᵢ with eigenvalues sᵢ².
    // Every value is a short binary fraction, so the rows, their mean and their covariance are
    // exact in f32 and f64: the answer has no sampling or rounding error, and the axes must
    // equal q₅ (s = 2) and q₃ (s = 1.5, the next spread 1.25) to f32 rounding, 10⁻⁶, up to sign.
    let d = 16;
    let q = |i: usize| -> Vec<f64> {
        (0..d)
            .map(|j| {
                if (i & j).count_ones().is_multiple_of(2) {
                    0.25
                } else {
                    -0.25
                }
            })
            .collect()
    };
    let spreads = [
        0.5, 1.0, 0.25, 1.5, 0.75, 2.0, 0.125, 1.25, 0.375, 0.625, 0.875, 1.125, 0.0625, 0.1875,
        0.3125, 0.4375,
    ];
    // A centre with a component along every qᵢ, so a wrongly centred covariance tilts the axes.
    let centre: Vec<f64> = (0..d).map(|j| ((j * 5) % 7) as f64 / 4.0 - 0.5).collect();
    let mut means = Vec::new();
    for (i, s) in spreads.iter().enumerate() {
        for sign in [1.0, -1.0] {
            let row = q(i)
                .into_iter()
                .zip(&centre)
                .map(|(q, c)| c + sign * 4.0 * s * q);
            means.extend(row.map(|v| v as f32));
        }
    }
    let [first, second] = principal_axes(&means, d);
    for (axis, expected, name) in [(&first, q(5), "PC 1"), (&second, q(3), "PC 2")] {
        let sign = dot(axis, &expected).signum();
        let worst = axis
            .iter()
            .zip(&expected)
            .map(|(&a, e)| (a as f64 - sign * e).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "{name}: {axis:?} vs ±{expected:?}");
    }
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
