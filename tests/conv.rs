//! The convolutions of the convolutional architecture: the CPU's form (a sum of matrix products)
//! against burn's own `conv2d`, an independent implementation; the GPU's form (burn's `conv2d` on
//! permuted views) against the CPU's, values and gradients; and the pixel shuffle against its
//! index formula.

mod common;

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use latent_lab::conv::{PatchConv2dConfig, pixel_shuffle};

/// `PatchConv2d`'s taps on channels-last input equal burn's conv2d on the same input and weights
/// laid out channels-first.
fn matches_burn_conv2d(
    channels: [usize; 2],
    kernel: usize,
    stride: usize,
    padding: usize,
    side: usize,
) {
    let device = common::device();
    let [channels_in, channels_out] = channels;
    let conv = PatchConv2dConfig::new(channels_in, channels_out, kernel)
        .with_stride(stride)
        .with_padding(padding)
        .init(&device);
    let input = Tensor::<4>::random(
        [2, side, side, channels_in],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let ours = conv.forward_taps(input.clone());

    // [kernel², in, out] with offsets row by row → [out, in, kernel, kernel].
    let weight = conv
        .weight
        .val()
        .reshape([kernel, kernel, channels_in, channels_out])
        .permute([3, 2, 0, 1]);
    let reference = conv2d(
        input.permute([0, 3, 1, 2]),
        weight,
        Some(conv.bias.val()),
        ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1),
    )
    .permute([0, 2, 3, 1]);

    let out_side = conv.output_size(side);
    assert_eq!(ours.dims(), [2, out_side, out_side, channels_out]);
    assert_eq!(reference.dims(), ours.dims());
    let (ours, reference) = (common::values(ours), common::values(reference));
    for (i, (a, b)) in ours.iter().zip(&reference).enumerate() {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "entry {i}: {a} against burn's {b}"
        );
    }
}

#[test]
fn strided_convolution_matches_burn() {
    // The encoder's two layers: 4×4, stride 2, padding 1 (28→14→7).
    matches_burn_conv2d([1, 16], 4, 2, 1, 28);
    matches_burn_conv2d([16, 32], 4, 2, 1, 14);
    // An odd side, where the padded image is not a multiple of the stride.
    matches_burn_conv2d([3, 5], 3, 2, 1, 9);
}

#[test]
fn same_convolution_matches_burn() {
    // The decoder's: 3×3, stride 1, padding 1, side kept.
    matches_burn_conv2d([32, 64], 3, 1, 1, 7);
    matches_burn_conv2d([16, 4], 3, 1, 1, 14);
    // No padding: the side shrinks by kernel − 1.
    matches_burn_conv2d([2, 3], 3, 1, 0, 6);
}

#[test]
fn convolution_gradients_match_burn() {
    // The same weighted sum of the outputs, differentiated through both implementations.
    let device = common::device().autodiff();
    let (kernel, stride, padding) = (4, 2, 1);
    let conv = PatchConv2dConfig::new(2, 3, kernel)
        .with_stride(stride)
        .with_padding(padding)
        .init(&device);
    let input = Tensor::<4>::random([2, 9, 9, 2], Distribution::Normal(0.0, 1.0), &device);
    let ours_input = input.clone().require_grad();
    let out = conv.forward_taps(ours_input.clone());
    let mix = Tensor::<4>::random(out.dims(), Distribution::Normal(0.0, 1.0), &device);
    let ours = (out * mix.clone()).sum().backward();

    let reference_input = input.require_grad();
    let weight = conv
        .weight
        .val()
        .reshape([kernel, kernel, 2, 3])
        .permute([3, 2, 0, 1])
        .into_data();
    let weight = Tensor::<4>::from_data(weight, &device).require_grad();
    let reference_out = conv2d(
        reference_input.clone().permute([0, 3, 1, 2]),
        weight.clone(),
        Some(conv.bias.val().detach()),
        ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1),
    )
    .permute([0, 2, 3, 1]);
    let reference = (reference_out * mix).sum().backward();

    let pairs = [
        (
            ours_input.grad(&ours).unwrap(),
            reference_input.grad(&reference).unwrap(),
        ),
        (
            conv.weight
                .grad(&ours)
                .unwrap()
                .reshape([kernel, kernel, 2, 3])
                .permute([3, 2, 0, 1]),
            weight.grad(&reference).unwrap(),
        ),
    ];
    for (name, (a, b)) in ["input", "weight"].iter().zip(pairs) {
        let (a, b) = (common::values(a), common::values(b));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x - y).abs() < 1e-4 * (1.0 + y.abs()),
                "{name} gradient {x} against burn's {y}"
            );
        }
    }
}

