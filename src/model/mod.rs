//! The VAE (Kingma & Welling, 2014). The encoder gives the parameters of q(z|x), a Gaussian with diagonal
//! or full (Cholesky) covariance; the decoder gives the parameters of p(x|z), Bernoulli or
//! Gaussian. Both bodies are an MLP (784→400→400, LeakyReLU 0.2) or a small CNN.

use burn::nn::{Initializer, LeakyRelu, LeakyReluConfig, Linear, LinearConfig};
use burn::prelude::*;

use crate::device::{pool_threads, runs_on_gpu};
use crate::likelihood::continuous_bernoulli_mean;
use crate::posterior::{Posterior, reparameterize};

/// A dense layer with Glorot-uniform weights, U(±√(6 / (fan-in + fan-out))), and zero biases.
/// burn's default, U(±1/√fan-in) for both, shrinks the signal's variance by about 0.17 a layer:
/// at the start μ varies across digits by about 0.02 against ε's 1, z carries next to nothing
/// and the first ten epochs are spent building the encoder's scale. Measured with
/// `bench/parity.py` (BENCHMARKS.md): held-out −ELBO 134.9 against 128.5 after 5 epochs, 119.8
/// against 116.8 after 10.
fn new_linear(from: usize, to: usize, device: &Device) -> Linear {
    let mut linear = LinearConfig::new(from, to)
        .with_initializer(Initializer::XavierUniform { gain: 1.0 })
        .init(device);
    linear.bias = Some(Initializer::Zeros.init([to], device));
    linear
}

/// `linear` applied to `x` (`[rows, in]` → `[rows, out]`). On the CPU with threads, the rows
/// are split into blocks computed as one batched product, which burn spreads over its pool of
/// threads ([`pool_threads`]); the weights are broadcast, and their gradient summed over the
/// blocks. Elsewhere it is `linear.forward(x)`.
fn dense(linear: &Linear, x: Tensor<2>) -> Tensor<2> {
    let [rows, inputs] = x.dims();
    let weight = linear.weight.val();
    let outputs = weight.dims()[1];
    let blocks = row_blocks(rows, rows * inputs * outputs, pool_threads());
    if blocks == 1 || runs_on_gpu(&x.device()) {
        return linear.forward(x);
    }
    dense_in_blocks(linear, x, blocks)
}

/// `linear.forward(x)` computed as `blocks` blocks of rows in one batched product (`blocks`
/// divides the rows): the form [`dense`] takes on the CPU with threads, public for its tests.
pub fn dense_in_blocks(linear: &Linear, x: Tensor<2>, blocks: usize) -> Tensor<2> {
    let [rows, inputs] = x.dims();
    let weight = linear.weight.val();
    let outputs = weight.dims()[1];
    let product = x
        .reshape([blocks, rows / blocks, inputs])
        .matmul(weight.unsqueeze::<3>())
        .reshape([rows, outputs]);
    match &linear.bias {
        Some(bias) => product + bias.val().unsqueeze::<2>(),
        None => product,
    }
}

/// The number of equal blocks of `rows` rows a product of `products` multiply-adds is split into
/// for `threads` threads: the largest divisor of `rows` up to `threads` that leaves each block at
/// least [`BLOCK_PRODUCTS`].
fn row_blocks(rows: usize, products: usize, threads: usize) -> usize {
    (1..=threads.min(products / BLOCK_PRODUCTS).max(1))
        .rev()
        .find(|&blocks| rows.is_multiple_of(blocks))
        .unwrap_or(1)
}

/// A block smaller than this many multiply-adds (about 0.3 ms on one wasm thread) costs more to
/// hand to another thread than it saves: the latent heads' products (400 → 20, 1 M at batch 128)
/// stay whole, the hidden layers' (20–40 M) are split.
const BLOCK_PRODUCTS: usize = 1 << 22;

mod decoder;
mod encoder;

pub use decoder::Decoder;
use decoder::sigmoid;
pub use encoder::Encoder;

/// The decoder's distribution p(x|z) over each pixel.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum Likelihood {
    /// Bernoulli with p = sigmoid(logits), over binary pixels: the reconstruction term is the
    /// binary cross-entropy, a true −log p(x|z) on binarised digits only.
    Bernoulli,
    /// The continuous Bernoulli with λ = sigmoid(logits): a normalised density on grey levels in
    /// [0, 1], the cross-entropy minus its log-normaliser.
    ContinuousBernoulli,
    /// N(sigmoid(logits), σ²) with σ fixed: the reconstruction term is the squared error scaled
    /// by 1/2σ², plus the normalising constant ½ log 2πσ² per pixel.
    Gaussian { sigma: f64 },
    /// N(sigmoid(logits), σ²) with one σ² for all pixels, learned with the rest (its log σ²
    /// bounded smoothly to ±15, like the encoder's).
    GaussianLearned,
}

