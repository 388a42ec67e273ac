// The page's script as esbuild bundles it: the training worker and the dataset worker first, their
// sources inlined into app.js, to be started from a Blob; and before them, one thread of the
// threaded build's pool, its source inlined into the training worker the same way
// (www/src/worker/thread-pool.js).
// scripts/build-www.mjs writes the shipped page with it; scripts/soak.mjs serves the same page
// with an instrumented worker, which also counts its live WebGPU buffers
// (www/src/worker/gpu-buffers.js, injected ahead of the worker's own code).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'www', 'src');

const common = {
  bundle: true,
  format: 'iife',
  target: 'chrome113',
  // LATENT_LAB_NO_MINIFY=1 keeps the functions' names, for reading a profile of the page.
  minify: !process.env.LATENT_LAB_NO_MINIFY,
  legalComments: 'eof',
  // wasm-bindgen's glue mentions import.meta.url only for a default path we never use: the
  // compiled module is always passed in.
  logOverride: { 'empty-import-meta': 'silent' },
};

/**
 * wasm-bindgen-rayon's helper that starts the pool's threads, swapped for the page's own
 * (www/src/worker/thread-pool.js, which says why).
 * @type {import('esbuild').Plugin}
 */
export const threadPool = {
  name: 'thread-pool',
  setup(build) {
    build.onResolve({ filter: /workerHelpers\.no-bundler\.js$/ }, () => ({ path: join(src, 'worker', 'thread-pool.js') }));
  },
};

/**
 * Bundles the page: app.js and the app.css beside it.
 * @param {{outfile: string, write?: boolean, instrumented?: boolean}} options without `write`,
 *   nothing is written and the files come back
 * @returns {Promise<import('esbuild').OutputFile[] | undefined>}
 */
export async function bundlePage({ outfile, write = true, instrumented = false }) {
  const poolThread = await build({
    ...common,
    entryPoints: [join(src, 'pool-thread.js')],
    plugins: [threadPool],
    // A pool thread never starts threads of its own.
    define: { __POOL_THREAD_SOURCE__: '""' },
    write: false,
  });
  const worker = await build({
    ...common,
    entryPoints: [join(src, 'worker.js')],
    inject: instrumented ? [join(src, 'worker', 'gpu-buffers.js')] : [],
    plugins: [threadPool],
    define: { __POOL_THREAD_SOURCE__: JSON.stringify(poolThread.outputFiles[0].text) },
    write: false,
  });
  const datasetWorker = await build({ ...common, entryPoints: [join(src, 'dataset-worker.js')], write: false });
  const page = await build({
    ...common,
    entryPoints: [join(src, 'main.js')],
    outfile,
    write,
    define: {
      __WORKER_SOURCE__: JSON.stringify(worker.outputFiles[0].text),
      __DATASET_WORKER_SOURCE__: JSON.stringify(datasetWorker.outputFiles[0].text),
    },
  });
  return page.outputFiles;
}
