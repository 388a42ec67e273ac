// The main thread's side of the training worker: starts it and speaks its protocol (see
// worker.js). The worker's code is bundled into this page's script by the build, and started
// from a Blob, which works over HTTP and from file:// alike.

/* global __WORKER_SOURCE__ */

export class TrainingSession {
  /**
   * @param {WebAssembly.Module} module the compiled wasm, shared with the worker
   * @param {{dataset: Uint8Array, backend: string, weights: Uint8Array, evaluate: boolean,
   *          gapK: number}} start the model to train first, whether to evaluate it at once, and
   *   the importance samples of the gap estimate
   * @param {{
   *   started: (reason: string, config: object) => void,
   *   status: (state: string, backend: {kind: string, label: string}) => void,
   *   steps: (stats: object, stepsPerSecond: number) => void,
   *   heldout: (progress: object, report: object) => void,
   *   gap: (progress: object, report: object) => void,
   *   weights: (bytes: Uint8Array, progress: object) => void,
   *   error: (message: string) => void,
   * }} on
   */
  constructor(module, start, on) {
    const url = URL.createObjectURL(new Blob([__WORKER_SOURCE__], { type: 'text/javascript' }));
    this.worker = new Worker(url, { name: 'latent-lab trainer' });
    URL.revokeObjectURL(url);
    /** @type {Map<number, (bytes: Uint8Array) => void>} */
    this.exports = new Map();
    this.nextId = 0;
    this.worker.onmessage = ({ data }) => {
      switch (data.type) {
        case 'started': return on.started(data.reason, data.config);
        case 'status': return on.status(data.state, data.backend);
        case 'steps': return on.steps(data.stats, data.stepsPerSecond);
        case 'heldout': return on.heldout(data.progress, data.report);
        case 'gap': return on.gap(data.progress, data.report);
        case 'weights': return on.weights(data.bytes, data.progress);
        case 'exported': {
          this.exports.get(data.id)?.(data.bytes);
          this.exports.delete(data.id);
          return undefined;
        }
        case 'error': return on.error(data.message);
      }
    };
    this.worker.onerror = (e) => on.error(`The training worker failed: ${e.message}`);
    const dataset = start.dataset.slice().buffer;
    const weights = start.weights.slice().buffer;
    this.worker.postMessage({ type: 'init', module, ...start, dataset, weights }, [dataset, weights]);
  }

  train() { this.worker.postMessage({ type: 'train' }); }
  pause() { this.worker.postMessage({ type: 'pause' }); }
  /**
   * Fresh weights and the step count back to 0.
   * @param {{model: {latentSize: number, likelihood: string | object, covariance: string,
   *          architecture: string}, objective: {samples: number, beta: number,
   *          warmup_steps: number}}} settings
   * @param {boolean} train whether to start training the new model at once
   */
  reset({ model, objective }, train = false) {
    this.worker.postMessage({ type: 'reset', model, objective, train });
  }
  /** Importance samples for the gap estimate from now on (estimated at once when paused). */
  setGapK(k) { this.worker.postMessage({ type: 'gap-k', k }); }
  /** Trains the model of a weights file from now on (checked by the caller first). */
  load(weights) {
    const buffer = weights.slice().buffer;
    this.worker.postMessage({ type: 'load', weights: buffer }, [buffer]);
  }
  /** Moves training, weights and all, to another backend. */
  switchBackend(backend) { this.worker.postMessage({ type: 'backend', backend }); }

  /** @returns {Promise<Uint8Array>} the exact current weights, as a weights file */
  exportWeights() {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.exports.set(id, resolve);
      this.worker.postMessage({ type: 'export', id });
    });
  }
}
