//! The evidence lower bound, per image and in nats:
//!
//! ELBO(x) = E_q(z|x)[log p(x|z)] − KL(q(z|x) ‖ p(z)),
//!
//! the expectation estimated with S samples z = μ + L ε (the reparameterisation trick), the KL in
//! closed form, and the prior p(z) = N(0, I). What the page plots is the negative ELBO =
//! reconstruction + KL, and beside it the importance-weighted bound on log p(x), whose distance
//! from the ELBO is the gap KL(q(z|x) ‖ p(z|x)) (Burda et al., 2015).

use burn::prelude::*;

use crate::model::{Posterior, VaeOutput};

const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// z = μ + L ε, one row per row of the noise: the sample is a differentiable function of the
/// encoder's outputs, which is what lets the encoder learn through it.
///
/// # Shapes
///   - posterior: `[batch, latent]` (and `[batch, latent, latent]`)
///   - noise ε: `[samples · batch, latent]`, sample-major
///   - output: `[samples · batch, latent]`
pub fn reparameterize(posterior: &Posterior, noise: Tensor<2>) -> Tensor<2> {
    let [rows, latent] = noise.dims();
    let samples = rows / posterior.batch_size();
    let mean = repeat_samples(posterior.mean.clone(), samples);
    match &posterior.lower {
        // Diagonal: L ε is σ ⊙ ε, no matrix product needed.
        None => {
            mean + repeat_samples(posterior.log_variance.clone().mul_scalar(0.5).exp(), samples)
                * noise
        }
        Some(_) => {
            let cholesky = repeat_samples(posterior.cholesky(), samples);
            let scaled = cholesky.matmul(noise.reshape([rows, latent, 1]));
            mean + scaled.reshape([rows, latent])
        }
    }
}

/// `samples` copies of a batch, sample-major, as the rows of the noise are: `[samples · batch, …]`.
/// One sample (the default) is the batch itself: on a GPU a repeat is a copy kernel forward and a
/// reduction backward even for one copy.
pub fn repeat_samples<const D: usize>(batch: Tensor<D>, samples: usize) -> Tensor<D> {
    if samples == 1 {
        batch
    } else {
        batch.repeat_dim(0, samples)
    }
}

/// KL(N(μ, Σ) ‖ N(0, I)) in closed form: ½ (tr Σ + μᵀμ − d − log det Σ), with Σ = L Lᵀ, so
/// tr Σ is the sum of L's squared entries and log det Σ = Σᵢ log σᵢ². For a diagonal posterior
/// this is ½ Σᵢ (μᵢ² + σᵢ² − 1 − log σᵢ²).
///
/// # Shapes
///   - output: `[batch]`, nats per image
pub fn kl_divergence(posterior: &Posterior) -> Tensor<1> {
    let log_variance = posterior.log_variance.clone();
    let mut per_dimension =
        posterior.mean.clone().square() + log_variance.clone().exp() - log_variance - 1.0;
    if let Some(lower) = &posterior.lower {
        let [batch, latent, _] = lower.dims();
        per_dimension = per_dimension + lower.clone().square().sum_dim(2).reshape([batch, latent]);
    }
    // Halved before the sum, where the GPU's fused elementwise kernel does it, not after it in a
    // kernel of its own.
    per_dimension.mul_scalar(0.5).sum_dim(1).squeeze_dim(1)
}

/// −log p(x|z) for a Bernoulli decoder given its logits ℓ: the binary cross-entropy
/// Σ max(ℓ, 0) − ℓ·x + log(1 + e^−|ℓ|), which never evaluates exp of a large positive number,
/// so it stays finite at any logit. Grey levels in [0, 1] are used as soft targets.
///
/// # Shapes
///   - logits, targets: `[batch, pixels]`
///   - output: `[batch]`, nats per image
pub fn bernoulli_negative_log_likelihood(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let per_pixel =
        logits.clone().clamp_min(0.0) - logits.clone() * targets + logits.abs().neg().exp().log1p();
    per_pixel.sum_dim(1).squeeze_dim(1)
}

