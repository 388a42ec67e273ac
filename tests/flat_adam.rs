//! The packing of tensors into one flat buffer (a kernel of our own on a GPU) and Adam over
//! that buffer, against burn's own operations: `Tensor::cat` and burn's Adam. On the CPU backend
//! always, and on burn's GPU backend when LATENT_LAB_TEST_GPU is set: scripts/test.sh sets it and
//! points the Vulkan loader at SwiftShader's driver (from Debian's chromium package).

mod common;

use std::sync::OnceLock;

use burn::backend::Dispatch;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::Distribution;
use common::{block_on, values};
use latent_lab::model::VaeConfig;
use latent_lab::objective::elbo_terms;
use latent_lab::packing::{Layout, PACK_INPUTS, PackOps, Placement, SEGMENT_ALIGNMENT};
use latent_lab::trainer::FlatAdam;

/// The devices to test on: the CPU, and burn's GPU backend when LATENT_LAB_TEST_GPU is set (wgpu
/// panics rather than failing where no Vulkan driver is installed, so it is not tried unasked).
fn devices() -> Vec<Device> {
    let mut devices = vec![common::device()];
    if std::env::var_os("LATENT_LAB_TEST_GPU").is_some() {
        // Initialised once for the tests of this file, which run in parallel: wgpu's runtime
        // refuses a second initialisation.
        static GPU: OnceLock<Device> = OnceLock::new();
        let gpu = GPU.get_or_init(|| {
            block_on(latent_lab::device::gpu_device())
                .expect("LATENT_LAB_TEST_GPU is set, so a GPU adapter must be found")
        });
        devices.push(gpu.clone());
    }
    devices
}

/// Tensors of awkward shapes: more of them than one packing call takes, lengths on and off the
/// segment alignment, a transposed (strided) one and a 4-D one.
fn awkward_tensors(device: &Device) -> Vec<Tensor<2>> {
    let shaped = |rows: usize, cols: usize, seed: f32| {
        let data: Vec<f32> = (0..rows * cols)
            .map(|i| (i as f32 * 0.37 + seed).sin() * 3.0)
            .collect();
        Tensor::<1>::from_floats(data.as_slice(), device).reshape([rows, cols])
    };
    vec![
        shaped(1, 3, 0.1),
        shaped(5, 7, 0.2),
        shaped(5, 7, 0.3).transpose(),
        shaped(1, SEGMENT_ALIGNMENT, 0.4),
        shaped(1, SEGMENT_ALIGNMENT + 1, 0.5),
        shaped(130, 3, 0.6),
        shaped(1, 1, 0.7),
        shaped(24, 5, 0.8),
    ]
}

/// What packing must give: each tensor's values in row-major order, zeros up to the next
/// multiple of the alignment, one after another (built with burn's own `cat`).
fn packed_with_cat(tensors: &[Tensor<2>], device: &Device) -> Vec<f32> {
    let mut parts = Vec::new();
    for tensor in tensors {
        let length = tensor.shape().num_elements();
        parts.push(tensor.clone().reshape([length]));
        let padding = length.next_multiple_of(SEGMENT_ALIGNMENT) - length;
        if padding > 0 {
            parts.push(Tensor::zeros([padding], device));
        }
    }
    values(Tensor::cat(parts, 0))
}

#[test]
fn packing_matches_cat_and_unpacking_gives_each_tensor_back() {
    for device in devices() {
        let tensors = awkward_tensors(&device);
        assert!(tensors.len() > PACK_INPUTS, "more than one packing call");
        let layout = Layout::new(tensors.iter().map(|t| t.shape()).collect());
        let flat = layout.pack(tensors.iter().map(|t| t.clone().into_dispatch()).collect());
        assert_eq!(layout.len() % SEGMENT_ALIGNMENT, 0);
        let packed = values(flat.clone());
        assert_eq!(packed, packed_with_cat(&tensors, &device), "on {device:?}");
        for (index, tensor) in tensors.iter().enumerate() {
            let unpacked: Tensor<2> = layout.unpack(&flat, index);
            assert_eq!(
                values(unpacked),
                values(tensor.clone()),
                "tensor {index} on {device:?}"
            );
        }
    }
}

