//! Measuring a model on held-out digits: the ELBO and its terms, the encoder's means (for the
//! latent map), active units (posterior collapse), and the gap between the ELBO and an
//! importance-weighted estimate of log p(x).

use burn::prelude::*;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};

use crate::data::PixelValues;
use crate::device::{read_concatenated, read_scalars};
use crate::model::{Likelihood, Vae};
use crate::objective::{
    ElboStats, ElboTerms, elbo_terms, importance_weighted_bound, log_importance_weights,
};
use crate::posterior::{reparameterize, repeat_samples};

/// A latent unit is active when the variance over the data of its posterior mean E_q[zᵢ]
/// exceeds this (Burda et al.'s criterion): below it, the mean is nearly the same for every
/// digit. The criterion looks at the means only: whether q(zᵢ|x) has also collapsed onto the
/// prior is what the unit's KL says.
pub const ACTIVE_UNIT_THRESHOLD: f64 = 0.01;

/// What a model's −ELBO and −IW-k are, which depends on its likelihood and its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureMeaning {
    /// Upper bounds on −log p(x), p a normalised probability (binarised digits under a
    /// Bernoulli) or density (grey levels or binary ones under a continuous Bernoulli or a
    /// Gaussian), so a density's may be negative.
    NegativeLogLikelihood,
    /// A Bernoulli decoder scored on grey levels: its cross-entropy is E_b[−log p(b|z)] for b a
    /// random binarisation of the digit, so the figures are upper bounds on the expected
    /// −log p(b) of a randomly binarised digit, and not on −log of any density of x.
    BinarisedExpectation,
}

impl FigureMeaning {
    pub fn of(likelihood: Likelihood, pixels: PixelValues) -> Self {
        match (likelihood, pixels) {
            (Likelihood::Bernoulli, PixelValues::GreyLevels) => Self::BinarisedExpectation,
            _ => Self::NegativeLogLikelihood,
        }
    }

    /// One sentence for a person, as the command line prints it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NegativeLogLikelihood => {
                "−ELBO ≥ −IW-k ≥ −log p(x) in expectation over z: upper bounds on the true \
                 negative log-likelihood"
            }
            Self::BinarisedExpectation => {
                "a Bernoulli decoder on grey levels: −ELBO and −IW-k bound the expected \
                 −log-likelihood of a randomly binarised digit from above; they are not a density"
            }
        }
    }
}

/// What one held-out evaluation reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldoutReport {
    /// Mean over the digits, one sample of z per digit.
    pub elbo: ElboStats,
    /// Variance over the digits of each μᵢ.
    pub unit_variances: Vec<f64>,
    /// How many of those exceed [`ACTIVE_UNIT_THRESHOLD`].
    pub active_units: usize,
    /// Every digit's μ, `digits × latent`, row-major.
    pub means: Vec<f32>,
    /// The means' two principal directions (unit vectors of `latent` values), for the latent
    /// map's PC axes.
    pub principal_axes: [Vec<f32>; 2],
    /// The first few held-out digits beside their reconstructions; the page's wasm surface
    /// hands it over as typed arrays, not through serde.
    #[serde(skip)]
    pub reconstructions: Reconstructions,
}

/// Held-out digits beside what the model makes of them, each `count × 784` values in `[0, 1]`,
/// row-major: what every VAE tutorial shows first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reconstructions {
    pub count: usize,
    /// The digits as scored (binarised once when the data is).
    pub inputs: Vec<f32>,
    /// The decoder's mean at z = μ, the posterior mean.
    pub at_mean: Vec<f32>,
    /// The decoder's mean at one z drawn from q(z|x).
    pub at_sample: Vec<f32>,
}

/// Held-out digits shown beside their reconstructions.
pub const RECONSTRUCTED_DIGITS: usize = 12;

/// The ELBO against the importance-weighted bound on the same digits and samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GapReport {
    /// Importance samples per digit.
    pub k: usize,
    /// Digits averaged over.
    pub digits: usize,
    /// −ELBO, estimated with the same k samples (the mean of the log weights).
    pub negative_elbo: f64,
    /// −IW-k: an upper bound that tightens as k grows, on −log p(x) or on the expected −log p of
    /// a randomly binarised digit, as [`FigureMeaning`] says.
    pub negative_iw_bound: f64,
    /// −ELBO − (−IW-k) ≥ 0: how much of the ELBO's distance from log p(x) the extra samples
    /// recover, a lower bound on E[KL(q(z|x) ‖ p(z|x))].
    pub gap: f64,
}

