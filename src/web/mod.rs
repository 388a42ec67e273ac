//! The wasm surface: the only module that knows wasm-bindgen and `JsValue`.
//!
//! Two opaque handles, following the Rust-wasm book's "big state lives in wasm" pattern:
//! [`TrainerHandle`] lives in the Web Worker and owns the training model on WebGPU or the CPU;
//! [`Viewer`] lives on the main thread on the CPU and answers the sliders, the drawing pad and
//! the latent views synchronously, so they stay instant however long a training step takes.
//! Weights move between them as weights files ([`crate::weights`]). What JS passes in and reads
//! back is plain serde types in camelCase ([`options`]).
//!
//! The bindings are `cfg_attr(target_family = "wasm", …)`, so this module also builds natively,
//! where the tests call the same handles through their Rust-typed methods (tests/web.rs). Every
//! error reaches JS as an `Error` with a message, and with a `kind` where JS branches on it;
//! nothing here panics on bad input.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
#[cfg(target_family = "wasm")]
use wasm_bindgen::prelude::*;

mod dataset;
pub mod options;
mod page;
mod trainer;
mod viewer;

pub use dataset::{
    DatasetBuilder, idx_images_file, idx_labels_file, idx_rank, image_size, looks_like_idx,
};
pub use options::{TrainerOptions, TrainingSettings};
pub use page::{
    DatasetSummary, check_training_settings, check_training_settings_for_js, dataset_summary,
    dataset_summary_for_js, figure_meaning_for_js, setting_limits_for_js,
};
pub use trainer::TrainerHandle;
pub use viewer::{Reconstruction, Viewer};

/// `initThreadPool(n)` in the threaded build: starts the rayon pool of `n` Web Workers that
/// burn's CPU backend runs on. It must resolve before anything uses rayon, which panics on a
/// pool that is not there.
#[cfg(all(target_family = "wasm", feature = "threads"))]
pub use wasm_bindgen_rayon::init_thread_pool;

#[cfg(target_family = "wasm")]
unsafe extern "C" {
    /// Synthesised by the wasm linker: runs every static constructor in the module.
    fn __wasm_call_ctors();
}

#[cfg(target_family = "wasm")]
#[wasm_bindgen(start)]
pub fn start() {
    // cubecl's IR (pliron) registers thousands of static constructors (the `inventory` crate).
    // A module that never runs them itself is linked "command-style": the linker runs them all
    // again at the top of every exported function, so each call from JS, even a getter, cost
    // 15–20 ms (settingLimits: 15 ms a call in Node, all of it in the constructors). Running
    // them once here, at instantiation, makes the linker leave the exports alone.
    // SAFETY: called once per instance, before any other export; inventory's constructors
    // are idempotent besides.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
}

/// The failures JS branches on; everything else is a message for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// WebGPU did not start: the worker falls back to the CPU. A bad setting is never this.
    NoWebgpu,
}

impl ErrorKind {
    fn name(self) -> &'static str {
        match self {
            ErrorKind::NoWebgpu => "no-webgpu",
        }
    }
}

/// An error on its way to JS: thrown there as an `Error` with this message, and a `kind` when
/// it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct WebError {
    pub kind: Option<ErrorKind>,
    pub message: String,
}

impl WebError {
    pub fn of_kind(kind: ErrorKind, message: impl std::fmt::Display) -> Self {
        Self {
            kind: Some(kind),
            message: message.to_string(),
        }
    }
}

impl From<String> for WebError {
    fn from(message: String) -> Self {
        Self {
            kind: None,
            message,
        }
    }
}

impl From<&str> for WebError {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

impl From<WebError> for JsValue {
    fn from(error: WebError) -> JsValue {
        let thrown = js_sys::Error::new(&error.message);
        if let Some(kind) = error.kind {
            // Setting a property on a fresh object cannot fail.
            let _ = js_sys::Reflect::set(&thrown, &"kind".into(), &kind.name().into());
        }
        thrown.into()
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, WebError> {
    serde_wasm_bindgen::to_value(value).map_err(|e| WebError::from(e.to_string()))
}

fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, WebError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| WebError::from(format!("bad {what}: {e}")))
}

/// Sets `key` on a JS object: for typed arrays, which serde would turn into arrays of numbers.
fn set_property(object: &JsValue, key: &str, value: JsValue) -> Result<(), WebError> {
    js_sys::Reflect::set(object, &key.into(), &value)
        .map(|_| ())
        .map_err(|_| WebError::from(format!("could not set {key} on the result")))
}
