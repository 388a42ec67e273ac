//! latent-lab: a variational autoencoder that trains and runs in a browser tab.
//!
//! The model, the ELBO, the data and the trainer are plain burn code that does not care which
//! backend runs it: the browser picks WebGPU or a CPU backend at run time through [`Device`],
//! and the tests run the same code natively. Only [`web`] touches wasm-bindgen.
//!
//! [`Device`]: burn::tensor::Device

pub mod backend;
pub mod conv;
pub mod data;
pub mod elbo;
pub mod evaluation;
pub mod limits;
pub mod memory;
pub mod model;
pub mod trainer;
pub mod weights;

#[cfg(target_family = "wasm")]
pub mod web;