/// Images per chunk, so activations stay small on any backend.
const CHUNK: usize = 500;

/// The held-out report for `images` (`[n, 784]`, on the model's device).
pub async fn evaluate(model: &Vae, images: &Tensor<2>) -> Result<HeldoutReport, String> {
    let [count, _] = images.dims();
    if count == 0 {
        return Err("no images to evaluate".into());
    }
    let device = images.device();
    let mut sums: Option<(Tensor<1>, Tensor<1>)> = None;
    let mut means = Vec::new();
    for start in (0..count).step_by(CHUNK) {
        let chunk = images.clone().narrow(0, start, CHUNK.min(count - start));
        let terms: ElboTerms = elbo_terms(model, chunk.clone(), 1, &device);
        means.push(model.encoder.forward(chunk).mean);
        let (r, k) = (terms.reconstruction.sum(), terms.kl.sum());
        sums = Some(match sums {
            Some((rs, ks)) => (rs + r, ks + k),
            None => (r, k),
        });
    }
    let (reconstruction, kl) = sums.expect("at least one chunk");
    let latent = model.latent_size();
    let shown = RECONSTRUCTED_DIGITS.min(count);
    let inputs = images.clone().narrow(0, 0, shown);
    let posterior = model.encoder.forward(inputs.clone());
    let noise = Tensor::random([shown, latent], Distribution::Normal(0.0, 1.0), &device);
    let at_sample = model.decode_mean(reparameterize(&posterior, noise));
    let at_mean = model.decode_mean(posterior.mean);
    let [_, pixels] = inputs.dims();
    // The two sums, every mean and the reconstructions in one readback.
    let figures = read_concatenated(
        vec![
            reconstruction,
            kl,
            Tensor::cat(means, 0).reshape([count * latent]),
            Tensor::cat(vec![inputs, at_mean, at_sample], 0).reshape([3 * shown * pixels]),
        ],
        "the evaluation",
    )
    .await?;
    let [reconstruction, kl] = [figures[0] as f64, figures[1] as f64];
    let (means, shown_figures) = figures[2..].split_at(count * latent);
    let means = means.to_vec();
    let part = |i: usize| shown_figures[i * shown * pixels..(i + 1) * shown * pixels].to_vec();
    let reconstructions = Reconstructions {
        count: shown,
        inputs: part(0),
        at_mean: part(1),
        at_sample: part(2),
    };
    let unit_variances = unit_variances(&means, latent);
    let principal_axes = principal_axes(&means, latent);
    Ok(HeldoutReport {
        elbo: ElboStats::new(reconstruction / count as f64, kl / count as f64),
        active_units: active_units(&unit_variances),
        unit_variances,
        means,
        principal_axes,
        reconstructions,
    })
}

/// Variance over the rows of each column of a row-major `rows × latent` matrix.
pub fn unit_variances(means: &[f32], latent: usize) -> Vec<f64> {
    let rows = (means.len() / latent.max(1)) as f64;
    (0..latent)
        .map(|i| {
            let column = means[i..].iter().step_by(latent).map(|&v| v as f64);
            let mean = column.clone().sum::<f64>() / rows;
            column.map(|v| (v - mean).powi(2)).sum::<f64>() / rows
        })
        .collect()
}

