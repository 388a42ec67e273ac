// The Web Worker that owns the model being trained, so the page never freezes, whatever a
// training step costs on the chosen backend.
//
// Protocol. In: {type: 'init', module, dataset, backend, weights, evaluate, gapK, optimizer,
// train, seq}, {type: 'train', seq}, {type: 'pause', seq}, {type: 'load', weights, seq},
// {type: 'reset', model, objective, train, seq}, {type: 'backend', backend, seq},
// {type: 'optimizer', optimizer: {learningRate, batchSize}, rebuild, seq}, {type: 'gap-k', k},
// {type: 'race', backends, train, seq}, {type: 'export', id}, {type: 'memory', id}.
// Commands run one at a time in the order they arrive. Each one with a `seq` (numbered by the
// page, rising) is answered by a status carrying its seq once it is done, or by an error and a
// status if it failed.
// Out: {type: 'started', reason, config, weights, progress, backend, seq} when a new model takes over
// (before its figures; everything about it at once, so the page changes all or nothing;
// seq: the command that brought it),
// {type: 'status', state: 'ready' | 'training' | 'paused', backend, seq} (seq: the last
// command done; a status with an older seq than the page last sent is already out of date),
// {type: 'steps', stats, stepsPerSecond}, {type: 'heldout', progress, report} (HeldoutReport:
// elbo, unitVariances, activeUnits, means, principalAxes), {type: 'gap', progress, report} (GapReport),
// {type: 'weights', bytes, progress}, {type: 'raced', race: {speeds, chosen}} (before the model
// moves to the faster backend), {type: 'diverged', divergence, progress} (training
// rolled back and paused), {type: 'device-lost', message, training} (the page starts a new
// worker, training if this one was),
// {type: 'reply', id, value} (export: the weights file; memory: MemoryReport),
// {type: 'error', message}. A command that fails leaves the model being trained as it was.
// {type: 'crashed', message}: the wasm trapped (out of memory, a panic) or an error escaped;
// the instance can no longer be trusted, this worker answers nothing more, and the page
// replaces it.

import init, { TrainerHandle } from '../../pkg/latent_lab.js';

/** Held-out evaluation cadence, in training images. */
const EVAL_EVERY_IMAGES = 1024;
/** How often the page's viewer gets fresh weights while training. */
const WEIGHTS_EVERY_MS = 500;
/** A chunk of steps between readbacks lasts about this long, so Pause answers quickly. */
const CHUNK_TARGET_MS = 100;
/**
 * Work beside training may take at most these shares of the training time, so that a slow
 * backend (a software WebGPU adapter, the convolutional model on a CPU) spends its time training
 * and sees its plot points and fresh sliders less often. Measured in BENCHMARKS.md.
 */
const EVAL_TIME_SHARE = 0.1;
const WEIGHTS_TIME_SHARE = 0.05;
const GAP_TIME_SHARE = 0.15;
/** Whatever the shares, the plot and the sliders are never left older than this. */
const EVAL_AT_LEAST_EVERY_MS = 20_000;
const WEIGHTS_AT_LEAST_EVERY_MS = 5_000;
/**
 * The backend race: warm-up steps on each backend until a step is no faster than the one before
 * (the first compiles the WebGPU shaders, and fusion compiles more on the next), at most this
 * many and this long; then steps timed for at least RACE_TIMED_MS.
 */
const RACE_WARMUP_STEPS = 4;
const RACE_WARMUP_MS = 20_000;
const RACE_TIMED_MS = 1_500;
/** Held-out digits for the gap: fewer as k grows, so one estimate costs about the same. */
const gapDigits = (k) => Math.max(16, Math.min(100, Math.floor(6400 / k)));

/** @type {TrainerHandle | null} */
let trainer = null;
/** The wasm instance's exports (its memory, for the memory report). */
let wasm = null;
let dataset = null;
/** Adam's learning rate and the batch size: `{learningRate?, batchSize?}`, kept across trainers. */
let optimizer = {};
/** The most a training step may take on each backend: `{cpu?, webgpu?}` of `{totalBytes, largestTensorBytes}`. */
let memoryBudgets = {};
/** The seq of the command being handled, for the `started` it may bring. */
let handling = 0;
/** What a reset builds: {model: {latentSize, likelihood, covariance, architecture}, objective}. */
let fresh = null;
let gapK = 16;
let trainingMs = 0;
let evalMs = 0;
let weightsMs = 0;
let gapMs = 0;
let running = false;
/** Whether a training loop is under way (it may be finishing its last chunk after a pause). */
let looping = false;
/**
 * The state reached: 'ready' (a new trainer), 'training' or 'paused'; reported with the answer
 * to the command that reached it. And the seq of the last command done.
 */
