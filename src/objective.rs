//! What training optimises and evaluation reports: the evidence lower bound, per image and in
//! nats, how it is weighted during training ([`Objective`]), and the importance-weighted bound.
//!
//! ELBO(x) = E_q(z|x)[log p(x|z)] − KL(q(z|x) ‖ p(z)),
//!
//! the expectation estimated with S samples z = μ + L ε (the reparameterisation trick), the KL in
//! closed form, and the prior p(z) = N(0, I). What the page plots is the negative ELBO =
//! reconstruction + KL, and beside it the importance-weighted bound on log p(x), whose distance
//! from the ELBO is the gap KL(q(z|x) ‖ p(z|x)) (Burda et al., 2015).

use burn::prelude::*;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};

use crate::model::{Vae, VaeOutput};
use crate::posterior::{Posterior, kl_divergence, repeat_samples};

/// How the ELBO is estimated and weighted during training.
#[derive(Config, Debug, PartialEq)]
pub struct Objective {
    /// Monte Carlo samples of z per image (L in Kingma & Welling, 2014).
    #[config(default = 1)]
    pub samples: usize,
    /// Weight of the KL term: 1 is the ELBO; above 1 presses q(z|x) towards the prior (β-VAE),
    /// which can collapse the posterior.
    #[config(default = 1.0)]
    pub beta: f64,
    /// The KL weight grows linearly from 0 to β over this many steps (0: no warm-up).
    #[config(default = 0)]
    pub warmup_steps: u64,
}

impl Objective {
    pub const MAX_SAMPLES: usize = 16;
    pub const MAX_BETA: f64 = 100.0;
    pub const MAX_WARMUP_STEPS: u64 = 1_000_000;

    pub fn validate(&self) -> Result<(), String> {
        if self.samples == 0 || self.samples > Self::MAX_SAMPLES {
            return Err(format!(
                "samples of z per image must be between 1 and {} (got {})",
                Self::MAX_SAMPLES,
                self.samples
            ));
        }
        if !(self.beta >= 0.0 && self.beta <= Self::MAX_BETA) {
            return Err(format!(
                "β must be between 0 and {} (got {})",
                Self::MAX_BETA,
                self.beta
            ));
        }
        if self.warmup_steps > Self::MAX_WARMUP_STEPS {
            return Err(format!(
                "KL warm-up must be at most {} steps (got {})",
                Self::MAX_WARMUP_STEPS,
                self.warmup_steps
            ));
        }
        Ok(())
    }

    /// The KL weight at a step: β·min(1, step / warm-up).
    pub fn kl_weight(&self, step: u64) -> f64 {
        if self.warmup_steps == 0 {
            self.beta
        } else {
            self.beta * (step as f64 / self.warmup_steps as f64).min(1.0)
        }
    }
}

/// Per-image figures in nats, averaged over some images.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElboStats {
    /// −E_q[log p(x|z)].
    pub reconstruction: f64,
    /// KL(q(z|x) ‖ p(z)).
    pub kl: f64,
    /// reconstruction + KL.
    pub negative_elbo: f64,
}

impl ElboStats {
    pub fn new(reconstruction: f64, kl: f64) -> Self {
        Self {
            reconstruction,
            kl,
            negative_elbo: reconstruction + kl,
        }
    }

    pub fn is_finite(&self) -> bool {
        self.reconstruction.is_finite() && self.kl.is_finite()
    }
}

/// The ELBO's terms for a batch with `samples` draws of z per image.
pub fn elbo_terms(model: &Vae, images: Tensor<2>, samples: usize, device: &Device) -> ElboTerms {
    let [batch, _] = images.dims();
    let noise = Tensor::random(
        [samples * batch, model.latent_size()],
        Distribution::Normal(0.0, 1.0),
        device,
    );
    let output = model.forward(images.clone(), noise);
    let reconstruction = model
        .decoder
        .negative_log_likelihood(output.logits, repeat_samples(images, samples));
    ElboTerms::new(&output.posterior, reconstruction)
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
