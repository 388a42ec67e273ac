//! The decoder, p(x|z): a body (an MLP, or a dense layer then two convolutions, each followed by
//! a pixel shuffle) giving one logit per pixel, and the likelihood scoring an image under it.

use burn::module::Param;
use burn::nn::{LeakyRelu, Linear};
use burn::prelude::*;

use super::{
    Architecture, CONV_CHANNELS, CONV_FEATURES, Likelihood, SIDE, VaeConfig, dense, new_linear,
};
use crate::conv::{PatchConv2d, PatchConv2dConfig, pixel_shuffle};
use crate::likelihood::{
    bernoulli_negative_log_likelihood, bound_log_variance,
    continuous_bernoulli_negative_log_likelihood, gaussian_negative_log_likelihood,
};

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

/// p(x|z): Bernoulli, continuous Bernoulli or Gaussian over each pixel, its parameter from
/// sigmoid(logits(z)).
#[derive(Module, Debug)]
pub struct Decoder {
    body: DecoderBody,
    /// Learned-σ Gaussian only: log σ², one value for all pixels, `[1]`.
    log_variance: Option<Param<Tensor<1>>>,
    #[module(skip)]
    likelihood: Likelihood,
}

impl Decoder {
    /// Fresh weights for `config`'s decoder on `device`.
    pub fn new(config: &VaeConfig, device: &Device) -> Self {
        let linear = |from, to| new_linear(from, to, device);
        let activation = config.activation();
        let (hidden, latent) = (config.hidden_size, config.latent_size);
        let body = match config.architecture {
            Architecture::Mlp => DecoderBody::Mlp(MlpDecoder {
                hidden1: linear(latent, hidden),
                hidden2: linear(hidden, hidden),
                output: linear(hidden, config.input_size),
                activation,
            }),
            Architecture::Conv => {
                let [c1, c2] = CONV_CHANNELS;
                let up = |from, to| {
                    PatchConv2dConfig::new(from, to, 3)
                        .with_padding(1)
                        .init(device)
                };
                DecoderBody::Conv(ConvDecoder {
                    dense1: linear(latent, hidden),
                    dense2: linear(hidden, CONV_FEATURES),
                    conv1: up(c2, 4 * c1),
                    conv2: up(c1, 4),
                    activation,
                })
            }
        };
        Self {
            body,
            // Starts at σ² = 0.01, about the squared error of a blurry digit, so the first
            // steps neither ignore nor over-weight the reconstruction.
            log_variance: (config.likelihood == Likelihood::GaussianLearned)
                .then(|| Param::from_tensor(Tensor::full([1], (0.01f64).ln(), device))),
            likelihood: config.likelihood,
        }
    }

    /// # Shapes
    ///   - z: `[batch, latent]`
    ///   - output: logits `[batch, 784]`; sigmoid of them is p for a Bernoulli, the mean for a
    ///     Gaussian
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        match &self.body {
            DecoderBody::Mlp(m) => {
                let h = m.activation.forward(dense(&m.hidden1, z));
                let h = m.activation.forward(dense(&m.hidden2, h));
                dense(&m.output, h)
            }
            DecoderBody::Conv(c) => {
                let [batch, _] = z.dims();
                let h = c.activation.forward(dense(&c.dense1, z));
                let h = c.activation.forward(dense(&c.dense2, h));
                let side = SIDE / 4;
                let x = h.reshape([batch, side, side, CONV_CHANNELS[1]]);
                let x = pixel_shuffle(c.conv1.forward(x), 2); // [batch, 14, 14, 16]
                let x = pixel_shuffle(c.conv2.forward(c.activation.forward(x)), 2);
                x.reshape([batch, SIDE * SIDE]) // from [batch, 28, 28, 1]
            }
        }
    }

    /// −log p(x|z) per image, in nats: with every normalising constant for the densities, and for
    /// the Bernoulli a true −log p only on binary images (a cross-entropy on grey levels).
    ///
    /// # Shapes
    ///   - logits, images: `[batch, 784]`
    ///   - output: `[batch]`
    pub fn negative_log_likelihood(&self, logits: Tensor<2>, images: Tensor<2>) -> Tensor<1> {
        match self.likelihood {
            Likelihood::Bernoulli => bernoulli_negative_log_likelihood(logits, images),
            Likelihood::ContinuousBernoulli => {
                continuous_bernoulli_negative_log_likelihood(logits, images)
            }
            Likelihood::Gaussian { sigma } => {
                let log_variance = Tensor::full([1], 2.0 * sigma.ln(), &logits.device());
                gaussian_negative_log_likelihood(sigmoid(logits), images, log_variance)
            }
            Likelihood::GaussianLearned => {
                let log_variance = self
                    .learned_log_variance()
                    .expect("a learned-σ decoder has its log-variance");
                gaussian_negative_log_likelihood(sigmoid(logits), images, log_variance)
            }
        }
    }

    /// The learned log σ² of a Gaussian decoder, when it has one: its parameter, bounded.
    fn learned_log_variance(&self) -> Option<Tensor<1>> {
        self.log_variance
            .as_ref()
            .map(|lv| bound_log_variance(lv.val()))
    }

    /// The learned σ of a Gaussian decoder, when it has one.
    pub fn learned_sigma(&self) -> Option<Tensor<1>> {
        self.learned_log_variance()
            .map(|lv| lv.mul_scalar(0.5).exp())
    }
}

pub(super) fn sigmoid(logits: Tensor<2>) -> Tensor<2> {
    burn::tensor::activation::sigmoid(logits)
}