let state = 'ready';
let answered = 0;
let chunk = 1;
let stepsPerSecond = null;
let lastEvalImages = 0;
let lastEvalAt = 0;
let lastWeightsAt = 0;

const post = (message, transfer = []) => self.postMessage(message, transfer);
/** @param {'ready' | 'training' | 'paused'} next */
function postStatus(next) {
  state = next;
  post({ type: 'status', state, backend: trainer.backend(), seq: answered });
}

/**
 * Set once the worker has crashed: every message after that is ignored, since a wasm instance
 * that trapped mid-call (Rust aborts on a failed allocation or a panic) may hold half-updated
 * state, and a future it was polling never settles.
 */
let crashed = false;
/** The last message Rust's panic hook wrote, which names what failed ("memory allocation of …"). */
let lastPanic = null;
const consoleError = console.error.bind(console);
console.error = (...args) => {
  lastPanic = args.map(String).join(' ');
  consoleError(...args);
};

async function crash(error) {
  if (crashed) return;
  crashed = true;
  running = false;
  // A lost GPU device makes wgpu fail too: that is reported (and recovered from) as such.
  if (gpu.device) await Promise.race([gpu.device.lost, new Promise((r) => setTimeout(r, 200))]);
  if (gpu.lost) return;
  const message = [error?.message ?? String(error), lastPanic].filter(Boolean).join(': ');
  post({ type: 'crashed', message });
}
// A trap inside a future that wasm-bindgen polls from a microtask escapes every `catch`: it
// surfaces only here, and the promise the command awaits never settles.
self.addEventListener?.('error', (e) => crash(e.error ?? e.message));
self.addEventListener?.('unhandledrejection', (e) => crash(e.reason));

/**
 * For the browser tests only (set through Playwright in the worker): makes the next training
 * chunk, import or pause fail the way an out-of-memory trap does, with an error thrown outside
 * any promise chain and a call that never returns.
 * @type {{next: null | 'train' | 'load' | 'pause'}}
 */
const faults = { next: null };
self.latentLabFaults = faults;
function trapIfAsked(point) {
  if (faults.next !== point) return undefined;
  faults.next = null;
  setTimeout(() => {
    throw new WebAssembly.RuntimeError('unreachable');
  });
  return new Promise(() => {});
}

/**
 * WebGPU devices as wgpu asks for them: a lost device (a driver reset, another tab's GPU hang,
 * `destroy()`) is reported at once, so the page can start a new worker, and therefore a new
 * device, from the last weights it has; and the bytes of the device's live buffers are
 * counted for the soak test (RELIABILITY.md).
 */
const gpu = { device: null, lost: false, liveBufferBytes: 0, liveBuffers: 0 };
// Read by the browser tests (to destroy the device) and the soak script.
self.latentLabGpu = gpu;
function watchGpuDevices() {
  if (!self.GPUAdapter) return;
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    gpu.device = device;
    countBuffers(device);
    device.lost.then((info) => {
      gpu.lost = true;
      const training = running || failedWhileTraining;
      running = false;
      post({ type: 'device-lost', message: info.message || info.reason || 'no reason given', training });
    });
    return device;
  };
}

/** Buffers are live from creation until destroyed or collected. */
function countBuffers(device) {
  const released = new FinalizationRegistry((size) => release(size));
  const release = (size) => {
    gpu.liveBufferBytes -= size;
    gpu.liveBuffers -= 1;
  };
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor) => {
    const buffer = createBuffer(descriptor);
    const size = descriptor.size;
    gpu.liveBufferBytes += size;
    gpu.liveBuffers += 1;
    const token = {};
    released.register(buffer, size, token);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      if (released.unregister(token)) release(size);
      destroy();
    };
    return buffer;
  };
}
watchGpuDevices();

