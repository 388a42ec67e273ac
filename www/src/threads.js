// Whether the CPU path can train on a pool of threads here, and on how many. Threads share one
// wasm memory, a SharedArrayBuffer, which browsers give only to a cross-origin isolated page:
// one served with `Cross-Origin-Opener-Policy: same-origin` and
// `Cross-Origin-Embedder-Policy: require-corp` (scripts/serve.mjs sends both). Elsewhere, a page
// opened from disk among them, the CPU path trains on one thread, in the single-threaded build.

/** A module of one shared memory: valid only where the browser has WebAssembly threads. */
const SHARED_MEMORY_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 3, 1, 1]);

/** How to make a static host isolate the page, for the note that says it is not. */
export const ISOLATION_HOWTO = 'serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, as scripts/demo.sh does';

/**
 * @typedef {{available: true, cores: number} | {available: false, cores: number, reason: string}} ThreadSupport
 * @returns {ThreadSupport}
 */
export function threadSupport() {
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  if (!globalThis.crossOriginIsolated) return { available: false, cores, reason: `this page is not cross-origin isolated (${ISOLATION_HOWTO})` };
  if (!WebAssembly.validate(SHARED_MEMORY_MODULE)) return { available: false, cores, reason: 'this browser has no WebAssembly threads' };
  return { available: true, cores };
}

/**
 * The pool's size: `?threads=N` in the address when given (clamped to 1…cores), else one thread
 * per core but one, which the main thread's slider decoder keeps.
 * @param {ThreadSupport} support
 */
export function chooseThreadCount(support) {
  const asked = Number(new URLSearchParams(location.search).get('threads'));
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, support.cores);
  return Math.max(1, support.cores - 1);
}

/**
 * One sentence on the CPU path's threads.
 * @param {ThreadSupport} support
 * @param {import('./protocol.js').Threads | null} pool the pool in use, if any
 */
export function describeThreads(support, pool) {
  if (!pool) return `The CPU path trains on 1 thread: ${support.reason}.`;
  return `The CPU path trains on ${pool.count} thread${pool.count === 1 ? '' : 's'} of this machine's ${support.cores} cores.`;
}
