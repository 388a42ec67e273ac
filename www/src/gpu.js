// Finds out what WebGPU this browser offers, to pick the training backend.

/**
 * @typedef {{available: boolean, software: boolean, description: string}} GpuSupport
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
  return { available: true, software, description: name };
}

/**
 * The backend to train on: `?backend=webgpu|cpu` when given, else WebGPU on a hardware adapter
 * and the CPU otherwise.
 * @param {GpuSupport} gpu
 * @returns {'webgpu' | 'cpu'}
 */
export function chooseBackend(gpu) {
  const asked = new URLSearchParams(location.search).get('backend');
  if (asked === 'cpu' || (asked === 'webgpu' && gpu.available)) return asked;
  return gpu.available && !gpu.software ? 'webgpu' : 'cpu';
}

/** One sentence on why the backend is what it is. */
export function describeBackend(gpu, backend) {
  if (!gpu.available) return `Training on the CPU: ${gpu.description}.`;
  if (backend === 'cpu' && gpu.software) return `Training on the CPU: the WebGPU adapter here (${gpu.description}) is a software renderer, slower than the CPU backend. Switch to WebGPU to try it anyway.`;
  return `WebGPU adapter: ${gpu.description}.`;
}
