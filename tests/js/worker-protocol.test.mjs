// The training worker's command protocol, in Node with a fake trainer (fixtures/): commands run
// one at a time in the order sent, each is answered by a status carrying its seq, and the
// answer to the last one says what the worker is doing, whatever the timing of the clicks.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { weightsFile } from './fixtures/fake-latent-lab.mjs';

const www = join(import.meta.dirname, '..', '..', 'www');
const fake = join(import.meta.dirname, 'fixtures', 'fake-latent-lab.mjs');
const bundled = await build({
  entryPoints: [join(www, 'src', 'worker.js')],
  bundle: true,
  format: 'iife',
  write: false,
  // Both builds' glue (pkg/ and the threaded pkg-threads/) are the fake.
  plugins: [{ name: 'fake-pkg', setup: (b) => b.onResolve({ filter: /pkg(-threads)?\/latent_lab\.js$/ }, () => ({ path: fake })) }],
});
// Each worker gets its own `self`, as each Web Worker has its own global scope.
const runWorker = new Function('self', bundled.outputFiles[0].text);

// The worker's macrotask boundary, without a MessagePort that would keep Node running.
globalThis.MessageChannel = class {
  constructor() {
    this.port1 = { onmessage: null };
    this.port2 = { postMessage: () => setImmediate(() => this.port1.onmessage?.({})) };
  }
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition, what, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

/** A fresh worker speaking to a fake page. */
function startWorker() {
  const messages = [];
  const trainers = [];
  const scope = { postMessage: (message) => messages.push(message), fakeTrainers: trainers };
  runWorker(scope);
  let seq = 0;
  const send = (message) => scope.onmessage({ data: { ...message, seq: ++seq } });
  const worker = {
    messages,
    send,
    /** Starts the shipped model on the CPU, evaluated at once, unless `options` say otherwise. */
    init: (options = {}) =>
      send({ type: 'init', module: null, dataset: new Blob([new Uint8Array(8)]), backend: 'cpu', weights: weightsFile({ model: 'shipped', step: 0 }).buffer, evaluate: true, gapK: 16, optimizer: {}, ...options }),
    /** The status answering the last command sent, once it comes. */
    settled: () => waitFor(() => messages.findLast((m) => m.type === 'status' && m.seq === seq), `the answer to command ${seq}`),
    /** The trainer now in use. */
    current: () => trainers.filter((t) => !t.freed).at(-1),
    trainers,
    /** Ends this worker's training, whatever state a failed test left it in. */
    stop: () => (trainers.stopped = true),
    /** Steps reported from now on. */
    async stepsDuring(ms) {
      const from = messages.length;
      await sleep(ms);
      return messages.slice(from).filter((m) => m.type === 'steps');
    },
  };
  return worker;
}

test('a Train sent right behind an import trains the imported model', async (t) => {
  const worker = startWorker();
  t.after(worker.stop);
  worker.init();
  assert.equal((await worker.settled()).state, 'ready');
  worker.send({ type: 'train' });
  assert.equal((await worker.settled()).state, 'training');
  await waitFor(() => worker.messages.some((m) => m.type === 'steps'), 'a chunk of steps');
  // The import waits for the chunk under way; the Train after it must not be answered first.
  worker.send({ type: 'load', weights: weightsFile({ model: 'imported', step: 500 }).buffer });
  worker.send({ type: 'train' });
  assert.equal((await worker.settled()).state, 'training');
  const steps = await worker.stepsDuring(60);
  assert.ok(steps.length > 0, 'training goes on');
  assert.ok(steps.every((m) => m.stats.progress.step > 500), 'on the imported model');
  assert.equal(worker.current().model, 'imported');
  worker.send({ type: 'pause' });
  assert.equal((await worker.settled()).state, 'paused');
});

test('an import that fails anywhere, even after its trainer was built, changes nothing', async (t) => {
  const worker = startWorker();
  t.after(worker.stop);
  worker.init();
  await worker.settled();
  const before = worker.messages.length;
  worker.send({ type: 'load', weights: weightsFile({ model: 'unreadable', step: 2 ** 53 + 1, unreadable: true }).buffer });
  const answer = await worker.settled();
  const after = worker.messages.slice(before);
  assert.deepEqual(after.filter((m) => m.type === 'started'), [], 'no new model announced');
  assert.match(after.find((m) => m.type === 'error')?.message ?? '', /JavaScript number/);
  assert.equal(answer.state, 'paused');
  assert.equal(worker.current().model, 'shipped', 'the model being trained is the one before the import');
  // And it goes on training that model.
  worker.send({ type: 'train' });
  assert.equal((await worker.settled()).state, 'training');
  const steps = await worker.stepsDuring(40);
  assert.ok(steps.length > 0 && steps.every((m) => m.stats.progress.step < 2 ** 53));
  worker.send({ type: 'pause' });
  await worker.settled();
});

test('a new model is announced with everything the page shows of it, at once', async (t) => {
  const worker = startWorker();
  t.after(worker.stop);
  worker.init();
  await worker.settled();
  worker.send({ type: 'load', weights: weightsFile({ model: 'imported', step: 700 }).buffer });
  await worker.settled();
  const started = worker.messages.findLast((m) => m.type === 'started');
  assert.equal(started.reason, 'load');
  assert.equal(started.seq, 2, 'carries the seq of the command that brought it');
  assert.deepEqual(started.progress, { step: 700, epoch: 0, epochFraction: 0, imagesSeen: 64 * 700 });
  assert.equal(JSON.parse(new TextDecoder().decode(started.weights)).model, 'imported');
  assert.ok(started.settings && started.backend.kind === 'cpu');
});

test('a wasm trap while training is reported as a crash, and the worker answers nothing after it', async (t) => {
  const worker = startWorker();
  t.after(worker.stop);
  worker.init();
  await worker.settled();
  worker.send({ type: 'load', weights: weightsFile({ model: 'doomed', step: 0, trapAtStep: 5 }).buffer });
  await worker.settled();
  worker.send({ type: 'train' });
  const crash = await waitFor(() => worker.messages.find((m) => m.type === 'crashed'), 'the crash report');
  assert.match(crash.message, /unreachable/);
  const from = worker.messages.length;
  worker.send({ type: 'pause' });
  worker.send({ type: 'export', id: 1 });
  await sleep(50);
  assert.deepEqual(worker.messages.slice(from), [], 'a crashed worker sends nothing more');
});

test('however many Trains follow Pauses, one training loop: a command waits for one chunk at most', async (t) => {
  const worker = startWorker();
  t.after(worker.stop);
  worker.init();
  await worker.settled();
  worker.send({ type: 'train' });
  for (let i = 0; i < 10; i++) {
    worker.send({ type: 'pause' });
    worker.send({ type: 'train' });
    await sleep(i % 3);
  }
  assert.equal((await worker.settled()).state, 'training');
  for (let i = 0; i < 5; i++) {
    await sleep(7);
    const from = worker.messages.length;
    worker.send({ type: 'optimizer', optimizer: { learningRate: 0.002 }, rebuild: false });
    await worker.settled();
    const chunks = worker.messages.slice(from).filter((m) => m.type === 'steps').length;
    assert.ok(chunks <= 1, `${chunks} chunks ran before a command sent during one`);
  }
});

test('any burst of commands ends in the state the last one asks for, every one answered in order', async () => {
  // A small, seeded generator, so a failure can be replayed.
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = (items) => items[Math.floor(random() * items.length)];
  for (let burst = 0; burst < 40; burst++) {
    const worker = startWorker();
    try {
      await burstOfCommands(worker, burst, random, pick);
    } finally {
      worker.stop();
    }
  }
});

/** Sends a dozen random commands, then checks the worker's answers against what they ask for. */
async function burstOfCommands(worker, burst, random, pick) {
  worker.init();
  await worker.settled();
  // What the last command asks for: the worker's state, and which model it trains.
  let state = 'ready';
  let model = 'shipped';
  const sent = [];
  for (let i = 0; i < 12; i++) {
    const kind = pick(['train', 'train', 'pause', 'pause', 'load', 'reset', 'backend', 'optimizer', 'optimizer-rebuild']);
    sent.push(kind);
    switch (kind) {
      case 'train':
        worker.send({ type: 'train' });
        state = 'training';
        break;
      case 'pause':
        worker.send({ type: 'pause' });
        if (state === 'training') state = 'paused';
        break;
      case 'load':
        model = `file ${i}`;
        worker.send({ type: 'load', weights: weightsFile({ model, step: 1000 * i }).buffer });
        state = 'ready';
        break;
      case 'reset': {
        const train = random() < 0.5;
        worker.send({ type: 'reset', model: {}, objective: {}, train });
        model = 'fresh';
        state = train ? 'training' : 'ready';
        break;
      }
      case 'backend':
      case 'optimizer-rebuild':
        if (kind === 'backend') worker.send({ type: 'backend', backend: pick(['cpu', 'webgpu']) });
        else worker.send({ type: 'optimizer', optimizer: { learningRate: 0.001 }, rebuild: true });
        // The same weights go on: training if they were, else ready to train.
        if (state !== 'training') state = 'ready';
        break;
      case 'optimizer':
        worker.send({ type: 'optimizer', optimizer: { learningRate: 0.002 }, rebuild: false });
        break;
    }
    // Clicks in the same task, or a few milliseconds apart, as a person hammering buttons.
    if (random() < 0.5) await sleep(Math.floor(random() * 8));
  }
  const what = `burst ${burst}: ${sent.join(', ')}`;
  const answer = await worker.settled();
  assert.equal(answer.state, state, what);
  assert.equal(worker.current().model, model, what);
  const statuses = worker.messages.filter((m) => m.type === 'status');
  assert.ok(statuses.every((m, i) => i === 0 || m.seq >= statuses[i - 1].seq), `${what}: answers in order`);
  for (let seq = 1; seq <= sent.length + 1; seq++) assert.ok(statuses.some((m) => m.seq === seq), `${what}: command ${seq} answered`);
  assert.deepEqual(worker.messages.filter((m) => m.type === 'error'), [], what);
  const steps = await worker.stepsDuring(40);
  if (state === 'training') assert.ok(steps.length > 0, `${what}: training goes on`);
  else assert.deepEqual(steps, [], `${what}: no training left running`);
}

/** A worker training the shipped model on WebGPU, ready. */
async function onWebGpu(t) {
  const worker = startWorker();
  t.after(worker.stop);
  worker.init({ backend: 'webgpu', weights: weightsFile({ model: 'shipped', step: 40 }).buffer, evaluate: false });
  assert.equal((await worker.settled()).state, 'ready');
  return worker;
}

test('a race times copies of the model on each backend, names the faster and trains the model on it', async (t) => {
  const worker = await onWebGpu(t);
  const before = worker.trainers.length;
  worker.send({ type: 'race', backends: ['webgpu', 'cpu'], train: true });
  assert.equal((await worker.settled()).state, 'training');
  const { race } = worker.messages.find((m) => m.type === 'raced');
  assert.equal(race.chosen, 'cpu');
  assert.ok(race.speeds.cpu.imagesPerSecond > race.speeds.webgpu.imagesPerSecond && race.speeds.webgpu.imagesPerSecond > 0, JSON.stringify(race.speeds));
  const copies = worker.trainers.slice(before, before + 2);
  assert.deepEqual(copies.map((c) => [c.kind, c.freed]), [['webgpu', true], ['cpu', true]], 'one copy per backend, each freed');
  // The model moved to the CPU from the step it had: the copies' steps were not its own.
  const started = worker.messages.findLast((m) => m.type === 'started');
  assert.equal(started.reason, 'race');
  assert.equal(started.progress.step, 40);
  assert.equal(worker.current().kind, 'cpu');
  const steps = await worker.stepsDuring(40);
  assert.ok(steps.length > 0 && steps[0].stats.progress.step > 40, 'and trains on');
  worker.send({ type: 'pause' });
  assert.equal((await worker.settled()).state, 'paused');
});

test('a Pause sent during a race: the race ends, and nothing trains after it', async (t) => {
  const worker = await onWebGpu(t);
  worker.send({ type: 'race', backends: ['webgpu', 'cpu'], train: true });
  await sleep(20);
  worker.send({ type: 'pause' });
  const answer = await worker.settled();
  assert.notEqual(answer.state, 'training');
  assert.ok(worker.messages.some((m) => m.type === 'raced'));
  assert.deepEqual(await worker.stepsDuring(60), [], 'no training after the Pause');
});

test('a backend that fails in the race loses it, with its reason', async (t) => {
  const worker = await onWebGpu(t);
  worker.send({ type: 'race', backends: ['webgpu', 'nope'], train: false });
  await worker.settled();
  const { race } = worker.messages.find((m) => m.type === 'raced');
  assert.equal(race.chosen, 'webgpu');
  assert.match(race.speeds.nope.error, /unknown backend nope/);
  assert.equal(worker.current().kind, 'webgpu');
});

test('WebGPU that will not start falls back to the CPU, told by the error\'s kind, not its words', async (t) => {
  const worker = startWorker();
  t.after(worker.stop);
  worker.trainers.webgpuFails = 'no adapter';
  worker.init({ backend: 'webgpu', evaluate: false });
  assert.equal((await worker.settled()).state, 'ready');
  assert.match(worker.messages.find((m) => m.type === 'error').message, /^WebGPU could not start \(WebGPU is not available: no adapter\); training on the CPU instead\.$/);
  assert.equal(worker.current().kind, 'cpu');
});

test('any other failure on WebGPU is reported as it is, with no fallback, whatever its words', async (t) => {
  const worker = startWorker();
  t.after(worker.stop);
  worker.init();
  await worker.settled();
  // Its message starts as a missing device's would, but it has no kind.
  worker.trainers.webgpuFails = 'a shader failed';
  worker.send({ type: 'backend', backend: 'webgpu' });
  await worker.settled();
  assert.match(worker.messages.findLast((m) => m.type === 'error').message, /^WebGPU is not available: a shader failed$/);
  assert.equal(worker.current().kind, 'cpu', 'still the model it had, on the CPU');
  assert.ok(!worker.trainers.some((t) => t.kind === 'cpu' && t !== worker.trainers[0]), 'no CPU trainer built in its place');
});

test('new data goes on training the same model; data the trainer refuses changes nothing', async (t) => {
  const worker = startWorker();
  t.after(worker.stop);
  worker.init({ dataset: new Blob([Uint8Array.of(1)]) });
  await worker.settled();
  worker.send({ type: 'train' });
  await waitFor(() => worker.messages.some((m) => m.type === 'steps'), 'a chunk of steps');
  const before = worker.messages.length;
  worker.send({ type: 'data', dataset: new Blob([Uint8Array.of(2)]) });
  assert.equal((await worker.settled()).state, 'training', 'training goes on');
  const started = worker.messages.slice(before).filter((m) => m.type === 'started');
  assert.deepEqual(started.map((m) => [m.reason, m.seq]), [['data', 3]]);
  assert.ok(worker.messages.slice(before).some((m) => m.type === 'heldout'), 'evaluated on the new data at once');
  assert.equal(worker.current().dataset, 2);
  assert.equal(worker.current().model, 'shipped', 'the same model');
  assert.ok(worker.current().step > 0, 'its step count carried over');
  const refused = worker.messages.length;
  worker.send({ type: 'data', dataset: new Blob([Uint8Array.of(0xff)]) });
  assert.equal((await worker.settled()).state, 'paused');
  assert.deepEqual(worker.messages.slice(refused).filter((m) => m.type === 'started'), []);
  assert.match(worker.messages.slice(refused).find((m) => m.type === 'error').message, /refuses this dataset/);
  // The next trainer (a backend switch) is built on the data taken before, not the refused one.
  const switched = worker.messages.length;
  worker.send({ type: 'backend', backend: 'cpu' });
  await worker.settled();
  assert.deepEqual(worker.messages.slice(switched).filter((m) => m.type === 'started').map((m) => m.reason), ['backend']);
  assert.equal(worker.current().dataset, 2);
});
