//! The encoder, q(z|x): a body (an MLP, or two strided convolutions and a dense layer) and the
//! heads of μ, log σ² and, for a full covariance, the entries below L's diagonal.

use burn::nn::{LeakyRelu, Linear};
use burn::prelude::*;

use super::{
    Architecture, CONV_CHANNELS, CONV_FEATURES, Covariance, SIDE, VaeConfig, dense, new_linear,
};
use crate::conv::{PatchConv2d, PatchConv2dConfig};
use crate::likelihood::bound_log_variance;
use crate::posterior::Posterior;

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
                let h = m.activation.forward(dense(&m.hidden1, images));
                m.activation.forward(dense(&m.hidden2, h))
            }
            EncoderBody::Conv(c) => {
                let [batch, _] = images.dims();
                let x = images.reshape([batch, SIDE, SIDE, 1]);
                let x = c.activation.forward(c.conv1.forward(x)); // [batch, 14, 14, 16]
                let x = c.activation.forward(c.conv2.forward(x)); // [batch, 7, 7, 32]
                c.activation
                    .forward(dense(&c.dense, x.reshape([batch, CONV_FEATURES])))
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
    /// Fresh weights for `config`'s encoder on `device`.
    pub fn new(config: &VaeConfig, device: &Device) -> Self {
        let linear = |from, to| new_linear(from, to, device);
        let activation = config.activation();
        let (hidden, latent) = (config.hidden_size, config.latent_size);
        let body = match config.architecture {
            Architecture::Mlp => EncoderBody::Mlp(MlpEncoder {
                hidden1: linear(config.input_size, hidden),
                hidden2: linear(hidden, hidden),
                activation,
            }),
            Architecture::Conv => {
                let [c1, c2] = CONV_CHANNELS;
                let down = |from, to| {
                    PatchConv2dConfig::new(from, to, 4)
                        .with_stride(2)
                        .with_padding(1)
                        .init(device)
                };
                EncoderBody::Conv(ConvEncoder {
                    conv1: down(1, c1),
                    conv2: down(c1, c2),
                    dense: linear(CONV_FEATURES, hidden),
                    activation,
                })
            }
        };
        Self {
            body,
            mean: linear(hidden, latent),
            log_variance: linear(hidden, latent),
            off_diagonal: (config.covariance == Covariance::Full)
                .then(|| linear(hidden, latent * latent)),
        }
    }

    /// # Shapes
    ///   - images: `[batch, 784]`, grey levels in `[0, 1]`
    ///   - output: μ and log σ² `[batch, latent]` (log σ² bounded smoothly to ±15), and for a
    ///     full covariance the strictly lower part of L `[batch, latent, latent]`
    pub fn forward(&self, images: Tensor<2>) -> Posterior {
        let h = self.body.forward(images);
        let mean = dense(&self.mean, h.clone());
        let [batch, latent] = mean.dims();
        // The mask with zeros on and above the diagonal: only the strictly lower part
        // of the head's output is used.
        let lower = self.off_diagonal.as_ref().map(|linear| {
            dense(linear, h.clone())
                .reshape([batch, latent, latent])
                .tril(-1)
        });
        Posterior {
            mean,
            log_variance: bound_log_variance(dense(&self.log_variance, h)),
            lower,
        }
    }
}
