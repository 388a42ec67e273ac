//! The VAE of the seeds (seed 003): an MLP encoder with two heads, μ and log σ², and an MLP
//! decoder that mirrors it and returns Bernoulli logits.

use burn::nn::{LeakyRelu, LeakyReluConfig, Linear, LinearConfig};
use burn::prelude::*;

/// The decoder's distribution p(x|z).
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Likelihood {
    /// Bernoulli over each pixel's grey level: the decoder outputs logits and the
    /// reconstruction term is the binary cross-entropy.
    Bernoulli,
}

/// Architecture of the [`Vae`].
#[derive(Config, Debug, PartialEq)]
pub struct VaeConfig {
    /// Pixels per image (28 × 28 for MNIST).
    #[config(default = 784)]
    pub input_size: usize,
    /// Width of both hidden layers, in the encoder and in the decoder.
    #[config(default = 400)]
    pub hidden_size: usize,
    /// Dimension of z.
    #[config(default = 20)]
    pub latent_size: usize,
    /// Slope of LeakyReLU for negative inputs.
    #[config(default = 0.2)]
    pub negative_slope: f64,
    /// The decoder's likelihood.
    #[config(default = "Likelihood::Bernoulli")]
    pub likelihood: Likelihood,
}

impl VaeConfig {
    /// Largest latent size the page and the weights loader accept: beyond it the sliders stop
    /// being something a person can drag, and the model stops being this demo's.
    pub const MAX_LATENT_SIZE: usize = 64;
    /// Widest hidden layer accepted, so that a weights file cannot ask for gigabytes.
    pub const MAX_HIDDEN_SIZE: usize = 2048;
    /// The images are MNIST's 28 × 28.
    pub const IMAGE_PIXELS: usize = 28 * 28;

    /// Checks the sizes before any tensor is allocated, so bad input gives a message, not a panic.
    pub fn validate(&self) -> Result<(), String> {
        if self.input_size != Self::IMAGE_PIXELS {
            return Err(format!(
                "the model must take {} pixels (28 × 28), not {}",
                Self::IMAGE_PIXELS,
                self.input_size
            ));
        }
        if self.hidden_size == 0 || self.hidden_size > Self::MAX_HIDDEN_SIZE {
            return Err(format!(
                "hidden size must be between 1 and {} (got {})",
                Self::MAX_HIDDEN_SIZE,
                self.hidden_size
            ));
        }
        if self.latent_size == 0 || self.latent_size > Self::MAX_LATENT_SIZE {
            return Err(format!(
                "latent size must be between 1 and {} (got {})",
                Self::MAX_LATENT_SIZE,
                self.latent_size
            ));
        }
        if !self.negative_slope.is_finite() {
            return Err("LeakyReLU slope must be finite".into());
        }
        Ok(())
    }

    /// Returns a freshly initialised model on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        let linear = |from, to| LinearConfig::new(from, to).init(device);
        let activation = LeakyReluConfig::new()
            .with_negative_slope(self.negative_slope)
            .init();
        Vae {
            latent_size: self.latent_size,
            encoder: Encoder {
                hidden1: linear(self.input_size, self.hidden_size),
                hidden2: linear(self.hidden_size, self.hidden_size),
                mean: linear(self.hidden_size, self.latent_size),
                log_variance: linear(self.hidden_size, self.latent_size),
                activation: activation.clone(),
            },
            decoder: Decoder {
                hidden1: linear(self.latent_size, self.hidden_size),
                hidden2: linear(self.hidden_size, self.hidden_size),
                output: linear(self.hidden_size, self.input_size),
                activation,
            },
        }
    }
}

/// q(z|x) = N(μ(x), diag σ²(x)).
#[derive(Module, Debug)]
pub struct Encoder {
    hidden1: Linear,
    hidden2: Linear,
    mean: Linear,
    log_variance: Linear,
    activation: LeakyRelu,
}

/// The parameters of q(z|x) for a batch.
#[derive(Debug, Clone)]
pub struct Posterior {
    /// μ, shape `[batch, latent]`.
    pub mean: Tensor<2>,
    /// log σ², shape `[batch, latent]`.
    pub log_variance: Tensor<2>,
}

impl Encoder {
    /// # Shapes
    ///   - images: `[batch, input]`, grey levels in `[0, 1]`
    ///   - output: μ and log σ², each `[batch, latent]`
    pub fn forward(&self, images: Tensor<2>) -> Posterior {
        let h = self.activation.forward(self.hidden1.forward(images));
        let h = self.activation.forward(self.hidden2.forward(h));
        Posterior {
            mean: self.mean.forward(h.clone()),
            log_variance: self.log_variance.forward(h),
        }
    }
}

/// p(x|z) = Bernoulli(sigmoid(logits(z))).
#[derive(Module, Debug)]
pub struct Decoder {
    hidden1: Linear,
    hidden2: Linear,
    output: Linear,
    activation: LeakyRelu,
}

impl Decoder {
    /// # Shapes
    ///   - z: `[batch, latent]`
    ///   - output: Bernoulli logits `[batch, input]`
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let h = self.activation.forward(self.hidden1.forward(z));
        let h = self.activation.forward(self.hidden2.forward(h));
        self.output.forward(h)
    }
}

#[derive(Module, Debug)]
pub struct Vae {
    pub encoder: Encoder,
    pub decoder: Decoder,
    latent_size: usize,
}

/// Everything the ELBO needs from one pass over a batch.
#[derive(Debug, Clone)]
pub struct VaeOutput {
    pub posterior: Posterior,
    /// Bernoulli logits of p(x|z) for the sampled z, `[batch, input]`.
    pub logits: Tensor<2>,
}

impl Vae {
    /// Dimension of z.
    pub fn latent_size(&self) -> usize {
        self.latent_size
    }

    /// Encodes, draws z = μ + σ·ε with the given noise, and decodes.
    ///
    /// # Shapes
    ///   - images: `[batch, input]`
    ///   - noise ε ~ N(0, I): `[batch, latent]`
    ///   - output: posterior `[batch, latent]` twice, logits `[batch, input]`
    pub fn forward(&self, images: Tensor<2>, noise: Tensor<2>) -> VaeOutput {
        let posterior = self.encoder.forward(images);
        let z = crate::elbo::reparameterize(
            posterior.mean.clone(),
            posterior.log_variance.clone(),
            noise,
        );
        VaeOutput {
            logits: self.decoder.forward(z),
            posterior,
        }
    }

    /// Decodes latent points to pixel probabilities.
    ///
    /// # Shapes
    ///   - z: `[batch, latent]`
    ///   - output: `[batch, input]`, each in `[0, 1]`
    pub fn decode_probabilities(&self, z: Tensor<2>) -> Tensor<2> {
        burn::tensor::activation::sigmoid(self.decoder.forward(z))
    }

    /// Encodes and decodes through the posterior mean (no sampling): what the page shows as the
    /// reconstruction of a drawing.
    ///
    /// # Shapes
    ///   - images: `[batch, input]`
    ///   - output: μ `[batch, latent]` and probabilities `[batch, input]`
    pub fn reconstruct(&self, images: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let mean = self.encoder.forward(images).mean;
        (mean.clone(), self.decode_probabilities(mean))
    }
}
