//! Which device runs the model, and reading results back from it. burn 0.22 picks the backend
//! through [`Device`] at run time, so the rest of the crate never names one; this is the only
//! place that does. Every read is async, since a synchronous read on WebGPU in a browser panics.

use burn::prelude::*;
use serde::{Deserialize, Serialize};
#[cfg(feature = "webgpu")]
use std::sync::Mutex;

use crate::packing::Layout;

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
    /// "WebGPU", or the CPU backend with its thread count where it has a pool of threads.
    pub fn label(self) -> String {
        match self {
            BackendKind::Webgpu => "WebGPU".into(),
            BackendKind::Cpu if cfg!(feature = "threads") => match pool_threads() {
                1 => format!("{CPU_LABEL}, 1 thread"),
                threads => format!("{CPU_LABEL}, {threads} threads"),
            },
            BackendKind::Cpu => CPU_LABEL.into(),
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

/// The size of the CPU backend's pool of Web Workers in the page's threaded build, 1 everywhere
/// else. burn's CPU backend runs the blocks of a batched product on that pool, but a plain 2-D
/// product on one thread (in wasm its GEMM cannot start threads of its own), so the model splits
/// its products into this many blocks. Natively burn's own threads are left to themselves.
pub fn pool_threads() -> usize {
    #[cfg(all(target_family = "wasm", feature = "threads"))]
    return rayon::current_num_threads();
    #[cfg(not(all(target_family = "wasm", feature = "threads")))]
    1
}

/// Runs `work` (a chunk of training steps) where burn's CPU backend runs it fastest. With a pool
/// of one thread (the page's threaded build on two cores, by default), on that thread: each
/// parallel product inside is then a plain call, where from outside the pool it would be handed
/// over and waited for. With more, here: measured in Chromium on two cores (batch 128), the
/// chunk on a pool thread trained at 2,800 images/s on two threads against 3,360 from here,
/// and on one thread at 3,295 against 3,063.
pub fn on_cpu_threads<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    #[cfg(all(target_family = "wasm", feature = "threads"))]
    if rayon::current_num_threads() == 1 {
        return rayon::scope(|_| work());
    }
    work()
}

#[cfg(target_family = "wasm")]
const CPU_LABEL: &str = "CPU (burn ndarray, wasm)";
#[cfg(not(target_family = "wasm"))]
const CPU_LABEL: &str = "CPU (burn ndarray, native)";

/// A wgpu runtime can be initialised once per process (once per page in a browser); a second
/// init fails, so the first device is kept and cloned.
#[cfg(feature = "webgpu")]
static GPU_DEVICE: Mutex<Option<Device>> = Mutex::new(None);

/// The WebGPU device (Vulkan natively), initialised on first use.
#[cfg(feature = "webgpu")]
pub async fn gpu_device() -> Result<Device, String> {
    if let Some(device) = GPU_DEVICE.lock().map_err(|e| e.to_string())?.as_ref() {
        return Ok(device.clone());
    }
    #[cfg(target_family = "wasm")]
    let device = Device::wgpu_options()
        .setup(webgpu_setup().await?)
        .init()
        .map_err(|e| format!("WebGPU is not available: {e}"))?;
    #[cfg(not(target_family = "wasm"))]
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| format!("WebGPU is not available: {e}"))?;
    *GPU_DEVICE.lock().map_err(|e| e.to_string())? = Some(device.clone());
    Ok(device)
}

/// The most storage buffers a shader stage of the page's WebGPU device may bind. burn's fusion
/// sizes its fused kernels to the device's limit, and with 15 or more it splits a training step
/// of the default model into 115–120 dispatches instead of 81–82 (Mesa 25's lavapipe in Dawn,
/// which offers 16; SwiftShader offers 12). Measured with `scripts/bench-webgpu-node.mjs
/// --driver lavapipe` and a temporary wrapper around `requestAdapter` that lowered the limit it
/// reports, to each of 8, 10–16: 107, 85, 82, 82, 82, 81, 120, 115 dispatches a step
/// (BENCHMARKS.md, "Fusion and the storage-buffer limit"). The convolutional model's step is
/// the same at 14 and 16 (225 and 222).
#[cfg(all(feature = "webgpu", target_family = "wasm"))]
pub const WEBGPU_STORAGE_BUFFERS: u32 = 14;

/// The browser's WebGPU adapter and a device on it, requested as burn's own setup requests it
/// (the adapter's features and limits, memory hints for usage) except for the storage buffers,
/// capped at [`WEBGPU_STORAGE_BUFFERS`].
#[cfg(all(feature = "webgpu", target_family = "wasm"))]
async fn webgpu_setup() -> Result<burn::tensor::wgpu::WgpuSetup, String> {
    use burn::tensor::wgpu::{WgpuSetup, wgpu};
    let unavailable = |e: String| format!("WebGPU is not available: {e}");
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::BROWSER_WEBGPU,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    let mut limits = adapter.limits();
    limits.max_storage_buffers_per_shader_stage = limits
        .max_storage_buffers_per_shader_stage
        .min(WEBGPU_STORAGE_BUFFERS);
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: None,
            required_features: adapter
                .features()
                .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
            required_limits: limits,
            memory_hints: wgpu::MemoryHints::MemoryUsage,
            trace: wgpu::Trace::Off,
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
        })
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    Ok(WgpuSetup {
        instance,
        adapter,
        device,
        queue,
        backend: wgpu::Backend::BrowserWebGpu,
    })
}

/// The threaded CPU build of the page has no WebGPU (Cargo.toml says why).
#[cfg(not(feature = "webgpu"))]
pub async fn gpu_device() -> Result<Device, String> {
    Err("WebGPU is not available: this build is the threaded CPU one".into())
}

/// The device of the given kind.
pub async fn open(kind: BackendKind) -> Result<Device, String> {
    match kind {
        BackendKind::Webgpu => gpu_device().await,
        BackendKind::Cpu => Ok(cpu_device()),
    }
}

/// Reads 1-D tensors back from the device as one: packed there first, so the read is one round
/// trip. On WebGPU each tensor read is its own `mapAsync`, even within a transaction (counted by
/// `scripts/bench.mjs`: a chunk of training steps took 3 and a weight sync 14 when read tensor by
/// tensor), and `Tensor::cat` costs a dispatch per tensor where packing costs one per
/// [`crate::packing::PACK_INPUTS`]. `what` names the values in errors.
pub async fn read_concatenated(tensors: Vec<Tensor<1>>, what: &str) -> Result<Vec<f32>, String> {
    if tensors.is_empty() {
        return Ok(Vec::new());
    }
    let layout = Layout::back_to_back(tensors.iter().map(|t| t.shape()).collect());
    let expected = layout.len();
    let values = layout
        .pack(
            tensors
                .into_iter()
                .map(|t| t.inner().into_dispatch())
                .collect(),
        )
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
