// What the page and its training worker say to each other (session.js on the page, worker.js in
// the worker). Commands run one at a time in the order they arrive. Each one with a `seq`
// (numbered by the page, rising) is answered by a status carrying its seq once it is done, or by
// an error and a status if it failed; a command that fails leaves the model being trained as it
// was. Requests (export, memory) are answered by a reply carrying their `id`; gap-k by nothing.

/** The type of every message the page sends the worker. */
export const TO_WORKER = Object.freeze({
  init: 'init',
  train: 'train',
  pause: 'pause',
  load: 'load',
  reset: 'reset',
  backend: 'backend',
  optimizer: 'optimizer',
  data: 'data',
  race: 'race',
  gapK: 'gap-k',
  export: 'export',
  memory: 'memory',
});

/** The type of every message the worker sends the page. */
export const FROM_WORKER = Object.freeze({
  started: 'started',
  status: 'status',
  steps: 'steps',
  heldout: 'heldout',
  gap: 'gap',
  weights: 'weights',
  raced: 'raced',
  diverged: 'diverged',
  deviceLost: 'device-lost',
  reply: 'reply',
  error: 'error',
  crashed: 'crashed',
});

/**
 * @typedef {{kind: string, label: string}} Backend the backend a trainer runs on
 * @typedef {{step: number, epoch: number, epochFraction: number, imagesSeen: number}} Progress
 * @typedef {{learningRate?: number, batchSize?: number}} Optimizer Adam's learning rate and the batch size
 * @typedef {{totalBytes: number, largestTensorBytes: number}} MemoryBudget the most a training step may take
 * @typedef {{latentSize: number, likelihood: {kind: 'bernoulli' | 'continuous-bernoulli' | 'gaussian' | 'gaussian-learned',
 *            sigma?: number}, covariance: 'Diagonal' | 'Full', architecture: 'Mlp' | 'Conv'}} ModelSettings
 * @typedef {{samples: number, beta: number, warmupSteps: number}} ObjectiveSettings
 * @typedef {'binarised' | 'grey-levels'} PixelValues what the model trains and is scored on
 * @typedef {{model: ModelSettings, objective: ObjectiveSettings, optimizer: Optimizer,
 *            data: PixelValues}} TrainingSettings
 *   what a trainer trains, as the wasm reports it (src/web/options.rs) and takes it back
 * @typedef {'ready' | 'training' | 'paused'} State what a status says: a new model not trained
 *   yet, training, or paused
 */

/**
 * To the worker. The commands, each answered by a status:
 * @typedef {{type: 'init', module: WebAssembly.Module, dataset: Blob, backend: string,
 *            weights: ArrayBuffer, evaluate: boolean | 'views', train: boolean, gapK: number,
 *            optimizer: Optimizer, memoryBudgets: Record<string, MemoryBudget>,
 *            threads: Threads | null, reason?: string, seq: number}} Init
 *   the first model: evaluated at once if `evaluate` ('views': a held-out report not to be
 *   plotted), trained at once if `train`; its `started`
 *   says `reason` ('init' unless the worker replaces one whose thread count changed: 'threads')
 * @typedef {{module: WebAssembly.Module, count: number}} Threads the threaded build of the
 *   wasm, which the CPU path trains with on a pool of `count` threads
 * @typedef {{type: 'train', seq: number}} Train
 * @typedef {{type: 'pause', seq: number}} Pause
 * @typedef {{type: 'load', weights: ArrayBuffer, seq: number}} Load a weights file to train from now on
 * @typedef {{type: 'reset', model: ModelSettings, objective: ObjectiveSettings, data: PixelValues,
 *            train: boolean, seq: number}} Reset fresh weights
 * @typedef {{type: 'backend', backend: string, seq: number}} SwitchBackend the same weights on another backend
 * @typedef {{type: 'optimizer', optimizer: Optimizer, rebuild: boolean, seq: number}} SetOptimizer
 *   from now on; with `rebuild`, the model being trained goes on under them at once
 * @typedef {{type: 'data', dataset: Blob, seq: number}} SetData the model being trained
 *   goes on with this dataset file from now on (a `started` with reason 'data'), training on if it was
 * @typedef {{type: 'race', backends: string[], train: boolean, seq: number}} Race
 *   times each backend and moves the model to the faster
 * @typedef {Init | Train | Pause | Load | Reset | SwitchBackend | SetOptimizer | SetData | Race} Command
 *
 * The rest:
 * @typedef {{type: 'gap-k', k: number}} SetGapK importance samples of the gap estimate
 * @typedef {{type: 'export' | 'memory', id: number}} Request answered by a Reply
 * @typedef {Command | SetGapK | Request} ToWorker
 */

/**
 * From the worker:
 * @typedef {{type: 'started', reason: string, settings: TrainingSettings, weights: Uint8Array,
 *            weightsBlob: Blob, progress: Progress, backend: Backend, seq: number}} Started
 *   a new model takes over (reason: init, load, reset, backend, optimizer, data, race or threads; seq: the
 *   command that brought it), sent before its figures with everything about it at once, so
 *   the page changes all or nothing
 * @typedef {{type: 'status', state: State, backend: Backend, seq: number}} Status
 *   seq: the last command done; a status with an older seq than the page last sent is
 *   already out of date
 * @typedef {{type: 'steps', stats: object, stepsPerSecond: number}} Steps a chunk of training steps
 * @typedef {{type: 'heldout', progress: Progress, report: object, plotted: boolean}} Heldout the
 *   held-out report (elbo, unitVariances, activeUnits, means, principalAxes, reconstructions);
 *   `plotted` false for one that only refreshes the views
 * @typedef {{type: 'gap', progress: Progress, report: object}} Gap the ELBO against the
 *   importance-weighted bound
 * @typedef {{type: 'weights', bytes: Uint8Array, blob: Blob, progress: Progress}} Weights for the
 *   page's viewer, and the same file as a Blob for its autosave
 * @typedef {{type: 'raced', race: RaceResult}} Raced sent before the model moves to the faster backend
 * @typedef {{speeds: Record<string, {imagesPerSecond?: number, error?: string}>,
 *            chosen: string}} RaceResult
 * @typedef {{type: 'diverged', divergence: object, progress: Progress}} Diverged training
 *   rolled back to its last finite snapshot and paused
 * @typedef {{type: 'device-lost', message: string, training: boolean}} DeviceLost the page
 *   starts a new worker, training if this one was
 * @typedef {{type: 'reply', id: number, value: Uint8Array | MemoryReport}} Reply
 *   export: the weights file; memory: what the worker holds
 * @typedef {{wasmBytes: number, gpuBufferBytes?: number, gpuBuffers?: number}} MemoryReport
 *   the WebGPU buffers only from the soak test's instrumented build
 * @typedef {{type: 'error', message: string, seq?: number}} ErrorMessage
 * @typedef {{type: 'crashed', message: string}} Crashed the wasm trapped (out of memory, a
 *   panic) or an error escaped: the instance can no longer be trusted, the worker answers
 *   nothing more, and the page replaces it
 * @typedef {Started | Status | Steps | Heldout | Gap | Weights | Raced | Diverged | DeviceLost |
 *           Reply | ErrorMessage | Crashed} FromWorker
 */

/**
 * From the worker: sends the page `message`, handing over the buffers in `transfer`.
 * @param {FromWorker} message
 * @param {Transferable[]} [transfer]
 */
export const post = (message, transfer = []) => self.postMessage(message, transfer);