/// −log N(x; m, σ²) summed over pixels: Σ ½ (log 2π + log σ² + (x − m)² / σ²). With the constant
/// it is the density's true negative log, so a σ that is learned cannot shrink for free.
///
/// # Shapes
///   - mean, targets: `[batch, pixels]`
///   - log_variance: `[1]`, shared by every pixel
///   - output: `[batch]`, nats per image
pub fn gaussian_negative_log_likelihood(
    mean: Tensor<2>,
    targets: Tensor<2>,
    log_variance: Tensor<1>,
) -> Tensor<1> {
    let [_, pixels] = mean.dims();
    let squared = (targets - mean).square().sum_dim(1).squeeze_dim::<1>(1);
    let inverse_variance = log_variance.clone().neg().exp();
    let constant = (log_variance + LN_2PI).mul_scalar(0.5 * pixels as f64);
    squared * inverse_variance.mul_scalar(0.5) + constant
}

/// The two terms of the negative ELBO for each image of a batch.
#[derive(Debug, Clone)]
pub struct ElboTerms {
    /// −log p(x|z) averaged over the S samples of z: `[batch]`.
    pub reconstruction: Tensor<1>,
    /// KL(q(z|x) ‖ p(z)), closed form: `[batch]`.
    pub kl: Tensor<1>,
}

impl ElboTerms {
    /// Both terms from a forward pass; `reconstruction` is −log p(x|z) for each sampled z,
    /// `[samples · batch]`, sample-major.
    pub fn new(posterior: &Posterior, reconstruction: Tensor<1>) -> Self {
        let batch = posterior.batch_size();
        let [rows] = reconstruction.dims();
        let reconstruction = if rows == batch {
            reconstruction
        } else {
            reconstruction
                .reshape([rows / batch, batch])
                .mean_dim(0)
                .squeeze_dim(0)
        };
        Self {
            reconstruction,
            kl: kl_divergence(posterior),
        }
    }

    /// Negative ELBO per image, `[batch]`.
    pub fn negative_elbo(&self) -> Tensor<1> {
        self.reconstruction.clone() + self.kl.clone()
    }

    /// The training objective: the batch mean of reconstruction + β·KL, `[1]`. With β = 1 it is
    /// the negative ELBO; a smaller β (or a KL warm-up) weighs the prior less.
    pub fn loss(&self, beta: f64) -> Tensor<1> {
        let [batch] = self.kl.dims();
        let kl = if beta == 1.0 {
            self.kl.clone()
        } else {
            self.kl.clone().mul_scalar(beta)
        };
        // The mean as a sum of pre-scaled terms: the scaling fuses into the elementwise kernel
        // before the reduction (a `mean` divides in a kernel of its own after it).
        (self.reconstruction.clone() + kl)
            .mul_scalar(1.0 / batch as f64)
            .sum()
    }
}

/// log p(x, z) − log q(z|x) for each sample: the log importance weights. With z = μ + L ε,
/// log q(z|x) = log N(ε; 0, I) − log |det L|, so it needs ε, not Σ⁻¹.
///
/// # Shapes
///   - reconstruction: −log p(x|z) per row, `[samples · batch]`
///   - output: `[samples, batch]`
pub fn log_importance_weights(output: &VaeOutput, reconstruction: Tensor<1>) -> Tensor<2> {
    let batch = output.posterior.batch_size();
    let [rows] = reconstruction.dims();
    let samples = rows / batch;
    let squared_norm = |t: Tensor<2>| t.square().sum_dim(1).squeeze_dim::<1>(1);
    // The log 2π terms of p(z) and q(z|x) cancel.
    let log_prior = squared_norm(output.z.clone()).mul_scalar(-0.5);
    let log_det = output
        .posterior
        .log_variance
        .clone()
        .sum_dim(1)
        .squeeze_dim::<1>(1)
        .mul_scalar(0.5);
    let log_det = repeat_samples(log_det, samples);
    let log_posterior = squared_norm(output.noise.clone()).mul_scalar(-0.5) - log_det;
    (log_prior - log_posterior - reconstruction).reshape([samples, batch])
}

/// The importance-weighted bound log (1/k) Σᵢ wᵢ per image, from log weights `[k, batch]`:
/// ELBO ≤ IW-k ≤ IW-k′ ≤ log p(x) for k ≤ k′ (in expectation), computed stably by subtracting
/// the largest weight first.
///
/// # Shapes
///   - output: `[batch]`
pub fn importance_weighted_bound(log_weights: Tensor<2>) -> Tensor<1> {
    let [samples, _] = log_weights.dims();
    let max = log_weights.clone().max_dim(0).detach();
    let sum = (log_weights - max.clone()).exp().sum_dim(0);
    (max + sum.log())
        .squeeze_dim::<1>(0)
        .sub_scalar((samples as f64).ln())
}