// Commands and training chunks take turns: each runs alone, in arrival order.
let turn = Promise.resolve();
function exclusive(task) {
  const run = turn.then(task);
  turn = run.catch(() => {});
  return run;
}

// A macrotask boundary, so messages (Pause, …) are handled between chunks.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldToEvents = () => new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(null); });

self.onmessage = ({ data }) => {
  if (crashed) return;
  // Ends training after the chunk under way, so Pause answers quickly; the pause itself (and
  // whatever was sent before it) still takes its turn.
  if (data.type === 'pause') running = false;
  exclusive(() => answer(data).catch(failed));
};

/** Runs a command, then says what state it left, so the page knows it was done. */
async function answer(message) {
  handling = message.seq ?? 0;
  try {
    await handle(message);
  } finally {
    if (message.seq) answered = message.seq;
  }
  if (message.seq && trainer) postStatus(running ? 'training' : state);
}

/** Whether training was on when the last command or chunk failed. */
let failedWhileTraining = false;

/**
 * A command or a chunk failed: report it and pause, unless the device was lost, which the
 * page hears about from the device itself (and answers with a new worker). Runs in the failed
 * task's turn, so no later command has started training again before its status is sent.
 */
async function failed(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    crash(error);
    return;
  }
  failedWhileTraining = running;
  running = false;
  // A lost device's `lost` promise settles around the failures it causes: give it a moment.
  if (gpu.device) await Promise.race([gpu.device.lost, new Promise((r) => setTimeout(r, 200))]);
  if (gpu.lost) return;
  failedWhileTraining = false;
  post({ type: 'error', message: error?.message ?? String(error) });
  if (trainer) postStatus('paused');
}

async function handle(message) {
  switch (message.type) {
    case 'init':
      wasm = await init({ module_or_path: message.module });
      dataset = new Uint8Array(message.dataset);
      gapK = message.gapK ?? gapK;
      optimizer = message.optimizer ?? optimizer;
      memoryBudgets = message.memoryBudgets ?? {};
      await start('init', message.backend, new Uint8Array(message.weights), message.evaluate);
      if (message.train) startTraining();
      break;
    case 'train':
      if (trainer && !running) startTraining();
      break;
    case 'pause':
      // Also here, in turn: a Train sent before this Pause may have started training again.
      running = false;
      if (trainer && state === 'training') {
        await trapIfAsked('pause');
        await sendWeights();
        state = 'paused';
      }
      break;
    case 'load':
      running = false;
      await trapIfAsked('load');
      await start('load', trainer.backend().kind, new Uint8Array(message.weights), true);
      break;
    case 'reset':
      running = false;
      fresh = { model: message.model, objective: message.objective };
      await start('reset', trainer.backend().kind, undefined, true);
      if (message.train) startTraining();
      break;
    case 'gap-k':
      gapK = message.k;
      if (!running) await estimateGap();
      break;
    case 'export':
      post({ type: 'reply', id: message.id, value: await trainer.exportWeights() });
      break;
    case 'memory':
      post({ type: 'reply', id: message.id, value: await memoryReport() });
      break;
    case 'backend':
      await rebuild('backend', message.backend);
      break;
    case 'race': {
      // A Pause sent during the race clears `running`, and training does not start after it.
      running = Boolean(message.train);
      if (running) state = 'training';
      const verdict = await race(message.backends);
      post({ type: 'raced', race: verdict });
      if (verdict.chosen !== trainer.backend().kind) await start('race', verdict.chosen, await trainer.exportWeights(), false);
      if (running) startTraining();
      break;
    }
    case 'optimizer': {
      const previous = optimizer;
      optimizer = message.optimizer;
      try {
        if (message.rebuild) await rebuild('optimizer', trainer.backend().kind);
      } catch (e) {
        optimizer = previous;
        throw e;
      }
      break;
    }
  }
}

function startTraining() {
  running = true;
  state = 'training';
  loop();
}

/**
 * A new trainer for the same weights on `backend` with the current optimizer settings, training
 * on if this one was. The weights file carries the step count, so the plot goes on.
 */