/// The family of q(z|x). Natively also a value of the command line's `--covariance`.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
#[cfg_attr(not(target_family = "wasm"), derive(clap::ValueEnum))]
pub enum Covariance {
    /// N(μ, diag σ²).
    Diagonal,
    /// N(μ, L Lᵀ), L lower-triangular with a positive diagonal.
    Full,
}

/// The encoder's and the decoder's bodies. Natively also a value of `--architecture`.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
#[cfg_attr(not(target_family = "wasm"), derive(clap::ValueEnum))]
pub enum Architecture {
    /// Two dense hidden layers.
    Mlp,
    /// Two stride-2 4×4 convolutions (28→14→7) and a dense layer; the decoder mirrors it with
    /// a dense layer and two 3×3 convolutions each followed by a 2× pixel shuffle.
    Conv,
}

/// Architecture of the [`Vae`].
#[derive(Config, Debug, PartialEq)]
pub struct VaeConfig {
    /// Pixels per image (28 × 28 for MNIST).
    #[config(default = 784)]
    pub input_size: usize,
    /// Width of the dense hidden layers, in the encoder and in the decoder.
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
    /// The posterior's covariance.
    #[config(default = "Covariance::Diagonal")]
    pub covariance: Covariance,
    #[config(default = "Architecture::Mlp")]
    pub architecture: Architecture,
}

/// Side of the square images.
pub(crate) const SIDE: usize = 28;
/// Channels of the two convolutions: small enough that a training step costs about three of the
/// MLP's on a CPU (tab-trainable), enough for sharper strokes than the MLP's.
pub(crate) const CONV_CHANNELS: [usize; 2] = [16, 32];
/// Values the convolutional body hands to its dense layer: 32 channels of 7 × 7.
pub(crate) const CONV_FEATURES: usize = CONV_CHANNELS[1] * (SIDE / 4) * (SIDE / 4);

impl VaeConfig {
    /// Largest latent size the page and the weights loader accept: beyond it the sliders stop
    /// being something a person can drag, and the model stops being this demo's.
    pub const MAX_LATENT_SIZE: usize = 64;
    /// Widest hidden layer accepted, so that a weights file cannot ask for gigabytes.
    pub const MAX_HIDDEN_SIZE: usize = 2048;
    /// The images are MNIST's 28 × 28.
    pub const IMAGE_PIXELS: usize = SIDE * SIDE;
    /// Smallest fixed σ of a Gaussian decoder. The page's σ field and the weights loader both
    /// take their range from these two, so a crafted file cannot hold a σ the page could not
    /// set. Already at this bound 1/2σ² is 5·10⁵: the reconstruction term swamps the KL.
    pub const MIN_SIGMA: f64 = 0.001;
    /// Largest fixed σ: ten times the grey-level range, where the decoder's mean hardly moves
    /// the loss any more.
    pub const MAX_SIGMA: f64 = 10.0;
    /// LeakyReLU's slope for negative inputs lies in `[0, 1]`: 0 is a ReLU, 1 the identity, and
    /// beyond either the activation stops being one (a slope of 10³⁰ overflows to NaN at once).
    pub const MIN_NEGATIVE_SLOPE: f64 = 0.0;
    pub const MAX_NEGATIVE_SLOPE: f64 = 1.0;

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
        // A range contains no NaN.
        if !(Self::MIN_NEGATIVE_SLOPE..=Self::MAX_NEGATIVE_SLOPE).contains(&self.negative_slope) {
            return Err(format!(
                "LeakyReLU slope must be between {} and {} (got {})",
                Self::MIN_NEGATIVE_SLOPE,
                Self::MAX_NEGATIVE_SLOPE,
                self.negative_slope
            ));
        }
        if let Likelihood::Gaussian { sigma } = self.likelihood
            && !(Self::MIN_SIGMA..=Self::MAX_SIGMA).contains(&sigma)
        {
            return Err(format!(
                "the Gaussian's σ must be between {} and {} (got {sigma})",
                Self::MIN_SIGMA,
                Self::MAX_SIGMA
            ));
        }
        Ok(())
    }

    /// The parameters of the model [`VaeConfig::init`] builds, counted without building it.
    pub fn parameter_count(&self) -> u64 {
        self.parameter_shapes()
            .iter()
            .fold(0, |sum, &(w, b)| sum.saturating_add(w).saturating_add(b))
    }

    /// (weight, bias) values of every layer of [`VaeConfig::init`]'s model.
    fn parameter_shapes(&self) -> Vec<(u64, u64)> {
        let (input, hidden, latent) = (
            self.input_size as u64,
            self.hidden_size as u64,
            self.latent_size as u64,
        );
        let [c1, c2] = CONV_CHANNELS.map(|c| c as u64);
        let features = CONV_FEATURES as u64;
        let dense = |from: u64, to: u64| (from.saturating_mul(to), to);
        let conv = |kernel: u64, from: u64, to: u64| (kernel * kernel * from * to, to);
        let mut layers = match self.architecture {
            Architecture::Mlp => vec![
                dense(input, hidden),
                dense(hidden, hidden),
                dense(latent, hidden),
                dense(hidden, hidden),
                dense(hidden, input),
            ],
            Architecture::Conv => vec![
                conv(4, 1, c1),
                conv(4, c1, c2),
                dense(features, hidden),
                dense(latent, hidden),
                dense(hidden, features),
                conv(3, c2, 4 * c1),
                conv(3, c1, 4),
            ],
        };
        layers.extend([dense(hidden, latent), dense(hidden, latent)]);
        if self.covariance == Covariance::Full {
            layers.push(dense(hidden, latent.saturating_mul(latent)));
        }
        if self.likelihood == Likelihood::GaussianLearned {
            layers.push((1, 0));
        }
        layers
    }

    /// The activation of every hidden layer.
    fn activation(&self) -> LeakyRelu {
        LeakyReluConfig::new()
            .with_negative_slope(self.negative_slope)
            .init()
    }

    /// Returns a freshly initialised model on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        Vae {
            encoder: Encoder::new(self, device),
            decoder: Decoder::new(self, device),
            config: self.clone(),
        }
    }
}

