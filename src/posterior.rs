//! The encoder's distribution q(z|x) = N(μ, L Lᵀ): its parameters for a batch, a sample of z
//! drawn from it as a differentiable function of them (the reparameterisation trick), and its
//! KL divergence from the prior p(z) = N(0, I) in closed form.

use burn::prelude::*;

/// The parameters of q(z|x) for a batch.
#[derive(Debug, Clone)]
pub struct Posterior {
    /// μ, `[batch, latent]`.
    pub mean: Tensor<2>,
    /// log σ², the log of L's squared diagonal, `[batch, latent]`.
    pub log_variance: Tensor<2>,
    /// Full covariance only: the strictly lower-triangular part of L, `[batch, latent, latent]`.
    pub lower: Option<Tensor<3>>,
}

impl Posterior {
    /// A diagonal posterior.
    pub fn diagonal(mean: Tensor<2>, log_variance: Tensor<2>) -> Self {
        Self {
            mean,
            log_variance,
            lower: None,
        }
    }

    pub fn batch_size(&self) -> usize {
        self.mean.dims()[0]
    }

    pub fn latent_size(&self) -> usize {
        self.mean.dims()[1]
    }

    /// The Cholesky factor L = diag(σ) + lower, `[batch, latent, latent]`, so Σ = L Lᵀ.
    pub fn cholesky(&self) -> Tensor<3> {
        let [batch, latent] = self.mean.dims();
        let sigma = self.log_variance.clone().mul_scalar(0.5).exp();
        let eye = Tensor::<2>::eye(latent, &self.mean.device()).unsqueeze_dim::<3>(0);
        let diagonal = sigma.reshape([batch, latent, 1]) * eye;
        match &self.lower {
            Some(lower) => diagonal + lower.clone(),
            None => diagonal,
        }
    }
}

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
            mean + repeat_samples(
                posterior.log_variance.clone().mul_scalar(0.5).exp(),
                samples,
            ) * noise
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
