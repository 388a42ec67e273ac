// Finds out what WebGPU this browser offers, to pick the training backend.

/**
 * @typedef {{available: boolean, software: boolean, description: string,
 *            largestBufferBytes?: number}} GpuSupport
 * @returns {Promise<GpuSupport>}
 */
export async function detectWebGpu() {
  if (!('gpu' in navigator)) return { available: false, software: false, description: 'this browser has no WebGPU (navigator.gpu is missing)' };
  let adapter = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { available: false, software: false, description: `WebGPU failed to start: ${e.message}` };
  }
  if (!adapter) return { available: false, software: false, description: 'WebGPU offers no adapter here' };
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  // A software adapter (SwiftShader, llvmpipe, lavapipe) runs shaders on the CPU, far slower
  // than burn's own CPU backend for this model (measured ~30×).
  const software = Boolean(info.isFallbackAdapter || adapter.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe|software/i.test(name);
  const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
  return { available: true, software, description: name, largestBufferBytes: Math.min(maxStorageBufferBindingSize, maxBufferSize) };
}

/** The backend asked for in the address (`?backend=webgpu|cpu`), if any. */
const askedBackend = () => new URLSearchParams(location.search).get('backend');

/**
 * The backend to train on: `?backend=webgpu|cpu` when given, else what the race chose in this
 * tab, else WebGPU on a hardware adapter (until the first Train races it) and the CPU otherwise.
 * @param {GpuSupport} gpu
 * @returns {'webgpu' | 'cpu'}
 */
export function chooseBackend(gpu) {
  const asked = askedBackend();
  if (asked === 'cpu' || (asked === 'webgpu' && gpu.available)) return asked;
  const race = rememberedRace();
  if (race && (race.chosen === 'cpu' || gpu.available)) return race.chosen;
  return gpu.available && !gpu.software ? 'webgpu' : 'cpu';
}

/** One sentence on why the backend is what it is. */
export function describeBackend(gpu, backend) {
  if (!gpu.available) return `Training on the CPU: ${gpu.description}.`;
  if (backend === 'cpu' && gpu.software) return `Training on the CPU: the WebGPU adapter here (${gpu.description}) is a software renderer, slower than the CPU backend. Switch to WebGPU to try it anyway.`;
  const race = rememberedRace();
  const timed = race ? ` Timed at the first Train: ${describeRace(race)}${backend !== race.chosen ? ` Training on ${LABELS[backend]} as you chose.` : ''}` : '';
  return `WebGPU adapter: ${gpu.description}.${timed}`;
}

/**
 * Which backend is faster depends on the GPU, the CPU and the model, and no adapter name tells:
 * on a hardware adapter the first Train times a few warmed steps on each (worker.js: `race`) and
 * trains on the faster. A software adapter trains on the CPU without a race: it measured about
 * 45–60× slower than the CPU path (BENCHMARKS.md). The verdict is kept in sessionStorage, for as
 * long as the tab is open.
 */
const RACE_KEY = 'latent-lab:backend-race';
const LABELS = { webgpu: 'WebGPU', cpu: 'the CPU' };
const SHORT = { webgpu: 'WebGPU', cpu: 'CPU' };

/** @returns {{speeds: Record<string, {imagesPerSecond?: number, error?: string}>, chosen: string} | null} */
export function rememberedRace() {
  try {
    const race = JSON.parse(sessionStorage.getItem(RACE_KEY));
    return race && LABELS[race.chosen] ? race : null;
  } catch {
    return null;
  }
}

export function rememberRace(race) {
  try {
    sessionStorage.setItem(RACE_KEY, JSON.stringify(race));
  } catch {
    // Storage refused (a private window's quota): the race runs again after a reload.
  }
}

/** The backends the first Train should race, or null: a hardware adapter, nothing asked in the
 * address, and no verdict yet in this tab. */
export function backendsToRace(gpu) {
  return gpu.available && !gpu.software && !askedBackend() && !rememberedRace() ? ['webgpu', 'cpu'] : null;
}

/** "WebGPU 4,100 images/s, CPU 2,900 images/s: WebGPU." */
export function describeRace(race) {
  const speed = ([kind, s]) => `${SHORT[kind]} ${s.imagesPerSecond ? `${Math.round(s.imagesPerSecond).toLocaleString('en-US')} images/s` : `failed (${s.error})`}`;
  return `${Object.entries(race.speeds).map(speed).join(', ')}: ${SHORT[race.chosen]}.`;
}

const GIB = 2 ** 30;
/**
 * What one training step may use on the CPU path, as the trainer estimates it (src/memory.rs).
 * The worker's wasm32 memory can never pass 4 GiB, and measured in the release wasm it grows
 * up to 1.15× the estimate (the allocator's own overhead), with an evaluation adding up to
 * about 0.2 GB: 2 GiB estimated is about 2.5 GB of wasm memory, well under the ceiling. It
 * refuses only the convolutional model with L = 16 above batch 582.
 */
const CPU_STEP_BYTES = 2 * GIB;
/** No setting needs a single tensor over 0.27 GB on the CPU path. */
const CPU_TENSOR_BYTES = 512 * 2 ** 20;
/**
 * WebGPU does not tell how much memory the GPU has, and the estimate is calibrated on the CPU
 * backend: the same ceiling, with each tensor within the adapter's largest storage buffer
 * (cubecl asks for the device with the adapter's own limits).
 */
const GPU_STEP_BYTES = 2 * GIB;

/**
 * The memory a training step may use on each backend, which the trainer checks a configuration
 * against before allocating anything. `navigator.deviceMemory` (Chromium's rounded figure, at
 * most 8) lowers it on small machines: a step gets at most a quarter of the machine.
 * @param {GpuSupport} gpu
 * @returns {{cpu: {totalBytes: number, largestTensorBytes: number}, webgpu?: {totalBytes: number, largestTensorBytes: number}}}
 */
export function memoryBudgets(gpu) {
  const machine = navigator.deviceMemory ? (navigator.deviceMemory * GIB) / 4 : Infinity;
  const budgets = { cpu: { totalBytes: Math.min(CPU_STEP_BYTES, machine), largestTensorBytes: CPU_TENSOR_BYTES } };
  if (gpu.available) {
    budgets.webgpu = { totalBytes: Math.min(GPU_STEP_BYTES, machine), largestTensorBytes: gpu.largestBufferBytes ?? 128 * 2 ** 20 };
  }
  return budgets;
}
