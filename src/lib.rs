//! latent-lab: a variational autoencoder that trains and runs in a browser tab.
//!
//! The model, the ELBO, the data and the trainer are plain burn code that does not care which
//! backend runs it: the browser picks WebGPU or a CPU backend at run time through [`Device`],
//! and the tests run the same code natively. Only [`web`] touches wasm-bindgen; it builds
//! natively too.
//!
//! [`Device`]: burn::tensor::Device

// No import circles: no module uses, even through others, one that uses it (tests/layout.rs).
pub mod conv;
pub mod data;
pub mod device;
pub mod evaluation;
pub mod likelihood;
pub mod limits;
pub mod memory;
pub mod model;
pub mod objective;
pub mod optimizer_settings;
pub mod packing;
pub mod posterior;
pub mod progress;
pub mod trainer;
pub mod web;
pub mod weights;
