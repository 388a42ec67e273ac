// Instrumentation for the soak test, never in the shipped page: scripts/bundle.mjs injects this
// module into the worker only for the soak's build. It counts the bytes of the worker's live
// WebGPU buffers, which the worker's memory report then includes (RELIABILITY.md).

import { onEveryGpuDevice } from './device.js';

/** Bytes and number of the buffers created and neither destroyed nor collected yet. */
const live = { bytes: 0, buffers: 0 };

/** Buffers are live from creation until destroyed or collected. */
function countBuffers(device) {
  const released = new FinalizationRegistry((size) => release(size));
  const release = (size) => {
    live.bytes -= size;
    live.buffers -= 1;
  };
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor) => {
    const buffer = createBuffer(descriptor);
    const size = descriptor.size;
    live.bytes += size;
    live.buffers += 1;
    const token = {};
    released.register(buffer, size, token);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      if (released.unregister(token)) release(size);
      destroy();
    };
    return buffer;
  };
}

// Every device wgpu asks for, from the start: this module runs before the worker's own code.
onEveryGpuDevice(countBuffers);

/**
 * The live buffers, for the worker's memory report. Where the browser exposes `gc`
 * (`--js-flags=--expose-gc`, as the soak script runs it) buffers dropped without `destroy` are
 * collected first, so that only the ones still referenced count.
 * @returns {Promise<{gpuBufferBytes: number, gpuBuffers: number}>}
 */
self.latentLabGpuBuffers = async () => {
  if (self.gc) {
    self.gc();
    // Finalization callbacks run in a later task.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { gpuBufferBytes: live.bytes, gpuBuffers: live.buffers };
};
