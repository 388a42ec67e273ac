//! The evidence lower bound of seeds 000 and 003, per image and in nats:
//!
//! ELBO(x) = E_q(z|x)[log p(x|z)] − KL(q(z|x) ‖ p(z)),
//!
//! with a Bernoulli decoder (cross-entropy on grey levels), a diagonal Gaussian posterior and a
//! standard normal prior. What the page plots is the negative ELBO = reconstruction + KL.

use burn::prelude::*;

/// z = μ + σ·ε with σ = exp(½ log σ²): the sample is a differentiable function of μ and σ,
/// which is what lets the encoder learn through it.
///
/// # Shapes
///   - all inputs and the output: `[batch, latent]`
pub fn reparameterize(mean: Tensor<2>, log_variance: Tensor<2>, noise: Tensor<2>) -> Tensor<2> {
    mean + log_variance.mul_scalar(0.5).exp() * noise
}

/// KL(N(μ, diag σ²) ‖ N(0, I)) in closed form: ½ Σᵢ (μᵢ² + σᵢ² − 1 − log σᵢ²).
///
/// # Shapes
///   - mean, log_variance: `[batch, latent]`
///   - output: `[batch]`, nats per image
pub fn kl_divergence(mean: Tensor<2>, log_variance: Tensor<2>) -> Tensor<1> {
    let per_dimension = mean.powi_scalar(2) + log_variance.clone().exp() - log_variance - 1.0;
    per_dimension.sum_dim(1).squeeze_dim(1).mul_scalar(0.5)
}

/// −log p(x|z) for a Bernoulli decoder given its logits ℓ: the binary cross-entropy
/// Σ max(ℓ, 0) − ℓ·x + log(1 + e^−|ℓ|), which never evaluates exp of a large positive number,
/// so it stays finite at any logit. Grey levels in [0, 1] are used as soft targets.
///
/// # Shapes
///   - logits, targets: `[batch, pixels]`
///   - output: `[batch]`, nats per image
pub fn bernoulli_negative_log_likelihood(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let per_pixel = logits.clone().clamp_min(0.0) - logits.clone() * targets
        + logits.abs().neg().exp().log1p();
    per_pixel.sum_dim(1).squeeze_dim(1)
}

/// The two terms of the negative ELBO for each image of a batch.
#[derive(Debug, Clone)]
pub struct ElboTerms {
    /// −log p(x|z), one Monte Carlo sample of z per image: `[batch]`.
    pub reconstruction: Tensor<1>,
    /// KL(q(z|x) ‖ p(z)), closed form: `[batch]`.
    pub kl: Tensor<1>,
}

impl ElboTerms {
    /// Computes both terms from a forward pass.
    pub fn new(output: crate::model::VaeOutput, images: Tensor<2>) -> Self {
        Self {
            reconstruction: bernoulli_negative_log_likelihood(output.logits, images),
            kl: kl_divergence(output.posterior.mean, output.posterior.log_variance),
        }
    }

    /// Negative ELBO per image, `[batch]`.
    pub fn negative_elbo(&self) -> Tensor<1> {
        self.reconstruction.clone() + self.kl.clone()
    }

    /// The training loss: the batch mean of the negative ELBO, `[1]`.
    pub fn loss(&self) -> Tensor<1> {
        self.negative_elbo().mean()
    }
}
