// The model being trained in the worker: its trainer, the settings every new trainer is built
// with, its chunks of training steps and the work beside them that the page sees (held-out
// reports, gap estimates, weights for the viewer).

import init, { TrainerHandle } from '../../../pkg/latent_lab.js';
import initThreaded, { TrainerHandle as ThreadedTrainerHandle, initThreadPool } from '../../../pkg-threads/latent_lab.js';
import { FROM_WORKER, post } from '../protocol.js';
import { BudgetScheduler } from './scheduler.js';

/** A chunk of steps between readbacks lasts about this long, so Pause answers quickly. */
const CHUNK_TARGET_MS = 100;
/** Held-out digits for the gap: fewer as k grows, so one estimate costs about the same. */
const gapDigits = (k) => Math.max(16, Math.min(100, Math.floor(6400 / k)));

export class Model {
  constructor() {
    /** @type {TrainerHandle | null} */
    this.trainer = null;
    /** The wasm instance's exports (its memory, for the memory report). */
    this.wasm = null;
    /** The threaded build and the pool's size, when the CPU path may train on threads. */
    this.threads = null;
    /** The threaded build's exports, once a CPU trainer has started its pool. */
    this.threadedWasm = null;
    /** @type {Promise<void> | null} the pool starting or started */
    this.pool = null;
    /** @type {Uint8Array | null} the training and held-out digits */
    this.dataset = null;
    /** @type {import('../protocol.js').Optimizer} kept across trainers */
    this.optimizer = {};
    /** @type {Record<string, import('../protocol.js').MemoryBudget>} by backend */
    this.memoryBudgets = {};
    /** What a reset builds: {model, objective, data} (protocol.js: Reset). */
    this.fresh = null;
    /** Importance samples of the gap estimate. */
    this.gapK = 16;
    /** Steps in the next chunk, sized to last about CHUNK_TARGET_MS. */
    this.chunk = 1;
    this.stepsPerSecond = null;
    this.budget = new BudgetScheduler();
  }

  /** Starts the wasm and takes the page's first settings (protocol.js: Init). */
  async init(message) {
    this.wasm = await init({ module_or_path: message.module });
    this.threads = message.threads ?? null;
    this.dataset = new Uint8Array(await message.dataset.arrayBuffer());
    this.gapK = message.gapK ?? this.gapK;
    this.optimizer = message.optimizer ?? this.optimizer;
    this.memoryBudgets = message.memoryBudgets ?? {};
  }

  /**
   * A trainer on `backend` from `weights` (fresh ones when absent, as `settings.model` asks) with
   * `settings` (`{model?, objective?, optimizer?, data?}`, what the weights file does not bring), refused if a step would not fit that backend's
   * memory budget. It is not the model's trainer until `start` makes it so.
   * @returns {Promise<TrainerHandle>}
   */
  async newTrainer(backend, settings, weights) {
    // The threaded build has no WebGPU (Cargo.toml says why): WebGPU stays on the other one.
    if (backend === 'cpu' && this.threads) {
      try {
        await this.startPool();
      } catch (e) {
        // Workers refused (a browser's limit on them, memory): one thread still trains.
        this.threads = null;
        post({ type: FROM_WORKER.error, message: `The CPU path's threads did not start (${e?.message ?? e}); training on one thread instead.` });
      }
    }
    const Trainer = backend === 'cpu' && this.threads ? ThreadedTrainerHandle : TrainerHandle;
    return Trainer.create({ backend, ...settings, memoryBudget: this.memoryBudgets[backend] }, this.dataset, weights);
  }

  /**
   * Starts the threaded build and its pool, once, when the CPU path first needs them: training on
   * WebGPU never does. The pool starts before anything uses rayon, which panics without one.
   */
  startPool() {
    this.pool ??= (async () => {
      this.threadedWasm = await initThreaded({ module_or_path: this.threads.module });
      await initThreadPool(this.threads.count);
    })();
    return this.pool;
  }

