// The main thread's side of the training worker: starts it and speaks its protocol
// (protocol.js). The worker's code is bundled into this page's script by the build, and started
// from a Blob, which works over HTTP and from file:// alike. When the worker's WebGPU device is
// lost, the worker is replaced by a new one (a new wasm instance, hence a new device) started
// from weights the page kept; so is a worker that crashed (a wasm trap: out of memory, a panic),
// after every request waiting on it has been answered with nothing. No command is lost across a
// handover: those sent while a worker is being replaced for another pool of threads wait, and go
// to the new worker in order; those a lost device left unanswered are sent to its replacement;
// those a crashed worker never answered are named to the page (they may be what crashed it).

/* global __WORKER_SOURCE__ */

import { FROM_WORKER, TO_WORKER } from './protocol.js';
import { publishTrainingWorker } from './test-hooks.js';

export class TrainingSession {
  /**
   * @param {WebAssembly.Module} module the compiled wasm, shared with the worker
   * @param {{dataset: import('./data-panel.js').Dataset, backend: string, weights: Uint8Array, evaluate: boolean | 'views',
   *          gapK: number, optimizer: {learningRate: number, batchSize: number},
   *          threads: import('./protocol.js').Threads | null}} start the model to train first,
   *   whether to evaluate it at once, the importance samples of the gap estimate, the
   *   optimizer's settings, and the threaded build and pool size for the CPU path (null: one
   *   thread, in the single-threaded build)
   * @param {{
   *   started: (reason: string, model: {settings: object, weights: Uint8Array, progress: object,
   *             backend: {kind: string, label: string}}, command: Sent | undefined) => void,
   *   status: (state: string, backend: {kind: string, label: string}) => void,
   *   answered: (commands: Sent[]) => void,
   *   steps: (stats: object, stepsPerSecond: number) => void,
   *   heldout: (progress: object, report: object, plotted: boolean) => void,
   *   gap: (progress: object, report: object) => void,
   *   weights: (bytes: Uint8Array, progress: object) => void,
   *   raced: (race: {speeds: object, chosen: string}) => void,
   *   diverged: (divergence: object, progress: object) => void,
   *   deviceLost: (message: string, training: boolean) => void,
   *   crashed: (message: string, training: boolean, lost: Sent[]) => void,
   *   error: (message: string, command: Sent | undefined) => void,
   * }} on `started` and `error` hear the command that brought them (undefined: none, as for a
   *   training chunk's failure); `answered`, the commands a status answered (each `brought`
   *   when a `started` came of it); `crashed`, the commands the worker never answered
   */
  constructor(module, start, on) {
    this.module = module;
    this.on = on;
    /**
     * The data the worker trains on (data-panel.js: Dataset), what a replacement worker starts
     * with; its Blob goes to each worker as it is.
     */
    this.dataset = start.dataset;
    this.gapK = start.gapK;
    this.optimizer = start.optimizer;
    this.memoryBudgets = start.memoryBudgets;
    this.threads = start.threads;
    /** @type {Map<number, (value: any) => void>} answers to export and memory requests */
    this.replies = new Map();
    this.nextId = 0;
    /** The seq of the last command sent: only a status answering it says what the worker is
     * doing now (earlier ones are overtaken by commands still on their way). */
    this.sent = 0;
    /** @type {Sent[]} commands sent and not yet answered by a status, oldest first */
    this.unanswered = [];
    /**
     * While the worker is being replaced for another pool of threads: the commands and other
     * messages that wait for the new one, in the order they were sent.
     * @type {{sent?: Sent, build?: () => [object, Transferable[]]}[] | null}
     */
    this.handover = null;
    this.spawn({ backend: start.backend, weights: start.weights, evaluate: start.evaluate, train: false });
  }