/// The GPU's form against the CPU's on the same module: outputs, and the gradients of a weighted
/// sum of them with respect to the input, the weights and the bias.
fn direct_form_matches_taps(channels: [usize; 2], kernel: usize, stride: usize, side: usize) {
    let device = common::device().autodiff();
    let [channels_in, channels_out] = channels;
    let conv = PatchConv2dConfig::new(channels_in, channels_out, kernel)
        .with_stride(stride)
        .with_padding(1)
        .init(&device);
    let input = Tensor::<4>::random(
        [3, side, side, channels_in],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let close = |what: &str, a: Vec<f32>, b: Vec<f32>| {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() < 1e-4 * (1.0 + y.abs()),
                "{what} entry {i}: direct {x} against taps {y}"
            );
        }
    };
    let run = |direct: bool| {
        let input = input.clone().detach().require_grad();
        let out = if direct {
            conv.forward_direct(input.clone())
        } else {
            conv.forward_taps(input.clone())
        };
        let dims = out.dims();
        // A fixed weighting, the same for both forms.
        let n = dims.iter().product::<usize>();
        let mix = Tensor::<1, Int>::arange(0..n as i64, &device)
            .float()
            .mul_scalar(0.37)
            .sin()
            .reshape(dims);
        let grads = (out.clone() * mix).sum().backward();
        (
            common::values(out),
            common::values(input.grad(&grads).unwrap()),
            common::values(conv.weight.grad(&grads).unwrap()),
            common::values(conv.bias.grad(&grads).unwrap()),
        )
    };
    let (direct, taps) = (run(true), run(false));
    close("output", direct.0, taps.0);
    close("input gradient", direct.1, taps.1);
    close("weight gradient", direct.2, taps.2);
    close("bias gradient", direct.3, taps.3);
}

#[test]
fn gpu_form_matches_cpu_form_with_gradients() {
    // The encoder's strided layers and the decoder's same-size ones, with an odd side.
    direct_form_matches_taps([1, 16], 4, 2, 28);
    direct_form_matches_taps([16, 32], 4, 2, 14);
    direct_form_matches_taps([3, 5], 3, 2, 9);
    direct_form_matches_taps([32, 64], 3, 1, 7);
}

#[test]
fn the_cpu_runs_the_taps() {
    use latent_lab::device::{cpu_device, runs_on_gpu};
    assert!(!runs_on_gpu(&cpu_device()));
    assert!(!runs_on_gpu(&cpu_device().autodiff()));
    // On the CPU `forward` is the taps, to the bit.
    let device = common::device();
    let conv = PatchConv2dConfig::new(2, 3, 3)
        .with_padding(1)
        .init(&device);
    let input = Tensor::<4>::random([2, 7, 7, 2], Distribution::Normal(0.0, 1.0), &device);
    assert_eq!(
        common::values(conv.forward(input.clone())),
        common::values(conv.forward_taps(input))
    );
}

#[test]
fn pixel_shuffle_moves_channels_into_blocks() {
    let device = common::device();
    let (batch, side, factor, channels) = (2, 3, 2, 3);
    let depth = factor * factor * channels;
    let n = batch * side * side * depth;
    let input = Tensor::<1, Int>::arange(0..n as i64, &device)
        .float()
        .reshape([batch, side, side, depth]);
    let output = common::values(pixel_shuffle(input, factor));
    let out_side = side * factor;
    for b in 0..batch {
        for y in 0..out_side {
            for x in 0..out_side {
                for c in 0..channels {
                    // Output pixel (y, x) is input pixel (y / f, x / f), channel
                    // ((y mod f) · f + x mod f) · channels + c.
                    let (dy, dx) = (y % factor, x % factor);
                    let source = (((b * side + y / factor) * side + x / factor) * depth
                        + (dy * factor + dx) * channels
                        + c) as f32;
                    let at = ((b * out_side + y) * out_side + x) * channels + c;
                    assert_eq!(output[at], source, "({b}, {y}, {x}, {c})");
                }
            }
        }
    }
}