async function rebuild(reason, backend) {
  const wasRunning = running;
  running = false;
  await start(reason, backend, await trainer.exportWeights(), false);
  if (wasRunning) startTraining();
}

/**
 * Times training on each of `backends` with a throwaway copy of the model being trained (same
 * weights and settings; the model itself does not move), and names the faster. A backend that
 * fails to start or to train loses, with the reason.
 * @param {string[]} backends
 * @returns {Promise<{speeds: Record<string, {imagesPerSecond?: number, warmupMs?: number, error?: string}>, chosen: string}>}
 */
async function race(backends) {
  const weights = await trainer.exportWeights();
  const batch = optimizer.batchSize ?? trainer.config().batch_size;
  const speeds = {};
  for (const kind of backends) {
    let candidate = null;
    try {
      candidate = await TrainerHandle.create({ backend: kind, ...optimizer, memoryBudget: memoryBudgets[kind] }, dataset, weights);
      if (candidate.backend().kind !== kind) throw new Error(`${kind} is not available here`);
      speeds[kind] = await paceOf(candidate, batch);
    } catch (e) {
      speeds[kind] = { error: e?.message ?? String(e) };
    } finally {
      candidate?.free();
    }
  }
  const pace = (kind) => (Number.isFinite(speeds[kind].imagesPerSecond) ? speeds[kind].imagesPerSecond : -1);
  const chosen = backends.reduce((best, kind) => (pace(kind) > pace(best) ? kind : best));
  return { speeds, chosen: pace(chosen) > 0 ? chosen : trainer.backend().kind };
}

/** Images per second of `candidate`'s warmed training steps (RACE_* above). */
async function paceOf(candidate, batch) {
  const warmupStarted = performance.now();
  let last = Infinity;
  for (let i = 0; i < RACE_WARMUP_STEPS && performance.now() - warmupStarted < RACE_WARMUP_MS; i++) {
    const started = performance.now();
    await candidate.trainSteps(1);
    const ms = performance.now() - started;
    if (ms >= 0.9 * last) break;
    last = ms;
  }
  const warmupMs = performance.now() - warmupStarted;
  let steps = 0;
  let chunk = 1;
  const started = performance.now();
  while (performance.now() - started < RACE_TIMED_MS) {
    const stats = await candidate.trainSteps(chunk);
    if (stats.divergence) throw new Error('the copy diverged while being timed');
    steps += stats.steps;
    chunk = Math.min(32, chunk * 2);
  }
  return { imagesPerSecond: (steps * batch * 1000) / (performance.now() - started), warmupMs };
}

/**
 * What this worker holds: its wasm memory and WebGPU buffers. Where the browser exposes `gc`
 * (`--js-flags=--expose-gc`, as the soak script runs it) buffers dropped without `destroy` are
 * collected first, so that only the ones still referenced count.
 * @typedef {{wasmBytes: number, gpuBufferBytes: number, gpuBuffers: number}} MemoryReport
 * @returns {Promise<MemoryReport>}
 */
