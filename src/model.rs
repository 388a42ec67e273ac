//! The VAE (Kingma & Welling, 2014). The encoder gives the parameters of q(z|x), a Gaussian with diagonal
//! or full (Cholesky) covariance; the decoder gives the parameters of p(x|z), Bernoulli or
//! Gaussian. Both bodies are an MLP (784→400→400, LeakyReLU 0.2) or a small CNN.

use burn::module::Param;
use burn::nn::{LeakyRelu, LeakyReluConfig, Linear, LinearConfig};
use burn::prelude::*;

use crate::conv::{PatchConv2d, PatchConv2dConfig, pixel_shuffle};
use crate::likelihood::{bernoulli_negative_log_likelihood, gaussian_negative_log_likelihood};
use crate::posterior::{Posterior, reparameterize};

/// The decoder's distribution p(x|z) over each pixel's grey level.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum Likelihood {
    /// Bernoulli with p = sigmoid(logits): the reconstruction term is the binary cross-entropy.
    Bernoulli,
    /// N(sigmoid(logits), σ²) with σ fixed: the reconstruction term is the squared error scaled
    /// by 1/2σ², plus the normalising constant ½ log 2πσ² per pixel.
    Gaussian { sigma: f64 },
    /// N(sigmoid(logits), σ²) with one σ² for all pixels, learned with the rest.
    GaussianLearned,
}

/// The family of q(z|x).
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Covariance {
    /// N(μ, diag σ²).
    Diagonal,
    /// N(μ, L Lᵀ), L lower-triangular with a positive diagonal.
    Full,
}

/// The encoder's and the decoder's bodies.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
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
const CONV_FEATURES: usize = CONV_CHANNELS[1] * (SIDE / 4) * (SIDE / 4);

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

    /// Values in the largest single parameter tensor.
    pub fn largest_parameter_count(&self) -> u64 {
        self.parameter_shapes()
            .iter()
            .map(|&(w, b)| w.max(b))
            .max()
            .unwrap_or(0)
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

    /// Returns a freshly initialised model on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        let linear = |from, to| LinearConfig::new(from, to).init(device);
        let activation = LeakyReluConfig::new()
            .with_negative_slope(self.negative_slope)
            .init();
        let (hidden, latent) = (self.hidden_size, self.latent_size);
        let (encoder_body, decoder_body) = match self.architecture {
            Architecture::Mlp => (
                EncoderBody::Mlp(MlpEncoder {
                    hidden1: linear(self.input_size, hidden),
                    hidden2: linear(hidden, hidden),
                    activation: activation.clone(),
                }),
                DecoderBody::Mlp(MlpDecoder {
                    hidden1: linear(latent, hidden),
                    hidden2: linear(hidden, hidden),
                    output: linear(hidden, self.input_size),
                    activation: activation.clone(),
                }),
            ),
            Architecture::Conv => {
                let [c1, c2] = CONV_CHANNELS;
                let down = |from, to| {
                    PatchConv2dConfig::new(from, to, 4)
                        .with_stride(2)
                        .with_padding(1)
                        .init(device)
                };
                let up = |from, to| {
                    PatchConv2dConfig::new(from, to, 3)
                        .with_padding(1)
                        .init(device)
                };
                (
                    EncoderBody::Conv(ConvEncoder {
                        conv1: down(1, c1),
                        conv2: down(c1, c2),
                        dense: linear(CONV_FEATURES, hidden),
                        activation: activation.clone(),
                    }),
                    DecoderBody::Conv(ConvDecoder {
                        dense1: linear(latent, hidden),
                        dense2: linear(hidden, CONV_FEATURES),
                        conv1: up(c2, 4 * c1),
                        conv2: up(c1, 4),
                        activation: activation.clone(),
                    }),
                )
            }
        };
        Vae {
            encoder: Encoder {
                body: encoder_body,
                mean: linear(hidden, latent),
                log_variance: linear(hidden, latent),
                off_diagonal: (self.covariance == Covariance::Full)
                    .then(|| linear(hidden, latent * latent)),
            },
            decoder: Decoder {
                body: decoder_body,
                // Starts at σ² = 0.01, about the squared error of a blurry digit, so the first
                // steps neither ignore nor over-weight the reconstruction.
                log_variance: (self.likelihood == Likelihood::GaussianLearned)
                    .then(|| Param::from_tensor(Tensor::full([1], (0.01f64).ln(), device))),
                likelihood: self.likelihood,
            },
            config: self.clone(),
        }
    }
}

#[derive(Module, Debug)]
pub struct MlpEncoder {
    hidden1: Linear,
    hidden2: Linear,
    activation: LeakyRelu,
}

#[derive(Module, Debug)]
pub struct ConvEncoder {
    conv1: PatchConv2d,
    conv2: PatchConv2d,
    dense: Linear,
    activation: LeakyRelu,
}

// One per model, built once: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum EncoderBody {
    Mlp(MlpEncoder),
    Conv(ConvEncoder),
}

