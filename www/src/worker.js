// The Web Worker that owns the model being trained, so the page never freezes, whatever a
// training step costs on the chosen backend.
//
// Protocol. In: {type: 'init', module, dataset, backend, weights, evaluate, gapK},
// {type: 'train'}, {type: 'pause'}, {type: 'load', weights}, {type: 'reset', model, objective, train},
// {type: 'backend', backend}, {type: 'export', id}, {type: 'gap-k', k}.
// Out: {type: 'started', reason, config} when a new model takes over (before its figures),
// {type: 'status', state: 'ready' | 'training' | 'paused', backend},
// {type: 'steps', stats, stepsPerSecond}, {type: 'heldout', progress, report} (HeldoutReport:
// elbo, unitVariances, activeUnits, means), {type: 'gap', progress, report} (GapReport),
// {type: 'weights', bytes, progress}, {type: 'exported', id, bytes}, {type: 'error', message}.
// A command that fails leaves the model being trained as it was.

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
/** Held-out digits for the gap: fewer as k grows, so one estimate costs about the same. */
const gapDigits = (k) => Math.max(16, Math.min(100, Math.floor(6400 / k)));

/** @type {TrainerHandle | null} */
let trainer = null;
let dataset = null;
/** What a reset builds: {model: {latentSize, likelihood, covariance, architecture}, objective}. */
let fresh = null;
let gapK = 16;
let trainingMs = 0;
let evalMs = 0;
let weightsMs = 0;
let gapMs = 0;
let running = false;
let chunk = 1;
let stepsPerSecond = null;
let lastEvalImages = 0;
let lastEvalAt = 0;
let lastWeightsAt = 0;

const post = (message, transfer = []) => self.postMessage(message, transfer);

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
  if (data.type === 'pause') running = false;
  if (data.type === 'train' && !running && trainer) {
    running = true;
    post({ type: 'status', state: 'training', backend: trainer.backend() });
    loop();
    return;
  }
  exclusive(() => handle(data)).catch((e) => {
    running = false;
    post({ type: 'error', message: e?.message ?? String(e) });
    if (trainer) post({ type: 'status', state: 'paused', backend: trainer.backend() });
  });
};

async function handle(message) {
  switch (message.type) {
    case 'init':
      await init({ module_or_path: message.module });
      dataset = new Uint8Array(message.dataset);
      gapK = message.gapK ?? gapK;
      await start('init', message.backend, new Uint8Array(message.weights), message.evaluate);
      break;
    case 'pause':
      if (trainer) {
        await sendWeights();
        post({ type: 'status', state: 'paused', backend: trainer.backend() });
      }
      break;
    case 'load':
      running = false;
      await start('load', trainer.backend().kind, new Uint8Array(message.weights), true);
      break;
    case 'reset':
      running = false;
      fresh = { model: message.model, objective: message.objective };
      await start('reset', trainer.backend().kind, undefined, true);
      if (message.train) {
        running = true;
        post({ type: 'status', state: 'training', backend: trainer.backend() });
        loop();
      }
      break;
    case 'gap-k':
      gapK = message.k;
      if (!running) await estimateGap();
      break;
    case 'export':
      post({ type: 'exported', id: message.id, bytes: await trainer.exportWeights() });
      break;
    case 'backend': {
      const wasRunning = running;
      running = false;
      // The weights file carries the step count, so the new trainer picks up where this one was.
      await start('backend', message.backend, await trainer.exportWeights(), false);
      if (wasRunning) {
        running = true;
        post({ type: 'status', state: 'training', backend: trainer.backend() });
        loop();
      }
      break;
    }
  }
}

/**
 * Replaces the trainer with one starting from `weights` (fresh ones as the last reset asked
 * when absent); only once the new one exists is the old one freed.
 */
async function start(reason, backend, weights, evaluateFirst) {
  // A weights file brings its own model and objective.
  const options = weights ? {} : fresh;
  let next;
  try {
    next = await TrainerHandle.create({ backend, ...options }, dataset, weights);
  } catch (e) {
    if (backend !== 'webgpu') throw e;
    post({ type: 'error', message: `WebGPU could not start (${e.message}); training on the CPU instead.` });
    next = await TrainerHandle.create({ backend: 'cpu', ...options }, dataset, weights);
  }
  trainer?.free();
  trainer = next;
  post({ type: 'started', reason, config: trainer.config() });
  chunk = 1;
  stepsPerSecond = null;
  trainingMs = 0;
  evalMs = 0;
  weightsMs = 0;
  gapMs = 0;
  lastEvalImages = trainer.progress().imagesSeen;
  lastEvalAt = performance.now();
  if (evaluateFirst) {
    await evaluate();
    await estimateGap();
  }
  await sendWeights();
  post({ type: 'status', state: running ? 'training' : 'ready', backend: trainer.backend() });
}

async function loop() {
  while (running) {
    await exclusive(trainChunk).catch((e) => {
      running = false;
      post({ type: 'error', message: e?.message ?? String(e) });
      post({ type: 'status', state: 'paused', backend: trainer.backend() });
    });
    await yieldToEvents();
  }
}

async function trainChunk() {
  if (!running) return;
  const started = performance.now();
  const stats = await trainer.trainSteps(chunk);
  const elapsed = Math.max(1, performance.now() - started);
  trainingMs += elapsed;
  const rate = (1000 * stats.steps) / elapsed;
  stepsPerSecond = stepsPerSecond == null ? rate : 0.8 * stepsPerSecond + 0.2 * rate;
  chunk = Math.max(1, Math.min(32, Math.round((chunk * CHUNK_TARGET_MS) / elapsed)));
  post({ type: 'steps', stats, stepsPerSecond });
  if (!Number.isFinite(stats.train.negativeElbo)) {
    running = false;
    post({ type: 'error', message: 'Training diverged: the loss is no longer a finite number. Paused.' });
    post({ type: 'status', state: 'paused', backend: trainer.backend() });
    return;
  }
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
  const report = await trainer.evaluateGap(gapK, gapDigits(gapK));
  gapMs += performance.now() - started;
  post({ type: 'gap', progress: trainer.progress(), report });
}

async function sendWeights() {
  const bytes = await trainer.exportWeights();
  lastWeightsAt = performance.now();
  post({ type: 'weights', bytes, progress: trainer.progress() }, [bytes.buffer]);
}