#[derive(Module, Debug)]
pub struct Vae {
    pub encoder: Encoder,
    pub decoder: Decoder,
    #[module(skip)]
    config: VaeConfig,
}

/// Everything the ELBO needs from one pass over a batch with S samples of z per image.
#[derive(Debug, Clone)]
pub struct VaeOutput {
    pub posterior: Posterior,
    /// ε ~ N(0, I) behind each z, `[samples · batch, latent]` (sample-major).
    pub noise: Tensor<2>,
    /// z = μ + L ε, `[samples · batch, latent]`.
    pub z: Tensor<2>,
    /// The decoder's logits for each z, `[samples · batch, 784]`.
    pub logits: Tensor<2>,
}

impl Vae {
    pub fn config(&self) -> &VaeConfig {
        &self.config
    }

    /// Dimension of z.
    pub fn latent_size(&self) -> usize {
        self.config.latent_size
    }

    /// Encodes, draws z = μ + L ε for each row of the noise, and decodes.
    ///
    /// # Shapes
    ///   - images: `[batch, 784]`
    ///   - noise ε ~ N(0, I): `[samples · batch, latent]`, sample-major (row s·batch + b is
    ///     sample s of image b)
    pub fn forward(&self, images: Tensor<2>, noise: Tensor<2>) -> VaeOutput {
        let posterior = self.encoder.forward(images);
        let z = reparameterize(&posterior, noise.clone());
        VaeOutput {
            logits: self.decoder.forward(z.clone()),
            posterior,
            noise,
            z,
        }
    }

    /// Decodes latent points to the decoder's mean image E[x|z], each pixel in `[0, 1]`:
    /// sigmoid(logits) for a Bernoulli or a Gaussian, the continuous Bernoulli's own mean for
    /// it.
    ///
    /// # Shapes
    ///   - z: `[batch, latent]`
    ///   - output: `[batch, 784]`
    pub fn decode_mean(&self, z: Tensor<2>) -> Tensor<2> {
        let logits = self.decoder.forward(z);
        match self.config.likelihood {
            Likelihood::ContinuousBernoulli => continuous_bernoulli_mean(logits),
            _ => sigmoid(logits),
        }
    }

    /// Encodes and decodes through the posterior mean (no sampling): what the page shows as the
    /// reconstruction of a drawing.
    ///
    /// # Shapes
    ///   - images: `[batch, 784]`
    ///   - output: μ `[batch, latent]` and the decoded mean `[batch, 784]`
    pub fn reconstruct(&self, images: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let mean = self.encoder.forward(images).mean;
        (mean.clone(), self.decode_mean(mean))
    }
}