impl EncoderBody {
    /// # Shapes
    ///   - images: `[batch, 784]`
    ///   - output: features `[batch, hidden]`
    fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        match self {
            EncoderBody::Mlp(m) => {
                let h = m.activation.forward(m.hidden1.forward(images));
                m.activation.forward(m.hidden2.forward(h))
            }
            EncoderBody::Conv(c) => {
                let [batch, _] = images.dims();
                let x = images.reshape([batch, SIDE, SIDE, 1]);
                let x = c.activation.forward(c.conv1.forward(x)); // [batch, 14, 14, 16]
                let x = c.activation.forward(c.conv2.forward(x)); // [batch, 7, 7, 32]
                c.activation
                    .forward(c.dense.forward(x.reshape([batch, CONV_FEATURES])))
            }
        }
    }
}

/// q(z|x) = N(μ(x), Σ(x)).
#[derive(Module, Debug)]
pub struct Encoder {
    body: EncoderBody,
    mean: Linear,
    log_variance: Linear,
    /// Full covariance only: the entries below the diagonal of L.
    off_diagonal: Option<Linear>,
}

impl Encoder {
    /// # Shapes
    ///   - images: `[batch, 784]`, grey levels in `[0, 1]`
    ///   - output: μ and log σ² `[batch, latent]`, and for a full covariance the strictly lower
    ///     part of L `[batch, latent, latent]`
    pub fn forward(&self, images: Tensor<2>) -> Posterior {
        let h = self.body.forward(images);
        let mean = self.mean.forward(h.clone());
        let [batch, latent] = mean.dims();
        // The mask with zeros on and above the diagonal: only the strictly lower part
        // of the head's output is used.
        let lower = self.off_diagonal.as_ref().map(|linear| {
            linear
                .forward(h.clone())
                .reshape([batch, latent, latent])
                .tril(-1)
        });
        Posterior {
            mean,
            log_variance: self.log_variance.forward(h),
            lower,
        }
    }
}

#[derive(Module, Debug)]
pub struct MlpDecoder {
    hidden1: Linear,
    hidden2: Linear,
    output: Linear,
    activation: LeakyRelu,
}

#[derive(Module, Debug)]
pub struct ConvDecoder {
    dense1: Linear,
    dense2: Linear,
    conv1: PatchConv2d,
    conv2: PatchConv2d,
    activation: LeakyRelu,
}

// One per model, built once: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum DecoderBody {
    Mlp(MlpDecoder),
    Conv(ConvDecoder),
}

/// p(x|z): Bernoulli or Gaussian over each pixel, its parameter from sigmoid(logits(z)).
#[derive(Module, Debug)]
pub struct Decoder {
    body: DecoderBody,
    /// Learned-σ Gaussian only: log σ², one value for all pixels, `[1]`.
    log_variance: Option<Param<Tensor<1>>>,
    #[module(skip)]
    likelihood: Likelihood,
}

impl Decoder {
    /// # Shapes
    ///   - z: `[batch, latent]`
    ///   - output: logits `[batch, 784]`; sigmoid of them is p for a Bernoulli, the mean for a
    ///     Gaussian
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        match &self.body {
            DecoderBody::Mlp(m) => {
                let h = m.activation.forward(m.hidden1.forward(z));
                let h = m.activation.forward(m.hidden2.forward(h));
                m.output.forward(h)
            }
            DecoderBody::Conv(c) => {
                let [batch, _] = z.dims();
                let h = c.activation.forward(c.dense1.forward(z));
                let h = c.activation.forward(c.dense2.forward(h));
                let side = SIDE / 4;
                let x = h.reshape([batch, side, side, CONV_CHANNELS[1]]);
                let x = pixel_shuffle(c.conv1.forward(x), 2); // [batch, 14, 14, 16]
                let x = pixel_shuffle(c.conv2.forward(c.activation.forward(x)), 2);
                x.reshape([batch, SIDE * SIDE]) // from [batch, 28, 28, 1]
            }
        }
    }

    /// −log p(x|z) per image, in nats, including every normalising constant.
    ///
    /// # Shapes
    ///   - logits, images: `[batch, 784]`
    ///   - output: `[batch]`
    pub fn negative_log_likelihood(&self, logits: Tensor<2>, images: Tensor<2>) -> Tensor<1> {
        match self.likelihood {
            Likelihood::Bernoulli => bernoulli_negative_log_likelihood(logits, images),
            Likelihood::Gaussian { sigma } => {
                let log_variance = Tensor::full([1], 2.0 * sigma.ln(), &logits.device());
                gaussian_negative_log_likelihood(sigmoid(logits), images, log_variance)
            }
            Likelihood::GaussianLearned => {
                let log_variance = self
                    .log_variance
                    .as_ref()
                    .expect("a learned-σ decoder has its log-variance")
                    .val();
                gaussian_negative_log_likelihood(sigmoid(logits), images, log_variance)
            }
        }
    }

    /// The learned σ of a Gaussian decoder, when it has one.
    pub fn learned_sigma(&self) -> Option<Tensor<1>> {
        self.log_variance
            .as_ref()
            .map(|lv| lv.val().mul_scalar(0.5).exp())
    }
}

fn sigmoid(logits: Tensor<2>) -> Tensor<2> {
    burn::tensor::activation::sigmoid(logits)
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

    /// Decodes latent points to the decoder's mean image: pixel probabilities (Bernoulli) or
    /// means (Gaussian), each in `[0, 1]`.
    ///
    /// # Shapes
    ///   - z: `[batch, latent]`
    ///   - output: `[batch, 784]`
    pub fn decode_mean(&self, z: Tensor<2>) -> Tensor<2> {
        sigmoid(self.decoder.forward(z))
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