  /** A new worker training `weights` on `backend`; its first `started` says `reason`. */
  spawn({ backend, weights, evaluate, train, reason = 'init' }) {
    const url = URL.createObjectURL(new Blob([__WORKER_SOURCE__], { type: 'text/javascript' }));
    this.worker = new Worker(url, { name: 'latent-lab trainer' });
    publishTrainingWorker(url);
    URL.revokeObjectURL(url);
    const on = this.on;
    const worker = this.worker;
    /** Whether training was on, as far as the page knows: what a crash recovery resumes. */
    this.training = train;
    this.worker.onmessage = ({ data }) => {
      if (worker !== this.worker) return;
      switch (data.type) {
        case FROM_WORKER.started: {
          const command = this.unanswered.find((c) => c.seq === data.seq);
          if (command) command.brought = true;
          if (data.reason === 'data' && command?.dataset) this.dataset = command.dataset;
          return on.started(data.reason, { settings: data.settings, weights: data.weights, weightsBlob: data.weightsBlob, progress: data.progress, backend: data.backend }, command);
        }
        case FROM_WORKER.status: {
          const answered = this.unanswered.filter((c) => c.seq <= data.seq);
          this.unanswered = this.unanswered.filter((c) => c.seq > data.seq);
          if (answered.length) on.answered(answered);
          if (data.seq !== this.sent) return undefined;
          this.training = data.state === 'training';
          return on.status(data.state, data.backend);
        }
        case FROM_WORKER.steps: return on.steps(data.stats, data.stepsPerSecond);
        case FROM_WORKER.heldout: return on.heldout(data.progress, data.report, data.plotted !== false);
        case FROM_WORKER.gap: return on.gap(data.progress, data.report);
        case FROM_WORKER.weights: return on.weights(data.bytes, data.progress, data.blob);
        case FROM_WORKER.raced: return on.raced(data.race);
        case FROM_WORKER.diverged: return on.diverged(data.divergence, data.progress);
        case FROM_WORKER.deviceLost: return on.deviceLost(data.message, data.training);
        case FROM_WORKER.reply: {
          this.replies.get(data.id)?.(data.value);
          this.replies.delete(data.id);
          return undefined;
        }
        case FROM_WORKER.error: return on.error(data.message, this.unanswered.find((c) => c.seq === data.seq));
        case FROM_WORKER.crashed: return this.crashed(worker, data.message);
      }
    };
    // An error that escaped the worker's own handlers: its wasm can no longer be trusted.
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.crashed(worker, e.message);
    };
    this.worker.onmessageerror = () => this.crashed(worker, 'a message from it could not be read');
    const bytes = weights.slice().buffer;
    this.worker.postMessage(
      { type: TO_WORKER.init, module: this.module, dataset: this.dataset.blob, weights: bytes, backend, evaluate, train, gapK: this.gapK, optimizer: this.optimizer, memoryBudgets: this.memoryBudgets, threads: this.threads, reason, seq: ++this.sent },
      [bytes],
    );
  }

  /**
   * A command the worker answers with a status once it is done.
   * @typedef {{seq?: number, type: string, fields: object,
   *            dataset?: import('./data-panel.js').Dataset, note?: object, brought?: boolean}} Sent
   *   `seq` is given when it is posted; `fields` are the Command's own (protocol.js), bytes as
   *   Uint8Arrays, copied afresh into each posting so that a replacement worker can be sent it
   *   again; `dataset` and `note` are what the page sent it with; `brought` is set when a
   *   `started` came of it
   * @param {string} type the Command's type (protocol.js: TO_WORKER)
   * @param {object} [fields]
   * @param {{dataset?: object, note?: object}} [about]
   */
  command(type, fields = {}, about = {}) {
    this.dispatch({ type, fields, ...about });
  }

  /** Numbers and posts a command, or keeps it for the new worker while the worker is replaced. */
  dispatch(sent) {
    if (this.handover) {
      this.handover.push({ sent });
      return;
    }
    sent.seq = ++this.sent;
    this.unanswered.push(sent);
    const transfer = [];
    const message = { type: sent.type, seq: sent.seq };
    for (const [key, value] of Object.entries(sent.fields)) {
      // The worker takes bytes over (transferred, not cloned): each posting gets its own copy.
      if (value instanceof Uint8Array) transfer.push((message[key] = value.slice().buffer));
      else message[key] = value;
    }
    this.worker.postMessage(message, transfer);
  }

  /** Posts a message that is not a command (a request, the gap's samples), or keeps it likewise. */
  post(build) {
    if (this.handover) {
      this.handover.push({ build });
      return;
    }
    this.worker.postMessage(...build());
  }

  /**
   * `worker` crashed: it is ended, every request waiting on it answered with nothing, and the
   * page told once, with the commands it never answered (it decides what to restart from).
   */
  crashed(worker, message) {
    if (worker !== this.worker || this.dead) return;
    this.dead = true;
    worker.terminate();
    this.answerPending();
    const lost = this.unanswered;
    this.unanswered = [];
    this.on.crashed(message, this.training, lost);
  }

  answerPending() {
    for (const reply of this.replies.values()) reply(undefined);
    this.replies.clear();
  }

  /**
   * Ends the worker, whatever it was doing, and starts a new one from `weights`: the recovery
   * from a lost device or a crash. Requests still waiting are answered with nothing; commands the
   * old worker had not answered (none after a crash: the page was told of them) are sent again.
   */
  restart(weights, backend, train, reason = 'init') {
    this.worker.terminate();
    this.answerPending();
    this.dead = false;
    const again = this.unanswered;
    this.unanswered = [];
    this.spawn({ backend, weights, evaluate: false, train, reason });
    for (const sent of again) this.dispatch(sent);
  }

  /**
   * Moves training on `backend` to a pool of `count` threads, weights, step count and all. rayon's
   * pool cannot be resized, so the worker is replaced: it hands over its exact weights first,
   * between two chunks, and is ended as soon as they arrive, before the page has seen any later
   * chunk; the new worker trains on if this one was training. What the page sends meanwhile
   * waits, and goes to the new worker after its start, in order.
   * A change asked for during a handover follows it, on the new worker.
   * @returns {Promise<boolean>} false if the worker crashed first (its recovery took over, and
   *   what waited goes to the worker it started)
   */
  setThreads(count, backend) {
    const change = (this.threadsChange ?? Promise.resolve()).then(() => this.handOver(count, backend));
    this.threadsChange = change.catch(() => false);
    return change;
  }

  async handOver(count, backend) {
    const exported = this.exportWeights();
    this.handover = [];
    const weights = await exported;
    const waiting = this.handover;
    this.handover = null;
    if (weights) {
      this.threads = { ...this.threads, count };
      this.worker.terminate();
      this.answerPending();
      this.spawn({ backend, weights, evaluate: false, train: this.training, reason: 'threads' });
    }
    for (const { sent, build } of waiting) {
      if (sent) this.dispatch(sent);
      else this.post(build);
    }
    return Boolean(weights);
  }

  train() {
    this.training = true;
    this.command(TO_WORKER.train);
  }
  /**
   * Times a few training steps on each of `backends` and trains on the faster
   * (worker/race.js); the `raced` callback hears the speeds before training moves.
   */
  race(backends) {
    this.training = true;
    this.command(TO_WORKER.race, { backends, train: true });
  }
  pause() { this.command(TO_WORKER.pause); }
  /**
   * Fresh weights and the step count back to 0.
   * @param {{model: import('./protocol.js').ModelSettings,
   *          objective: import('./protocol.js').ObjectiveSettings}} settings
   * @param {boolean} train whether to start training the new model at once
   */
  reset({ model, objective, data }, train = false) {
    this.command(TO_WORKER.reset, { model, objective, data, train });
  }
  /**
   * Adam's learning rate and the batch size from now on; with `rebuild`, the model being
   * trained goes on under them at once (a fresh Adam), else they apply to the next trainer.
   */
  setOptimizer(optimizer, rebuild) {
    this.optimizer = optimizer;
    this.command(TO_WORKER.optimizer, { optimizer, rebuild });
  }
  /** Importance samples for the gap estimate from now on (estimated at once when paused). */
  setGapK(k) {
    this.gapK = k;
    this.post(() => [{ type: TO_WORKER.gapK, k }, []]);
  }
  /**
   * Trains the model of a weights file from now on, if the worker accepts it.
   * @param {object} note what the page shows once the model arrives, handed back with `started`
   */
  load(weights, note) {
    this.command(TO_WORKER.load, { weights }, { note });
  }
  /**
   * Trains the model on `dataset` (data-panel.js: Dataset) from now on, if the worker accepts
   * it: it becomes `this.dataset` when the `started` it brings arrives.
   */
  setData(dataset) {
    this.command(TO_WORKER.data, { dataset: dataset.blob }, { dataset });
  }

  /** Moves training, weights and all, to another backend. */
  switchBackend(backend) { this.command(TO_WORKER.backend, { backend }); }

  /** @returns {Promise<Uint8Array | undefined>} the exact current weights, as a weights file */
  exportWeights() { return this.request(TO_WORKER.export); }

  /** @returns {Promise<import('./protocol.js').MemoryReport | undefined>} */
  memory() { return this.request(TO_WORKER.memory); }

  request(type) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.dead) return resolve(undefined);
      this.replies.set(id, resolve);
      this.post(() => [{ type, id }, []]);
    });
  }
}
