// The Web Worker that owns the model being trained, so the page never freezes, whatever a
// training step costs on the chosen backend. It speaks protocol.js: commands run one at a time
// in the order they arrive, each answered by a status once done. Its parts are in worker/.

import { FROM_WORKER, TO_WORKER, post } from './protocol.js';
import { crash, divergeIfAsked, hasCrashed, holdIfAsked, trapIfAsked, watchCrashes } from './worker/crash.js';
import { unlessDeviceLost, watchGpuDevices } from './worker/device.js';
import { Model } from './worker/model.js';
import { exclusive, yieldToEvents } from './worker/queue.js';
import { race } from './worker/race.js';

const model = new Model();

/**
 * Where training stands, the one variable every command and chunk reads:
 * - 'ready': a new trainer, not trained yet;
 * - 'training': the loop runs chunk after chunk;
 * - 'pausing': training was asked to stop (a Pause on its way, a failure, a command that
 *   replaces the trainer); the loop ends after the chunk under way, and the command whose turn
 *   comes next settles the state. A status sent meanwhile still says 'training': it answers a
 *   command sent before whatever stopped training, and the page waits for its last one's;
 * - 'paused': stopped by a Pause, a failure or a divergence, and the page told.
 * @type {'ready' | 'training' | 'pausing' | 'paused'}
 */
let state = 'ready';
/**
 * Whether a training loop is under way. Its own guard, because `state` cannot tell: a Pause and a
 * Train handled between two of its chunks leave `state` 'training' again before the loop has
 * seen it stop, and a second loop would double the chunks each command waits behind.
 */
let looping = false;
/** The seq of the command being handled, for the `started` it may bring. */
let handling = 0;
/** The seq of the last command done, which every status carries. */
let answered = 0;
/** Whether training was on when the last command or chunk failed. */
let failedWhileTraining = false;

/** Stops training after the chunk under way. */
function stop() {
  if (state === 'training') state = 'pausing';
}

function startTraining() {
  state = 'training';
  loop();
}

function postStatus() {
  const shown = state === 'pausing' ? 'training' : state;
  post({ type: FROM_WORKER.status, state: shown, backend: model.trainer.backend(), seq: answered });
}

watchCrashes(stop);
watchGpuDevices((message) => {
  const training = state === 'training' || failedWhileTraining;
  stop();
  post({ type: FROM_WORKER.deviceLost, message, training });
});

self.onmessage = ({ data }) => {
  if (hasCrashed()) return;
  // Ends training after the chunk under way, so Pause answers quickly; the pause itself (and
  // whatever was sent before it) still takes its turn.
  if (data.type === TO_WORKER.pause) stop();
  exclusive(() => answer(data).catch((error) => failed(error, data.seq)));
};

/** Runs a command, then says what state it left, so the page knows it was done. */
async function answer(message) {
  handling = message.seq ?? 0;
  try {
    await handle(message);
  } finally {
    if (message.seq) answered = message.seq;
  }
  if (message.seq && model.trainer) postStatus();
}

/**
 * A command (numbered `seq`) or a chunk failed: report it and pause, unless the device was lost, which the
 * page hears about from the device itself (and answers with a new worker). Runs in the failed
 * task's turn, so no later command has started training again before its status is sent.
 */
async function failed(error, seq = undefined) {
  if (error instanceof WebAssembly.RuntimeError) {
    crash(error);
    return;
  }
  failedWhileTraining = state === 'training';
  stop();
  await unlessDeviceLost(() => {
    failedWhileTraining = false;
    post({ type: FROM_WORKER.error, message: error?.message ?? String(error), seq });
    if (!model.trainer) return;
    state = 'paused';
    postStatus();
  });
}

