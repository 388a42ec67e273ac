//! The decoder's likelihoods: −log p(x|z) per image, in nats, with every normalising constant.

use burn::prelude::*;

/// ln 2π.
const LN_2PI: f64 = 1.837_877_066_409_345_3;

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
