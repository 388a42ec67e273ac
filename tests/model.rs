//! The model's shapes and config checks.

mod common;

use burn::prelude::*;
use burn::tensor::Distribution;
use latent_lab::model::{Architecture, Covariance, VaeConfig};

fn check_shapes(latent: usize) {
    let device = common::device();
    let model = VaeConfig::new().with_latent_size(latent).init(&device);
    assert_eq!(model.latent_size(), latent);
    let images = Tensor::<2>::random([3, 784], Distribution::Default, &device);
    let noise = Tensor::<2>::random([3, latent], Distribution::Normal(0.0, 1.0), &device);
    let output = model.forward(images.clone(), noise);
    assert_eq!(output.posterior.mean.dims(), [3, latent]);
    assert_eq!(output.posterior.log_variance.dims(), [3, latent]);
    assert_eq!(output.logits.dims(), [3, 784]);

    let (mean, probabilities) = model.reconstruct(images);
    assert_eq!(mean.dims(), [3, latent]);
    assert_eq!(probabilities.dims(), [3, 784]);
    let p = common::values(model.decode_mean(Tensor::zeros([2, latent], &device)));
    assert_eq!(p.len(), 2 * 784);
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn shapes_with_the_default_latent_size() {
    assert_eq!(VaeConfig::new().latent_size, 20);
    check_shapes(20);
}

#[test]
fn shapes_with_a_two_dimensional_latent() {
    check_shapes(2);
}

#[test]
fn config_refuses_sizes_it_cannot_build() {
    for latent in [0, 1000] {
        let err = VaeConfig::new()
            .with_latent_size(latent)
            .validate()
            .unwrap_err();
        assert!(err.contains("latent size"), "{err}");
    }
    assert!(VaeConfig::new().with_latent_size(2).validate().is_ok());
    assert!(VaeConfig::new().with_hidden_size(0).validate().is_err());
}

#[test]
fn shapes_of_the_convolutional_full_covariance_variant() {
    let device = common::device();
    let model = VaeConfig::new()
        .with_architecture(Architecture::Conv)
        .with_covariance(Covariance::Full)
        .init(&device);
    let images = Tensor::<2>::random([3, 784], Distribution::Default, &device);
    // Two samples of z per image.
    let noise = Tensor::<2>::random([6, 20], Distribution::Normal(0.0, 1.0), &device);
    let output = model.forward(images, noise);
    assert_eq!(output.posterior.lower.as_ref().unwrap().dims(), [3, 20, 20]);
    assert_eq!(output.z.dims(), [6, 20]);
    assert_eq!(output.logits.dims(), [6, 784]);
    // L is strictly lower-triangular below its positive diagonal.
    let lower = common::values(output.posterior.lower.unwrap());
    for (i, v) in lower.iter().enumerate() {
        let (row, col) = ((i / 20) % 20, i % 20);
        if col >= row {
            assert_eq!(*v, 0.0, "entry ({row}, {col}) of the strictly lower part");
        }
    }
}