async function memoryReport() {
  if (self.gc) {
    self.gc();
    // Finalization callbacks run in a later task.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { wasmBytes: wasm?.memory.buffer.byteLength ?? 0, gpuBufferBytes: gpu.liveBufferBytes, gpuBuffers: gpu.liveBuffers };
}

/**
 * Replaces the trainer with one starting from `weights` (fresh ones as the last reset asked
 * when absent). All or nothing: the new trainer is built and everything the page will show of
 * it read first; only then is the old one freed and the new one announced, so a file that
 * fails anywhere on the way leaves the model being trained, and the page, as they were.
 */
async function start(reason, backend, weights, evaluateFirst) {
  // A weights file brings its own model, objective and optimizer settings; the page's optimizer
  // settings apply to fresh weights and to a rebuild of the same weights under new ones.
  const ownSettings = reason === 'init' || reason === 'load';
  const options = { ...(weights ? {} : fresh), ...(ownSettings ? {} : optimizer) };
  const create = (kind) => TrainerHandle.create({ backend: kind, ...options, memoryBudget: memoryBudgets[kind] }, dataset, weights);
  let next;
  try {
    next = await create(backend);
  } catch (e) {
    // Only a device that will not start falls back to the CPU; bad settings are refused.
    if (backend !== 'webgpu' || e?.kind !== 'no-webgpu') throw e;
    post({ type: 'error', message: `WebGPU could not start (${e.message}); training on the CPU instead.` });
    next = await create('cpu');
  }
  let announced;
  try {
    const config = next.config();
    const progress = next.progress();
    const bytes = await next.exportWeights();
    announced = { type: 'started', reason, config, progress, weights: bytes, backend: next.backend(), seq: handling };
  } catch (e) {
    next.free();
    throw e;
  }
  trainer?.free();
  trainer = next;
  optimizer = { learningRate: announced.config.learning_rate, batchSize: announced.config.batch_size };
  post(announced, [announced.weights.buffer]);
  chunk = 1;
  stepsPerSecond = null;
  trainingMs = 0;
  evalMs = 0;
  weightsMs = 0;
  gapMs = 0;
  lastEvalImages = announced.progress.imagesSeen;
  lastEvalAt = performance.now();
  lastWeightsAt = performance.now();
  state = 'ready';
  if (evaluateFirst) {
    await evaluate();
    await estimateGap();
  }
}

/** Trains chunk after chunk while `running`; one loop at a time. */
async function loop() {
  if (looping) return;
  looping = true;
  try {
    while (running) {
      await exclusive(() => trainChunk().catch(failed));
      await yieldToEvents();
    }
  } finally {
    looping = false;
  }
}

async function trainChunk() {
  if (!running) return;
  await trapIfAsked('train');
  const started = performance.now();
  const stats = await trainer.trainSteps(chunk);
  const elapsed = Math.max(1, performance.now() - started);
  trainingMs += elapsed;
  const rate = (1000 * stats.steps) / elapsed;
  stepsPerSecond = stepsPerSecond == null ? rate : 0.8 * stepsPerSecond + 0.2 * rate;
  chunk = Math.max(1, Math.min(32, Math.round((chunk * CHUNK_TARGET_MS) / elapsed)));
  if (stats.divergence) {
    // The trainer is back at its last finite snapshot: show that model and stop.
    running = false;
    post({ type: 'diverged', divergence: stats.divergence, progress: stats.progress });
    await sendWeights();
    postStatus('paused');
    return;
  }
  post({ type: 'steps', stats, stepsPerSecond });
  if (stats.progress.imagesSeen - lastEvalImages >= EVAL_EVERY_IMAGES && due(evalMs, EVAL_TIME_SHARE, lastEvalAt, EVAL_AT_LEAST_EVERY_MS)) {
    lastEvalImages = stats.progress.imagesSeen;
    // Awaited before adding: `x += await …` would read x before a reset could zero it.
    const ms = await timed(evaluate);
    evalMs += ms;
    lastEvalAt = performance.now();
    if (gapMs < GAP_TIME_SHARE * trainingMs) await estimateGap();
  }
  const sinceWeights = performance.now() - lastWeightsAt;
  if (sinceWeights >= WEIGHTS_EVERY_MS && due(weightsMs, WEIGHTS_TIME_SHARE, lastWeightsAt, WEIGHTS_AT_LEAST_EVERY_MS)) {
    const ms = await timed(sendWeights);
    weightsMs += ms;
  }
}

/**
 * Whether work beside training may run again: it has taken at most its share of the training
 * time, or it last ran at least `floorMs` ago.
 */
function due(spentMs, share, lastAt, floorMs) {
  return spentMs <= share * trainingMs || performance.now() - lastAt >= floorMs;
}

/** Runs `work` and resolves to the milliseconds it took. */
async function timed(work) {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function evaluate() {
  const report = await trainer.evaluate();
  post({ type: 'heldout', progress: trainer.progress(), report });
}

/** The ELBO against the importance-weighted bound with k samples, on a few held-out digits. */
async function estimateGap() {
  const started = performance.now();
  const report = await trainer.estimateGap(gapK, gapDigits(gapK));
  gapMs += performance.now() - started;
  post({ type: 'gap', progress: trainer.progress(), report });
}

async function sendWeights() {
  const bytes = await trainer.exportWeights();
  lastWeightsAt = performance.now();
  post({ type: 'weights', bytes, progress: trainer.progress() }, [bytes.buffer]);
}
