// Gets the bytes the page needs: the wasm module, the dataset and the shipped models. Over HTTP
// they are fetched;
// opened from disk (file://), where Chromium blocks fetch, they come from classic scripts the
// build writes with the bytes embedded (gzip, base64), which file:// pages may load.

/** @typedef {'wasm' | 'threaded-wasm' | 'dataset' | 'model-20' | 'model-2'} Asset */

const URLS = {
  wasm: 'dist/latent_lab_bg.wasm',
  // Fetched only by a cross-origin isolated page, which file:// never is: not embedded.
  'threaded-wasm': 'dist/latent_lab_threads_bg.wasm',
  dataset: 'data/mnist-10k.bin',
  'model-20': 'models/latent-20.bpk',
  'model-2': 'models/latent-2.bpk',
};

/** The latent sizes that have a model shipped with the page, trained by the native trainer. */
export const SHIPPED_LATENT_SIZES = [20, 2];

/**
 * @param {Asset} asset
 * @returns {Promise<Uint8Array>}
 */
export async function loadBytes(asset) {
  if (location.protocol === 'file:') return new Uint8Array(await embeddedBytes(asset));
  const response = await fetch(URLS[asset]);
  if (!response.ok) throw new Error(`${URLS[asset]}: HTTP ${response.status}. Run scripts/demo.sh to build the page.`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The model shipped for a latent size. */
export function loadShippedModel(latentSize) {
  return loadBytes(`model-${latentSize}`);
}

/**
 * Compiles a wasm module once: the single-threaded build (`wasm`), which the main thread and the
 * worker both instantiate, or the threaded one (`threaded-wasm`), the worker's CPU path on a
 * pool of threads.
 * @param {'wasm' | 'threaded-wasm'} asset
 */
export async function compileWasm(asset = 'wasm') {
  if (location.protocol !== 'file:' && WebAssembly.compileStreaming) {
    const response = fetch(URLS[asset]).then((r) => {
      if (!r.ok) throw new Error(`${URLS[asset]}: HTTP ${r.status}. Run scripts/demo.sh to build the page.`);
      return r;
    });
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await loadBytes(asset));
}

/** @param {Asset} asset */
async function embeddedBytes(asset) {
  const src = `dist/embedded-${asset}.js`;
  await new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} is missing. Run scripts/demo.sh to build the page.`));
    document.head.append(script);
  });
  const base64 = globalThis.LATENT_LAB_EMBEDDED?.[asset];
  if (!base64) throw new Error(`${src} did not define the ${asset} bytes`);
  delete globalThis.LATENT_LAB_EMBEDDED[asset];
  const gzipped = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const stream = new Blob([gzipped]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}
