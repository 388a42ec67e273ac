//! The decoder's likelihoods: −log p(x|z) per image, in nats. The continuous Bernoulli and the
//! Gaussians are densities with every normalising constant; the Bernoulli is a probability of
//! binary pixels, which on grey levels becomes a cross-entropy and no longer a density.

use burn::prelude::*;

/// ln 2π.
const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// −log p(x|z) for a Bernoulli decoder given its logits ℓ: the binary cross-entropy
/// Σ max(ℓ, 0) − ℓ·x + log(1 + e^−|ℓ|), which never evaluates exp of a large positive number,
/// so it stays finite at any logit. On binary x it is −log of a probability; on grey levels it is
/// E_b[−log p(b|z)] for b ~ Bernoulli(x) pixel by pixel, the score of a randomly binarised digit,
/// and not the log of any density on [0, 1].
///
/// # Shapes
///   - logits, targets: `[batch, pixels]`
///   - output: `[batch]`, nats per image
pub fn bernoulli_negative_log_likelihood(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    bernoulli_cross_entropy(logits, targets)
        .sum_dim(1)
        .squeeze_dim(1)
}

/// The cross-entropy of each pixel, softplus(ℓ) − ℓ·x: the Bernoulli's −log p and the first term
/// of the continuous Bernoulli's.
fn bernoulli_cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<2> {
    softplus(logits.clone()) - logits * targets
}

/// log(1 + e^t) as max(t, 0) + log(1 + e^−|t|), which never evaluates exp of a large positive
/// number.
fn softplus<const D: usize>(t: Tensor<D>) -> Tensor<D> {
    t.clone().clamp_min(0.0) + t.abs().neg().exp().log1p()
}

/// −log p(x|λ) for the continuous Bernoulli (Loaiza-Ganem & Cunningham, 2019), the normalised
/// density C(λ) λˣ (1 − λ)¹⁻ˣ on x ∈ [0, 1], given logits ℓ = logit λ: the binary cross-entropy
/// minus log C. In ℓ, C = ℓ / tanh(ℓ/2), even in ℓ, so log C = log|ℓ| − log tanh(|ℓ|/2), which
/// cancels catastrophically near ℓ = 0 (where C → 2); for |ℓ| < 0.1 it is the Taylor series
/// log 2 + ℓ²/12 − 7ℓ⁴/1440 instead (the next term is below 10⁻¹⁰). Each branch sees its input
/// clamped to its own side, so the branch not taken never makes the NaN that its zero gradient
/// would still multiply. A density on [0, 1] can exceed 1: the −log may be negative.
///
/// # Shapes
///   - logits, targets: `[batch, pixels]`, targets in [0, 1]
///   - output: `[batch]`, nats per image
pub fn continuous_bernoulli_negative_log_likelihood(
    logits: Tensor<2>,
    targets: Tensor<2>,
) -> Tensor<1> {
    let magnitude = logits.clone().abs();
    let far = magnitude.clone().clamp_min(SERIES_BELOW);
    let exact = far.clone().log() - far.mul_scalar(0.5).tanh().log();
    let l2 = logits.clone().clamp(-SERIES_BELOW, SERIES_BELOW).square();
    let series = (l2.clone() * l2.mul_scalar(-7.0 / 1440.0).add_scalar(1.0 / 12.0))
        .add_scalar(std::f64::consts::LN_2);
    let log_normaliser = exact.mask_where(magnitude.lower_elem(SERIES_BELOW), series);
    (bernoulli_cross_entropy(logits, targets) - log_normaliser)
        .sum_dim(1)
        .squeeze_dim(1)
}

/// The mean of a continuous Bernoulli with logits ℓ, E[x] = ½ + ½ coth(ℓ/2) − 1/ℓ, which is not
/// λ = sigmoid(ℓ) but pulled towards ½; for |ℓ| < 0.1, where that form cancels, its series
/// ½ + ℓ/12 − ℓ³/720.
///
/// # Shapes
///   - logits, output: `[batch, pixels]`
pub fn continuous_bernoulli_mean(logits: Tensor<2>) -> Tensor<2> {
    let near_zero = logits.clone().abs().lower_elem(SERIES_BELOW);
    let far = logits.clone().mask_fill(near_zero.clone(), SERIES_BELOW);
    let exact = far
        .clone()
        .mul_scalar(0.5)
        .tanh()
        .recip()
        .mul_scalar(0.5)
        .add_scalar(0.5)
        - far.recip();
    let near = logits.clamp(-SERIES_BELOW, SERIES_BELOW);
    let series = (near.clone()
        * near
            .square()
            .mul_scalar(-1.0 / 720.0)
            .add_scalar(1.0 / 12.0))
    .add_scalar(0.5);
    exact.mask_where(near_zero, series)
}

/// Below this |ℓ| the continuous Bernoulli's normaliser and mean use their Taylor series.
const SERIES_BELOW: f64 = 0.1;

/// A log-variance bounded smoothly to ±[`LOG_VARIANCE_BOUND`]:
/// v − softplus(v − b) + softplus(−v − b). It differs from v by less than e^(|v| − b) (2·10⁻³
/// at −8.7, the lowest log σ² of the shipped encoders before the bound), and its slope
/// 1 − σ(v − b) − σ(−v − b) stays above 0 in f32 out to about ±30, so a unit pushed past the
/// bound can come back (a hard clamp's slope is 0 from ±15). Unbounded, e^v overflows f32 past
/// v ≈ 88.7, and one such unit turns the whole loss to NaN.
pub fn bound_log_variance<const D: usize>(v: Tensor<D>) -> Tensor<D> {
    let b = LOG_VARIANCE_BOUND;
    v.clone() - softplus(v.clone().sub_scalar(b)) + softplus(v.neg().sub_scalar(b))
}

/// Where [`bound_log_variance`] levels off: σ² within [3·10⁻⁷, 3·10⁶].
pub const LOG_VARIANCE_BOUND: f64 = 15.0;

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
