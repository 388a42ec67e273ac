// The Web Worker that owns the model being trained, so the page never freezes, whatever a
// training step costs on the chosen backend.
//
// Protocol. In: {type: 'init', module, dataset, backend, weights, evaluate},
// {type: 'train'}, {type: 'pause'}, {type: 'load', weights}, {type: 'reset', latentSize},
// {type: 'backend', backend}, {type: 'export', id}.
// Out: {type: 'started', reason, latentSize} when a new model takes over (before its figures),
// {type: 'status', state: 'ready' | 'training' | 'paused', backend},
// {type: 'steps', stats, stepsPerSecond}, {type: 'heldout', progress, stats},
// {type: 'weights', bytes, progress}, {type: 'exported', id, bytes}, {type: 'error', message}.
// A command that fails leaves the model being trained as it was.

import init, { TrainerHandle } from '../../pkg/latent_lab.js';

/** Held-out evaluation cadence, in training images. */
const EVAL_EVERY_IMAGES = 1024;
/** How often the page's viewer gets fresh weights while training. */
const WEIGHTS_EVERY_MS = 500;
/** A chunk of steps between readbacks lasts about this long, so Pause answers quickly. */
const CHUNK_TARGET_MS = 100;

/** @type {TrainerHandle | null} */
let trainer = null;
let dataset = null;
let latentSize = 20;
let running = false;
let chunk = 1;
let stepsPerSecond = null;
let lastEvalImages = 0;
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
      latentSize = message.latentSize;
      await start('reset', trainer.backend().kind, undefined, true);
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
 * Replaces the trainer with one starting from `weights` (fresh ones of `latentSize` when
 * absent); only once the new one exists is the old one freed.
 */
async function start(reason, backend, weights, evaluateFirst) {
  let next;
  try {
    next = await TrainerHandle.create({ backend, latentSize }, dataset, weights);
  } catch (e) {
    if (backend !== 'webgpu') throw e;
    post({ type: 'error', message: `WebGPU could not start (${e.message}); training on the CPU instead.` });
    next = await TrainerHandle.create({ backend: 'cpu', latentSize }, dataset, weights);
  }
  trainer?.free();
  trainer = next;
  latentSize = trainer.latentSize;
  post({ type: 'started', reason, latentSize });
  chunk = 1;
  stepsPerSecond = null;
  lastEvalImages = trainer.progress().imagesSeen;
  if (evaluateFirst) await evaluate();
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
  if (stats.progress.imagesSeen - lastEvalImages >= EVAL_EVERY_IMAGES) {
    lastEvalImages = stats.progress.imagesSeen;
    await evaluate();
  }
  if (performance.now() - lastWeightsAt >= WEIGHTS_EVERY_MS) await sendWeights();
}

async function evaluate() {
  const stats = await trainer.evaluate();
  post({ type: 'heldout', progress: trainer.progress(), stats });
}

async function sendWeights() {
  const bytes = await trainer.exportWeights();
  lastWeightsAt = performance.now();
  post({ type: 'weights', bytes, progress: trainer.progress() }, [bytes.buffer]);
}
