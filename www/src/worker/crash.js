// A worker whose wasm trapped (Rust aborts on a failed allocation or a panic) may hold
// half-updated state, and a future it was polling never settles: it reports the crash once and
// answers nothing more, and the page replaces it. The browser tests can make it trap on purpose.

import { FROM_WORKER, post } from '../protocol.js';
import { unlessDeviceLost } from './device.js';

let crashed = false;
/** The last message Rust's panic hook wrote, which names what failed ("memory allocation of …"). */
let lastPanic = null;
/** Ends training, so no further chunk runs on the instance that trapped. */
let stopTraining = () => {};

/** Whether the worker crashed: every message after that is ignored. */
export const hasCrashed = () => crashed;

/**
 * Listens for what no `catch` sees: a trap inside a future that wasm-bindgen polls from a
 * microtask surfaces only as the scope's `error` or `unhandledrejection`, and the promise the
 * command awaits never settles.
 * @param {() => void} stop ends training
 */
export function watchCrashes(stop) {
  stopTraining = stop;
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    lastPanic = args.map(String).join(' ');
    consoleError(...args);
  };
  self.addEventListener?.('error', (e) => crash(e.error ?? e.message));
  self.addEventListener?.('unhandledrejection', (e) => crash(e.reason));
}

/** Reports the crash, once; a lost GPU device makes wgpu fail too, and is reported as such. */
export function crash(error) {
  if (crashed) return;
  crashed = true;
  stopTraining();
  unlessDeviceLost(() => {
    const message = [error?.message ?? String(error), lastPanic].filter(Boolean).join(': ');
    post({ type: FROM_WORKER.crashed, message });
  });
}

/**
 * For the browser tests only (set through Playwright in the worker): makes the next training
 * chunk, import or pause fail the way an out-of-memory trap does, with an error thrown outside
 * any promise chain and a call that never returns; or ('diverge') makes the next chunk's
 * weights NaN, as a device computing wrongly would, so that it diverges and rolls back; or
 * ('hold-export') holds the next export's answer until `release()`, so that a test can send
 * commands while the page waits on it to hand the worker over.
 * @type {{next: null | 'train' | 'load' | 'pause' | 'diverge' | 'hold-export', release: () => void}}
 */
const faults = { next: null, release: () => {} };
self.latentLabFaults = faults;

/** At `point`, waits for the tests' `release()` if they asked for it, else nothing. */
export function holdIfAsked(point) {
  if (faults.next !== `hold-${point}`) return undefined;
  faults.next = null;
  return new Promise((resolve) => (faults.release = resolve));
}

/** Whether the tests asked for the next chunk to diverge (once). */
export function divergeIfAsked() {
  if (faults.next !== 'diverge') return false;
  faults.next = null;
  return true;
}

/** At `point`, traps if the tests asked for it (a promise that never settles), else nothing. */
export function trapIfAsked(point) {
  if (faults.next !== point) return undefined;
  faults.next = null;
  setTimeout(() => {
    throw new WebAssembly.RuntimeError('unreachable');
  });
  return new Promise(() => {});
}
