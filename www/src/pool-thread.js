// One thread of the CPU backend's pool (worker/thread-pool.js starts it): an instance of the
// threaded wasm on the training worker's shared memory, which then serves rayon's jobs until the
// worker that owns the pool ends.

import { initSync, wbg_rayon_start_worker } from '../../pkg-threads/latent_lab.js';

self.onmessage = ({ data }) => {
  if (data?.type !== 'init') return;
  self.onmessage = null;
  initSync({ module: data.module, memory: data.memory });
  postMessage({ type: 'ready' });
  // Runs rayon's loop for this thread; it returns only when the pool is dropped.
  wbg_rayon_start_worker(data.receiver);
};