  /**
   * Replaces the trainer with one on `backend` starting from `weights` (fresh ones as the last
   * reset asked when absent). All or nothing: the new trainer is built and everything the page
   * will show of it read first; only then is the old one freed and the new one announced (a
   * `started` carrying `seq`), so a file that fails anywhere on the way leaves the model being
   * trained, and the page, as they were.
   * @param {string} reason what brought it, for the page
   * @param {boolean | 'views'} evaluateFirst whether to send its held-out report and gap at once;
   *   'views': the report only, for the views, not to be plotted (a restored model, whose plot
   *   already ends at its step)
   */
  async start(reason, backend, weights, evaluateFirst, seq) {
    // A weights file brings its own model, objective and optimizer settings; the page's optimizer
    // settings apply to fresh weights and to a rebuild of the same weights under new ones.
    const ownSettings = reason === 'init' || reason === 'load';
    const options = { ...(weights ? {} : this.fresh), ...(ownSettings ? {} : { optimizer: this.optimizer }) };
    let next;
    try {
      next = await this.newTrainer(backend, options, weights);
    } catch (e) {
      // Only a device that will not start falls back to the CPU; bad settings are refused.
      if (backend !== 'webgpu' || e?.kind !== 'no-webgpu') throw e;
      post({ type: FROM_WORKER.error, message: `WebGPU could not start (${e.message}); training on the CPU instead.` });
      next = await this.newTrainer('cpu', options, weights);
    }
    let announced;
    try {
      const settings = next.settings();
      const progress = next.progress();
      const bytes = await next.exportWeights();
      announced = { type: FROM_WORKER.started, reason, settings, progress, weights: bytes, weightsBlob: weightsBlob(bytes), backend: next.backend(), seq };
    } catch (e) {
      next.free();
      throw e;
    }
    this.trainer?.free();
    this.trainer = next;
    this.optimizer = announced.settings.optimizer;
    post(announced, [announced.weights.buffer]);
    this.chunk = 1;
    this.stepsPerSecond = null;
    this.budget.reset(announced.progress.imagesSeen);
    if (evaluateFirst === 'views') {
      await this.evaluate({ plotted: false });
    } else if (evaluateFirst) {
      await this.evaluate();
      await this.estimateGap();
    }
  }

  /**
   * Trains one chunk of steps and reports it, then does whatever work beside training is due.
   * @returns {Promise<{divergence?: object, progress: import('../protocol.js').Progress}>} the
   *   chunk's stats; with a divergence, the trainer is back at its last finite snapshot and
   *   nothing was reported
   */
  async trainChunk() {
    const started = performance.now();
    const stats = await this.trainer.trainSteps(this.chunk);
    const elapsed = Math.max(1, performance.now() - started);
    this.budget.trained(elapsed);
    const rate = (1000 * stats.steps) / elapsed;
    this.stepsPerSecond = this.stepsPerSecond == null ? rate : 0.8 * this.stepsPerSecond + 0.2 * rate;
    this.chunk = Math.max(1, Math.min(32, Math.round((this.chunk * CHUNK_TARGET_MS) / elapsed)));
    if (stats.divergence) return stats;
    post({ type: FROM_WORKER.steps, stats, stepsPerSecond: this.stepsPerSecond });
    const images = stats.progress.imagesSeen;
    if (this.budget.due('heldout', images)) {
      await this.budget.run('heldout', () => this.evaluate(), images);
      if (this.budget.due('gap', images)) await this.estimateGap();
    }
    if (this.budget.due('weights', images)) await this.budget.run('weights', () => this.sendWeights());
    return stats;
  }

  async evaluate({ plotted = true } = {}) {
    const report = await this.trainer.evaluate();
    post({ type: FROM_WORKER.heldout, progress: this.trainer.progress(), report, plotted });
  }

  /** The ELBO against the importance-weighted bound with k samples, on a few held-out digits. */
  async estimateGap() {
    let report;
    await this.budget.run('gap', async () => {
      report = await this.trainer.estimateGap(this.gapK, gapDigits(this.gapK));
    });
    post({ type: FROM_WORKER.gap, progress: this.trainer.progress(), report });
  }

  async sendWeights() {
    const bytes = await this.trainer.exportWeights();
    this.budget.ran('weights');
    post({ type: FROM_WORKER.weights, bytes, blob: weightsBlob(bytes), progress: this.trainer.progress() }, [bytes.buffer]);
  }
}

/**
 * The weights file as a Blob, for the page's autosave. Made here, not on the page's thread:
 * making a Blob of bytes waits for the browser's blob registry, and while a 70,000-image dataset
 * was being stored that wait held the page for 748 ms (a trace of an autosave).
 */
function weightsBlob(bytes) {
  return new Blob([bytes]);
}