/** @param {import('./protocol.js').ToWorker} message */
async function handle(message) {
  switch (message.type) {
    case TO_WORKER.init:
      await model.init(message);
      await start(message.reason ?? 'init', message.backend, new Uint8Array(message.weights), message.evaluate);
      if (message.train) startTraining();
      break;
    case TO_WORKER.train:
      if (model.trainer && state !== 'training') startTraining();
      break;
    case TO_WORKER.pause:
      // Also here, in turn: a Train sent before this Pause may have started training again.
      stop();
      if (model.trainer && state === 'pausing') {
        await trapIfAsked('pause');
        await model.sendWeights();
        state = 'paused';
      }
      break;
    case TO_WORKER.load:
      stop();
      await trapIfAsked('load');
      await start('load', model.trainer.backend().kind, new Uint8Array(message.weights), true);
      break;
    case TO_WORKER.reset:
      stop();
      model.fresh = { model: message.model, objective: message.objective, data: message.data };
      await start('reset', model.trainer.backend().kind, undefined, true);
      if (message.train) startTraining();
      break;
    case TO_WORKER.gapK:
      model.gapK = message.k;
      if (state !== 'training') await model.estimateGap();
      break;
    case TO_WORKER.export:
      await holdIfAsked('export');
      post({ type: FROM_WORKER.reply, id: message.id, value: await model.trainer.exportWeights() });
      break;
    case TO_WORKER.memory:
      post({ type: FROM_WORKER.reply, id: message.id, value: await memoryReport() });
      break;
    case TO_WORKER.backend:
      await rebuild('backend', message.backend);
      break;
    case TO_WORKER.race: {
      // A Pause sent during the race stops training, and it does not start after the race.
      if (message.train) state = 'training';
      else stop();
      const verdict = await race(model, message.backends);
      post({ type: FROM_WORKER.raced, race: verdict });
      if (verdict.chosen !== model.trainer.backend().kind) await start('race', verdict.chosen, await model.trainer.exportWeights(), false);
      if (state === 'training') startTraining();
      break;
    }
    case TO_WORKER.data: {
      // The same weights go on with new data; the old data stays if the trainer refuses it.
      const wasTraining = state === 'training';
      stop();
      const weights = await model.trainer.exportWeights();
      const previous = model.dataset;
      model.dataset = new Uint8Array(await message.dataset.arrayBuffer());
      try {
        await start('data', model.trainer.backend().kind, weights, true);
      } catch (e) {
        model.dataset = previous;
        throw e;
      }
      if (wasTraining) startTraining();
      break;
    }
    case TO_WORKER.optimizer: {
      const previous = model.optimizer;
      model.optimizer = message.optimizer;
      try {
        if (message.rebuild) await rebuild('optimizer', model.trainer.backend().kind);
      } catch (e) {
        model.optimizer = previous;
        throw e;
      }
      break;
    }
  }
}

/**
 * A new trainer in place of this one (Model.start), ready to train; a race that trains on
 * keeps 'training', and moves the loop to the new trainer without stopping it.
 */
async function start(reason, backend, weights, evaluateFirst) {
  await model.start(reason, backend, weights, evaluateFirst, handling);
  if (state !== 'training') state = 'ready';
}

/**
 * A new trainer for the same weights on `backend` with the current optimizer settings, training
 * on if this one was. The weights file carries the step count, so the plot goes on.
 */
async function rebuild(reason, backend) {
  const wasTraining = state === 'training';
  stop();
  await start(reason, backend, await model.trainer.exportWeights(), false);
  if (wasTraining) startTraining();
}

/** Trains chunk after chunk while training; one loop at a time. */
async function loop() {
  if (looping) return;
  looping = true;
  try {
    while (state === 'training') {
      await exclusive(() => trainChunk().catch(failed));
      await yieldToEvents();
    }
  } finally {
    looping = false;
  }
}

async function trainChunk() {
  if (state !== 'training') return;
  await trapIfAsked('train');
  if (divergeIfAsked()) model.trainer.injectNonFiniteWeights();
  const { divergence, progress } = await model.trainChunk();
  if (!divergence) return;
  // The trainer is back at its last finite snapshot: show that model and stop.
  stop();
  post({ type: FROM_WORKER.diverged, divergence, progress });
  await model.sendWeights();
  state = 'paused';
  postStatus();
}

/**
 * What this worker holds: its wasm memory; and, in the soak test's instrumented build
 * (worker/gpu-buffers.js), its live WebGPU buffers.
 * @returns {Promise<import('./protocol.js').MemoryReport>}
 */
async function memoryReport() {
  const wasmBytes = (model.wasm?.memory.buffer.byteLength ?? 0) + (model.threadedWasm?.memory.buffer.byteLength ?? 0);
  return { wasmBytes, ...(await self.latentLabGpuBuffers?.()) };
}
