//! Convolutions as sums of matrix products, on channels-last images
//! `[batch, height, width, channels]`, and the pixel shuffle that upsamples after them.
//!
//! Two forms of the same convolution, one per kind of backend, behind one module:
//! - On the CPU, a sum of matrix products ([`PatchConv2d::forward_taps`]). burn's CPU backend runs
//!   a convolution directly and its gradient through a transposed convolution, which measured
//!   ~40× slower than the same arithmetic as matrix products (a 128-image decoder forward through
//!   `ConvTranspose2d` took 2.6 s natively). Each kernel offset ("tap") reads a shifted block of
//!   the padded image, multiplies it by that tap's weights, and the products are summed. Gathering
//!   all taps into one patch matrix first ("im2col") was slower on the CPU backend, whose
//!   concatenation and row selection copy element by element.
//! - On a GPU, burn's own `conv2d` ([`PatchConv2d::forward_direct`]): one kernel forward and one
//!   for each gradient, where the taps cost a slice, a product and a sum each, forward and
//!   backward. A training step of the convolutional model issued 972 dispatches with taps on
//!   WebGPU (BENCHMARKS.md); on a GPU a step is bound by how many, not by the arithmetic.

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};

use crate::device::runs_on_gpu;

/// Configuration of a [`PatchConv2d`]: a square kernel, the same stride and zero padding on
/// both axes.
#[derive(Config, Debug)]
pub struct PatchConv2dConfig {
    pub channels_in: usize,
    pub channels_out: usize,
    pub kernel: usize,
    #[config(default = 1)]
    pub stride: usize,
    #[config(default = 0)]
    pub padding: usize,
}

impl PatchConv2dConfig {
    pub fn init(&self, device: &Device) -> PatchConv2d {
        assert!(
            self.kernel > 0 && self.stride > 0,
            "kernel and stride must be positive"
        );
        let taps = self.kernel * self.kernel;
        // burn's default for Linear and Conv2d: uniform in ±1/√fan-in, the fan-in being every
        // input of one output, kernel² × input channels.
        let initializer = Initializer::KaimingUniform {
            gain: 1.0 / 3f64.sqrt(),
            fan_out_only: false,
        };
        let fan_in = Some(taps * self.channels_in);
        PatchConv2d {
            weight: initializer.init_with(
                [taps, self.channels_in, self.channels_out],
                fan_in,
                None,
                device,
            ),
            bias: initializer.init_with([self.channels_out], fan_in, None, device),
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
        }
    }
}

/// A 2-D convolution (cross-correlation, as in every deep-learning library).
#[derive(Module, Debug)]
pub struct PatchConv2d {
    /// `[kernel², channels_in, channels_out]`: the kernel's offsets row by row.
    pub weight: Param<Tensor<3>>,
    /// `[channels_out]`.
    pub bias: Param<Tensor<1>>,
    #[module(skip)]
    kernel: usize,
    #[module(skip)]
    stride: usize,
    #[module(skip)]
    padding: usize,
}

impl PatchConv2d {
    /// Side of the output for an input of side `size`.
    pub fn output_size(&self, size: usize) -> usize {
        (size + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// The convolution in the form that suits the device it runs on (module docs).
    ///
    /// # Shapes
    ///   - input: `[batch, height, width, channels_in]`
    ///   - output: `[batch, height_out, width_out, channels_out]`, each side
    ///     `(side + 2·padding − kernel) / stride + 1`
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        if runs_on_gpu(&input.device()) {
            self.forward_direct(input)
        } else {
            self.forward_taps(input)
        }
    }

    /// burn's `conv2d`, which takes channels-first images and `[out, in, kernel, kernel]`
    /// weights: both are permuted views of ours. Shapes as [`Self::forward`].
    pub fn forward_direct(&self, input: Tensor<4>) -> Tensor<4> {
        let [taps, channels_in, channels_out] = self.weight.dims();
        let k = self.kernel;
        debug_assert_eq!(taps, k * k);
        let weight = self
            .weight
            .val()
            .reshape([k, k, channels_in, channels_out])
            .permute([3, 2, 0, 1]);
        let (s, p) = (self.stride, self.padding);
        conv2d(
            input.permute([0, 3, 1, 2]),
            weight,
            Some(self.bias.val()),
            ConvOptions::new([s, s], [p, p], [1, 1], 1),
        )
        .permute([0, 2, 3, 1])
    }

    /// The sum over kernel offsets of matrix products. Shapes as [`Self::forward`].
    pub fn forward_taps(&self, input: Tensor<4>) -> Tensor<4> {
        let [batch, height, width, channels] = input.dims();
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let (out_h, out_w) = (self.output_size(height), self.output_size(width));
        // Pad to a multiple of the stride as well, so that the padded image splits into
        // stride × stride phases: pixel (s·i + a, s·j + b) is phase (a, b)'s pixel (i, j), and
        // every kernel offset then reads a contiguous block of one phase.
        let extra = |side: usize| (s - (side + 2 * p) % s) % s;
        let padded = input.pad(
            [(p, p + extra(height)), (p, p + extra(width)), (0, 0)],
            PadMode::Constant(0.0),
        );
        let [_, padded_h, padded_w, _] = padded.dims();
        let phases = padded.reshape([batch, padded_h / s, s, padded_w / s, s, channels]);
        let pixels = batch * out_h * out_w;
        let [_, _, channels_out] = self.weight.dims();
        let weight = self.weight.val();
        let mut sum: Option<Tensor<2>> = None;
        for row in 0..k {
            for column in 0..k {
                let (i, a) = (row / s, row % s);
                let (j, b) = (column / s, column % s);
                let tap = phases
                    .clone()
                    .slice([
                        0..batch,
                        i..i + out_h,
                        a..a + 1,
                        j..j + out_w,
                        b..b + 1,
                        0..channels,
                    ])
                    .reshape([pixels, channels]);
                let t = row * k + column;
                let tap_weight = weight
                    .clone()
                    .slice(t..t + 1)
                    .reshape([channels, channels_out]);
                let product = tap.matmul(tap_weight);
                sum = Some(match sum {
                    Some(sum) => sum + product,
                    None => product,
                });
            }
        }
        let sum = sum.expect("a kernel has at least one tap");
        sum.reshape([batch, out_h, out_w, channels_out])
            + self.bias.val().reshape([1, 1, 1, channels_out])
    }
}

/// Pixel shuffle (Shi et al., 2016): `factor²` channels of each pixel become a
/// `factor × factor` block of one channel. A convolution at the low resolution followed by it
/// is the decoder's way up: as expressive as a strided transposed convolution, at the cost of
/// one convolution over the small image.
///
/// # Shapes
///   - input: `[batch, height, width, factor² · channels]`, the block's rows outermost
///   - output: `[batch, factor · height, factor · width, channels]`
pub fn pixel_shuffle(input: Tensor<4>, factor: usize) -> Tensor<4> {
    let [batch, height, width, channels] = input.dims();
    let channels = channels / (factor * factor);
    input
        .reshape([batch, height, width, factor, factor, channels])
        .permute([0, 1, 3, 2, 4, 5])
        .reshape([batch, height * factor, width * factor, channels])
}