/// A packing call into a buffer that holds other values: its inputs' values, zeros over their
/// padding, and the rest of the buffer as it was. A GPU's fresh buffer holds anything, so the
/// padding is zero only because each call writes it.
#[test]
fn packing_into_a_used_buffer_zeroes_only_its_padding() {
    for device in devices() {
        let a = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device).into_dispatch();
        let b = Tensor::<2>::from_floats([[4.0, 5.0], [6.0, 7.0]], &device)
            .transpose()
            .into_dispatch();
        let used = Tensor::<1>::full([3 * SEGMENT_ALIGNMENT], 9.0, &device).into_dispatch();
        let mut offsets = [0; PACK_INPUTS];
        offsets[1] = SEGMENT_ALIGNMENT;
        let placement = Placement {
            start: 0,
            end: 2 * SEGMENT_ALIGNMENT,
            used: 2,
            offsets,
        };
        let [c, d, e, f] = std::array::from_fn(|_| a.clone());
        let packed = Dispatch::pack_into(used, a, b, c, d, e, f, placement);
        let mut expected = vec![1.0, 2.0, 3.0];
        expected.resize(SEGMENT_ALIGNMENT, 0.0);
        expected.extend([4.0, 6.0, 5.0, 7.0]);
        expected.resize(2 * SEGMENT_ALIGNMENT, 0.0);
        expected.resize(3 * SEGMENT_ALIGNMENT, 9.0);
        assert_eq!(
            values(Tensor::<1>::from_dispatch(packed)),
            expected,
            "on {device:?}"
        );
    }
}

/// Every parameter of a module, flattened, in visiting order.
fn parameters(model: &impl Module) -> Vec<Vec<f32>> {
    struct Collect(Vec<Vec<f32>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(values(param.val()));
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    collect.0
}

#[test]
fn flat_adam_takes_the_steps_burns_adam_takes() {
    for device in devices() {
        let autodiff = device.clone().autodiff();
        let config = VaeConfig::new().with_hidden_size(24).with_latent_size(3);
        let start = config.init(&autodiff);
        let images = Tensor::<2>::random([6, 784], Distribution::Uniform(0.0, 1.0), &autodiff);
        // The same loss for both optimizers: the ELBO with the same draws of ε.
        let gradients = |model: &latent_lab::model::Vae, step: u64| {
            autodiff.seed(step);
            let terms = elbo_terms(model, images.clone(), 1, &autodiff);
            GradientsParams::from_grads(terms.loss(1.0).backward(), model)
        };
        let learning_rate = 3e-3;

        let mut burns = AdamConfig::new().with_epsilon(1e-8).init();
        let mut expected = start.clone();
        let (mut adam, mut actual) = FlatAdam::new(start);
        for step in 0..3 {
            let g = gradients(&expected, step);
            expected = burns.step(learning_rate, expected, g);
            let g = gradients(&actual, step);
            actual = adam.step(learning_rate, actual, g);
        }
        let (expected, actual) = (parameters(&expected), parameters(&actual));
        assert_eq!(expected.len(), actual.len());
        for (index, (e, a)) in expected.iter().zip(&actual).enumerate() {
            let worst = e
                .iter()
                .zip(a)
                .map(|(e, a)| (e - a).abs())
                .fold(0.0, f32::max);
            assert!(
                worst < 1e-5,
                "parameter {index} on {device:?} differs by up to {worst}"
            );
        }
        let sum: f32 = actual.iter().flatten().sum();
        let probe = values(adam.parameter_sum())[0];
        assert!(
            (probe - sum).abs() <= 1e-3 * sum.abs().max(1.0),
            "{probe} against {sum}"
        );
    }
}
