//! Which device runs the model, and reading results back from it. burn 0.22 picks the backend
//! through [`Device`] at run time, so the rest of the crate never names one; this is the only
//! place that does. Every read is async, since a synchronous read on WebGPU in a browser panics.

use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// The backends a person can choose between in the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn-wgpu: WebGPU in a browser, Vulkan/Metal/DX12 natively.
    Webgpu,
    /// burn's CPU backend, compiled to wasm in the browser.
    Cpu,
}

impl BackendKind {
    pub fn label(self) -> &'static str {
        match self {
            BackendKind::Webgpu => "WebGPU",
            BackendKind::Cpu => CPU_LABEL,
        }
    }
}

/// The CPU backend, chosen explicitly (never `Device::default()`): NdArray trained this model
/// 17% faster than Flex in Chromium's wasm (6.9 against 5.9 steps/s, README's Backends section),
/// though burn 0.22 deprecates it in Flex's favour.
pub fn cpu_device() -> Device {
    #[allow(deprecated)]
    Device::ndarray()
}

/// Whether `device` is a GPU (burn's cubecl runtimes: WebGPU, Vulkan, Metal, …), for the few
/// operations whose best form differs between a GPU and the CPU (src/conv.rs).
pub fn runs_on_gpu(device: &Device) -> bool {
    device.clone().without_autodiff() != cpu_device()
}

#[cfg(target_family = "wasm")]
const CPU_LABEL: &str = "CPU (burn ndarray, wasm)";
#[cfg(not(target_family = "wasm"))]
const CPU_LABEL: &str = "CPU (burn ndarray, native)";

/// A wgpu runtime can be initialised once per process (once per page in a browser); a second
/// init fails, so the first device is kept and cloned.
static GPU_DEVICE: Mutex<Option<Device>> = Mutex::new(None);

/// The WebGPU device (Vulkan natively), initialised on first use.
pub async fn gpu_device() -> Result<Device, String> {
    if let Some(device) = GPU_DEVICE.lock().map_err(|e| e.to_string())?.as_ref() {
        return Ok(device.clone());
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| format!("WebGPU is not available: {e}"))?;
    *GPU_DEVICE.lock().map_err(|e| e.to_string())? = Some(device.clone());
    Ok(device)
}

/// The device of the given kind.
pub async fn open(kind: BackendKind) -> Result<Device, String> {
    match kind {
        BackendKind::Webgpu => gpu_device().await,
        BackendKind::Cpu => Ok(cpu_device()),
    }
}

/// Reads 1-D tensors back from the device as one: concatenated there first, so the read is one
/// round trip. On WebGPU each tensor read is its own `mapAsync`, even within a transaction
/// (counted by `scripts/bench.mjs`: a chunk of training steps took 3 and a weight sync 14 when
/// read tensor by tensor). `what` names the values in errors.
pub async fn read_concatenated(tensors: Vec<Tensor<1>>, what: &str) -> Result<Vec<f32>, String> {
    let expected: usize = tensors.iter().map(|t| t.dims()[0]).sum();
    let values = Tensor::cat(tensors, 0)
        .into_data_async()
        .await
        .map_err(|e| format!("reading {what} back from the device failed: {e:?}"))?
        .try_into_vec::<f32>()
        .map_err(|e| format!("unexpected values for {what} from the device: {e:?}"))?;
    if values.len() != expected {
        return Err(format!(
            "the device returned {} values for {what}, not {expected}",
            values.len()
        ));
    }
    Ok(values)
}

/// Single-element tensors, read back in one readback ([`read_concatenated`]).
pub async fn read_scalars<const N: usize>(tensors: [Tensor<1>; N]) -> Result<[f64; N], String> {
    let values = read_concatenated(
        tensors.into_iter().map(|t| t.reshape([1])).collect(),
        "figures",
    )
    .await?;
    let mut out = [0.0; N];
    for (slot, value) in out.iter_mut().zip(values) {
        *slot = f64::from(value);
    }
    Ok(out)
}