/// The top two eigenvectors of the covariance over the rows of a row-major `rows × latent`
/// matrix, by cyclic Jacobi rotations: exact, and unlike power iteration not slowed by close
/// eigenvalues. 1,000 × 64 means take about 11 ms in wasm (Node 22; burn-linalg's SVD of the
/// same covariance took 14), once per held-out report, in the worker. Each axis is a unit vector
/// whose largest component is positive. With one dimension the second axis is zero, and with
/// non-finite values the axes are the first two dimensions.
pub fn principal_axes(means: &[f32], latent: usize) -> [Vec<f32>; 2] {
    let d = latent;
    let unit = |i: usize| {
        (0..d)
            .map(|j| if i == j { 1.0 } else { 0.0 })
            .collect::<Vec<f32>>()
    };
    let rows = means.len() / d.max(1);
    if d == 0 || rows == 0 || !means.iter().all(|v| v.is_finite()) {
        return [unit(0), unit(1)];
    }
    let mut centre = vec![0.0f64; d];
    for row in means.chunks_exact(d) {
        for (c, &v) in centre.iter_mut().zip(row) {
            *c += v as f64 / rows as f64;
        }
    }
    // The covariance `a`, symmetric, and `v`, the rotations applied so far (eigenvectors in
    // its columns once `a` is diagonal).
    let mut a = vec![0.0f64; d * d];
    let mut centred = vec![0.0f64; d];
    for row in means.chunks_exact(d) {
        for ((x, &v), c) in centred.iter_mut().zip(row).zip(&centre) {
            *x = v as f64 - c;
        }
        for i in 0..d {
            for j in i..d {
                a[i * d + j] += centred[i] * centred[j];
            }
        }
    }
    for i in 0..d {
        for j in i..d {
            a[i * d + j] /= rows as f64;
            a[j * d + i] = a[i * d + j];
        }
    }
    let mut v: Vec<f64> = (0..d * d)
        .map(|k| if k / d == k % d { 1.0 } else { 0.0 })
        .collect();
    let scale: f64 = (0..d)
        .map(|i| a[i * d + i])
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    for _sweep in 0..50 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j] * a[i * d + j])
            .sum();
        if off <= (1e-24 * scale * scale) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                // The rotation by θ in the (p, q) plane that zeroes a[p][q].
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| a[j * d + j].total_cmp(&a[i * d + i]));
    let axis = |rank: usize| match order.get(rank) {
        None => vec![0.0; d],
        Some(&column) => {
            let mut axis: Vec<f64> = (0..d).map(|k| v[k * d + column]).collect();
            let largest = axis
                .iter()
                .copied()
                .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
            if largest < 0.0 {
                axis.iter_mut().for_each(|x| *x = -*x);
            }
            axis.into_iter().map(|x| x as f32).collect()
        }
    };
    [axis(0), axis(1)]
}

/// How many units have a variance of E_q[zᵢ] over the data above [`ACTIVE_UNIT_THRESHOLD`].
pub fn active_units(unit_variances: &[f64]) -> usize {
    unit_variances
        .iter()
        .filter(|&&v| v > ACTIVE_UNIT_THRESHOLD)
        .count()
}

/// The importance-weighted bound with `k` samples per image against the ELBO estimated from the
/// same samples, averaged over `images`.
pub async fn estimate_gap(model: &Vae, images: &Tensor<2>, k: usize) -> Result<GapReport, String> {
    const MAX_K: usize = 1024;
    if k == 0 || k > MAX_K {
        return Err(format!(
            "importance samples must be between 1 and {MAX_K} (got {k})"
        ));
    }
    let [count, _] = images.dims();
    let device = images.device();
    // About 4,096 decoded images per chunk whatever k is.
    let per_chunk = (4096 / k).max(1);
    let mut sums: Option<(Tensor<1>, Tensor<1>)> = None;
    for start in (0..count).step_by(per_chunk) {
        let chunk = images
            .clone()
            .narrow(0, start, per_chunk.min(count - start));
        let [rows, _] = chunk.dims();
        let noise = Tensor::random(
            [k * rows, model.latent_size()],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let output = model.forward(chunk.clone(), noise);
        let reconstruction = model
            .decoder
            .negative_log_likelihood(output.logits.clone(), repeat_samples(chunk, k));
        let log_weights = log_importance_weights(&output, reconstruction);
        let elbo = log_weights.clone().mean_dim(0).squeeze_dim::<1>(0).sum();
        let bound = importance_weighted_bound(log_weights).sum();
        sums = Some(match sums {
            Some((e, b)) => (e + elbo, b + bound),
            None => (elbo, bound),
        });
    }
    let (elbo, bound) = sums.ok_or("no images to evaluate")?;
    let [elbo, bound] = read_scalars([elbo, bound]).await?;
    let (negative_elbo, negative_iw_bound) = (-elbo / count as f64, -bound / count as f64);
    Ok(GapReport {
        k,
        digits: count,
        negative_elbo,
        negative_iw_bound,
        gap: negative_elbo - negative_iw_bound,
    })
}
