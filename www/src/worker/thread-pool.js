// The pool of Web Workers that burn's CPU backend runs on in the threaded build: started by
// wasm-bindgen-rayon's `initThreadPool`, which calls `startWorkers` below. The build puts this
// file in place of the crate's own helper (scripts/bundle.mjs), which starts each thread from
// `import.meta.url`, an address a worker started from a Blob does not have. Each thread here is
// started from a Blob of its bundled source (pool-thread.js), so the page's Content-Security-Policy
// (`worker-src blob:`) and a page without a bundler's module URLs both hold.

/* global __POOL_THREAD_SOURCE__ */

/** Kept so that no browser collects a worker that only shares memory with this one. */
let threads = [];

/**
 * Starts `builder.numThreads()` workers on the same module and shared memory, each handed its
 * end of rayon's thread registry (`receiver`), then lets rayon build the pool.
 * @param {WebAssembly.Module} module
 * @param {WebAssembly.Memory} memory shared
 * @param {{numThreads: () => number, receiver: () => number, build: () => void}} builder
 */
export async function startWorkers(module, memory, builder) {
  const count = builder.numThreads();
  if (count < 1) throw new Error(`a pool needs at least one thread (asked for ${count})`);
  const receiver = builder.receiver();
  const url = URL.createObjectURL(new Blob([__POOL_THREAD_SOURCE__], { type: 'text/javascript' }));
  try {
    threads = await Promise.all(Array.from({ length: count }, (_, i) => startThread(url, i, { module, memory, receiver })));
  } finally {
    URL.revokeObjectURL(url);
  }
  builder.build();
}

/** One thread of the pool, resolved once its wasm instance is up. */
function startThread(url, index, init) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { name: `latent-lab CPU thread ${index + 1}` });
    worker.onmessage = ({ data }) => {
      if (data?.type !== 'ready') return;
      worker.onmessage = null;
      worker.onerror = null;
      resolve(worker);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`CPU thread ${index + 1} did not start: ${e.message}`));
    };
    worker.postMessage({ type: 'init', ...init });
  });
}
