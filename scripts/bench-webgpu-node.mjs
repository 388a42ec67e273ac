// Trains the page's own wasm build on WebGPU in Node, outside any browser: for a GPU machine that
// has no browser (Chromium cannot be installed on one that is offline). WebGPU comes from the npm
// package `webgpu`, which is Dawn, the WebGPU implementation inside Chromium. The training worker
// of the page (www/src/worker.js, bundled as the page bundles it) runs in this process with the
// built pkg/, so what is measured is the page's training loop: its chunks, held-out evaluations
// and weight syncs. TensorFlow.js's webgpu backend trains the same VAE in the same process as
// the peer (bench/tfjs-vae.js). The GPU work is counted as scripts/bench.mjs counts it in the
// browser (bench/gpu-work.mjs).
//
// Usage: node scripts/bench-webgpu-node.mjs [--seconds 20] [--model mlp|conv|both] [--no-peer]
//                                           [--driver gpu|swiftshader|lavapipe|software] [--no-build]
// --driver picks the Vulkan driver Dawn runs on: `gpu` (the default) the machine's own; on a
// machine without a GPU, `swiftshader` (from Debian's chromium package, the adapter headless
// Chromium has here), `lavapipe` (Mesa 25's software Vulkan, set up by scripts/lavapipe.sh), or
// `software` for both, one after the other, with a table comparing them. Each driver runs in a
// process of its own, since the Vulkan loader reads its driver and library path at start-up.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import vm from 'node:vm';
import { build } from 'esbuild';
import { installGpuCounter } from '../bench/gpu-work.mjs';
import { threadPool } from './bundle.mjs';

const root = join(import.meta.dirname, '..');
const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    model: { type: 'string', default: 'both' },
    'no-peer': { type: 'boolean', default: false },
    driver: { type: 'string', default: 'gpu' },
    'no-build': { type: 'boolean', default: false },
    // Set by this script for the process of one software driver: where it writes its figures.
    'summary-to': { type: 'string' },
  },
});
const seconds = Number(options.seconds);
const BATCH = 128;
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SWIFTSHADER_LIBRARIES = '/usr/lib/chromium';

const run = (command, args, cwd = root) => execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
if (!options['no-build']) {
  console.error('building the page (scripts/build.sh)…');
  run('scripts/build.sh', []);
}
if (!existsSync(join(root, 'bench', 'node_modules', 'webgpu'))) {
  console.error('installing Dawn and TensorFlow.js for the benchmark (bench/package.json)…');
  run('npm', ['ci', '--no-audit', '--no-fund'], join(root, 'bench'));
}

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—');

/** The environment Dawn needs to start on a software driver (the Vulkan loader reads it once). */
function driverEnvironment(driver) {
  if (driver === 'swiftshader') {
    if (!existsSync(SWIFTSHADER_ICD)) throw new Error(`--driver swiftshader needs ${SWIFTSHADER_ICD} (Debian's chromium package)`);
    // Chromium's folder has the Vulkan loader beside SwiftShader.
    return { VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: SWIFTSHADER_LIBRARIES };
  }
  const icd = execFileSync(join(root, 'scripts', 'lavapipe.sh'), [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const libraries = readFileSync(join(icd, '..', 'library-path'), 'utf8').trim();
  return { VK_ICD_FILENAMES: icd, LD_LIBRARY_PATH: libraries };
}

const DRIVERS = { gpu: ['gpu'], swiftshader: ['swiftshader'], lavapipe: ['lavapipe'], software: ['swiftshader', 'lavapipe'] };
const drivers = DRIVERS[options.driver];
if (!drivers) throw new Error(`--driver is one of ${Object.keys(DRIVERS).join(', ')}, not ${options.driver}`);
if (drivers[0] !== 'gpu' && !options['summary-to']) {
  // One process per software driver, each printing its own tables, then the drivers side by side.
  const folder = mkdtempSync(join(tmpdir(), 'latent-lab-drivers-'));
  const summaries = [];
  try {
    for (const driver of drivers) {
      const summaryFile = join(folder, `${driver}.json`);
      const passed = process.argv.slice(2).filter((arg, i, all) => arg !== '--no-build' && !arg.startsWith('--driver') && all[i - 1] !== '--driver');
      const child = spawnSync(process.execPath, [import.meta.filename, ...passed, '--no-build', '--driver', driver, '--summary-to', summaryFile], {
        stdio: 'inherit',
        env: { ...process.env, ...driverEnvironment(driver) },
      });
      if (child.status !== 0) throw new Error(`the benchmark on ${driver} failed (exit ${child.status})`);
      summaries.push(JSON.parse(readFileSync(summaryFile, 'utf8')));
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  printDrivers(summaries);
  process.exit(0);
}

/** Both drivers' default-model figures beside TF.js's on the same driver. */
function printDrivers(summaries) {
  console.log(`\n## the default model on each driver, TensorFlow.js webgpu in the same process on the same driver`);
  console.log('| driver | adapter | latent-lab images/s | TF.js images/s | ratio | first step (latent-lab / TF.js) | dispatches / step (latent-lab / TF.js) | submits / step | readbacks / step | per chunk (dispatches, submits, readbacks) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const s of summaries) {
    const { mlp, peer, split } = s;
    const per = (w, key) => (w && w.steps > 0 ? w[key] / w.steps : NaN);
    const pair = (a, b, digits = 0) => `${fmt(a, digits)} / ${fmt(b, digits)}`;
    console.log(
      `| ${s.driver} | ${s.adapter} | ${fmt(mlp?.imagesPerSecond)} | ${fmt(peer?.imagesPerSecond)} | ${fmt(mlp && peer ? mlp.imagesPerSecond / peer.imagesPerSecond : NaN, 2)}× | ${pair(mlp?.firstStep, peer?.firstStep, 2)} s | ${pair(per(mlp?.work.steps, 'dispatches'), per(peer?.gpu, 'dispatches'))} | ${pair(per(mlp?.work.steps, 'submits'), per(peer?.gpu, 'submits'), 1)} | ${pair(per(mlp?.work.steps, 'readbacks'), per(peer?.gpu, 'readbacks'), 2)} | ${split ? `${fmt(split.dispatches.chunk)}, ${fmt(split.submits.chunk, 1)}, ${fmt(split.readbacks.chunk, 1)}` : '—'} |`,
    );
  }
}

// WebGPU as a page's worker sees it. wgpu finds `navigator.gpu` through the global scope's
// `WorkerGlobalScope`, as in a Web Worker; the bundled worker talks through `self`.
const { create, globals } = await import(join(root, 'bench', 'node_modules', 'webgpu', 'index.js'));
Object.assign(globalThis, globals);
const gpu = create([]);
Object.defineProperty(globalThis, 'navigator', { value: { gpu, hardwareConcurrency: cpus().length }, configurable: true });
globalThis.WorkerGlobalScope ??= class WorkerGlobalScope {};
globalThis.self = globalThis;

const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  throw new Error(
    'Dawn found no WebGPU adapter. On a machine without a GPU, pass --driver software (SwiftShader and lavapipe); on a GPU machine, check that its Vulkan driver is installed (vulkaninfo).',
  );
}
const info = adapter.info;
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';

/** The page's worker, with the real pkg/, listening on this process's `self`. */
async function startWorker() {
  // The worker, and the pkg's TrainerHandle from the same wasm instance for `perChunkAndPerStep`.
  const bundled = await build({
    stdin: { contents: `import './www/src/worker.js'; export { TrainerHandle } from './pkg/latent_lab.js';`, resolveDir: root },
    bundle: true,
    format: 'iife',
    globalName: 'latentLabBench',
    write: false,
    logLevel: 'error',
    // The page's own pool helper in place of wasm-bindgen-rayon's (scripts/bundle.mjs); here the
    // worker trains on WebGPU and never starts a pool.
    plugins: [threadPool],
    define: { __POOL_THREAD_SOURCE__: '""' },
  });
  const listeners = new Set();
  globalThis.postMessage = (message) => {
    for (const listener of listeners) listener(message);
  };
  installGpuCounter();
  self.benchGpu.attributeToMessages();
  vm.runInThisContext(bundled.outputFiles[0].text);
  let seq = 0;
  const errors = [];
  listeners.add((m) => {
    if (m.type === 'error' || m.type === 'crashed' || m.type === 'device-lost') errors.push(m);
  });
  const check = () => {
    if (errors.length) throw new Error(`the worker reported ${errors[0].type}: ${errors[0].message}`);
  };
  return {
    /** Sends a command and resolves with the status that answers it. */
    command(message) {
      const mine = ++seq;
      return new Promise((resolve, reject) => {
        const listener = (m) => {
          if (m.type === 'status' && m.seq >= mine) {
            listeners.delete(listener);
            resolve(m);
          } else if (m.type === 'error' || m.type === 'crashed') {
            listeners.delete(listener);
            reject(new Error(`${m.type}: ${m.message}`));
          }
        };
        listeners.add(listener);
        self.onmessage({ data: { ...message, seq: mine } });
      });
    },
    /** Resolves with the next message of `type`. */
    next(type) {
      return new Promise((resolve) => {
        const listener = (m) => {
          if (m.type === type) {
            listeners.delete(listener);
            resolve(m);
          }
        };
        listeners.add(listener);
      });
    },
    check,
  };
}

/**
 * latent-lab's worker training `model` (the default MLP, or the convolutional one) on WebGPU:
 * the first step's time from Train, then images/s and the GPU work per step over `seconds`,
 * side work (held-out evaluations, weight syncs) counted apart.
 */
async function measureLatentLab(worker, model) {
  if (model === 'conv') {
    await worker.command({ type: 'reset', model: { latentSize: 20, likelihood: { kind: 'bernoulli' }, covariance: 'Diagonal', architecture: 'Conv' }, objective: { samples: 1, beta: 1, warmupSteps: 0 } });
  }
  const firstSteps = worker.next('steps');
  const clicked = performance.now();
  await worker.command({ type: 'train' });
  await firstSteps;
  const firstStep = (performance.now() - clicked) / 1000;
  // A quarter of the time to warm up (the pipelines a held-out evaluation compiles included).
  await new Promise((r) => setTimeout(r, (seconds * 1000) / 4));
  self.benchGpu.reset();
  const from = await worker.next('steps');
  const fromAt = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const to = await worker.next('steps');
  const elapsed = (performance.now() - fromAt) / 1000;
  const work = self.benchGpu.totals();
  await worker.command({ type: 'pause' });
  worker.check();
  const steps = to.stats.progress.step - from.stats.progress.step;
  return { model, firstStep, imagesPerSecond: (steps * BATCH) / elapsed, steps, work };
}

/** TensorFlow.js 4.22's webgpu backend training the same VAE in this process. */
async function measurePeer() {
  const tf = await import(join(root, 'bench', 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.node.js')).catch(() => null);
  if (!tf) throw new Error('TensorFlow.js is not installed in bench/node_modules');
  globalThis.tf = tf;
  await import(join(root, 'bench', 'node_modules', '@tensorflow', 'tfjs-backend-webgpu', 'dist', 'tf-backend-webgpu.node.js'));
  // The peer reads its dataset with fetch, as in a page.
  const dataset = join(root, 'www', 'data', 'mnist-10k.bin');
  const fetch = globalThis.fetch;
  globalThis.fetch = async (url) => (url === dataset ? new Response(readFileSync(dataset)) : fetch(url));
  vm.runInThisContext(`${readFileSync(join(root, 'bench', 'tfjs-vae.js'), 'utf8')}\nglobalThis.runPeer = runPeer;`);
  self.benchGpu.reset([]);
  const result = await globalThis.runPeer({ backend: 'webgpu', seconds, data: dataset });
  globalThis.fetch = fetch;
  return result;
}

const worker = await startWorker();
const dataset = new Uint8Array(readFileSync(join(root, 'www', 'data', 'mnist-10k.bin')));
const weights = new Uint8Array(readFileSync(join(root, 'www', 'models', 'latent-20.bpk')));
const module = await WebAssembly.compile(readFileSync(join(root, 'pkg', 'latent_lab_bg.wasm')));
const started = await worker.command({
  type: 'init',
  module,
  dataset: new Blob([dataset]),
  backend: 'webgpu',
  weights: weights.slice().buffer,
  evaluate: true,
  gapK: 16,
  optimizer: {},
  memoryBudgets: { webgpu: { totalBytes: 2 ** 31, largestTensorBytes: adapter.limits.maxStorageBufferBindingSize } },
});
if (started.backend?.kind !== 'webgpu') throw new Error(`the worker trains on ${JSON.stringify(started.backend)}, not WebGPU`);

/**
 * The trainer's GPU work split into what every step costs and what each chunk of steps adds once
 * (its readback, the finiteness probe): chunks of 1 and of 3 steps on a trainer of the default
 * model, after two warm-up chunks. On a fast GPU the page runs chunks of up to 32 steps, so the
 * per-chunk part is spread over them; on SwiftShader every chunk is one step.
 */
async function perChunkAndPerStep() {
  const { TrainerHandle } = globalThis.latentLabBench;
  const trainer = await TrainerHandle.create({ backend: 'webgpu' }, dataset, weights);
  try {
    await trainer.trainSteps(1);
    await trainer.trainSteps(1);
    self.benchGpu.take('decomposition');
    const counted = async (steps) => {
      await trainer.trainSteps(steps);
      return self.benchGpu.take('decomposition');
    };
    const one = await counted(1);
    const three = await counted(3);
    const per = (key) => {
      const step = (three[key] - one[key]) / 2;
      return { step, chunk: one[key] - step };
    };
    return { dispatches: per('dispatches'), submits: per('submits'), readbacks: per('readbacks'), kernelsOfOne: [...one.kernels], kernelsOfThree: [...three.kernels] };
  } finally {
    trainer.free();
  }
}

const split = options.model === 'conv' ? null : await perChunkAndPerStep();

const models = options.model === 'both' ? ['mlp', 'conv'] : [options.model];
const results = [];
for (const model of models) {
  console.error(`training latent-lab's ${model} on WebGPU for ${seconds} s…`);
  results.push(await measureLatentLab(worker, model));
}
let peer = null;
if (!options['no-peer']) {
  console.error(`training the TensorFlow.js webgpu peer for ${seconds} s…`);
  try {
    peer = await measurePeer();
  } catch (e) {
    console.error(`the TensorFlow.js peer could not run here: ${e.message}`);
  }
}

const wasmBytes = readFileSync(join(root, 'pkg', 'latent_lab_bg.wasm')).length;
console.log(`\n## latent-lab on WebGPU in Node (Dawn), ${new Date().toISOString().slice(0, 16)}Z`);
console.log(`${cpus().length} × ${cpus()[0].model}; adapter: ${adapterName}${adapter.isFallbackAdapter || drivers[0] !== 'gpu' ? ` (software: ${drivers[0]})` : ''}; Node ${process.version}; webgpu (Dawn) ${JSON.parse(readFileSync(join(root, 'bench', 'node_modules', 'webgpu', 'package.json'), 'utf8')).version}; wasm ${fmt(wasmBytes / 1e6, 1)} MB; ${seconds} s per run after a quarter as warm-up; batch ${BATCH}\n`);
console.log('| training on WebGPU | images/s | first step | dispatches / step | queue submits / step | writeBuffer calls / step | readbacks / step | distinct pipelines | steps counted |');
console.log('|---|---|---|---|---|---|---|---|---|');
const row = (name, imagesPerSecond, firstStep, w) => {
  const per = (key) => (w && w.steps > 0 ? w[key] / w.steps : NaN);
  console.log(`| ${name} | ${fmt(imagesPerSecond)} | ${fmt(firstStep, 2)} s | ${fmt(per('dispatches'))} | ${fmt(per('submits'), 1)} | ${fmt(per('writeBuffers'), 1)} | ${fmt(per('readbacks'), 2)} | ${w?.pipelines ?? '—'} | ${w?.steps ?? 0} |`);
};
for (const r of results) row(`latent-lab, ${r.model === 'mlp' ? 'default model (MLP)' : 'convolutional model'}`, r.imagesPerSecond, r.firstStep, r.work.steps);
if (peer) row('TensorFlow.js webgpu, default model', peer.imagesPerSecond, peer.firstStep, peer.gpu);
if (split) {
  console.log(`\ndefault model, split by chunks of 1 and 3 steps: each step ${fmt(split.dispatches.step)} dispatches, ${fmt(split.submits.step, 1)} submits, ${fmt(split.readbacks.step, 1)} readbacks; each chunk adds ${fmt(split.dispatches.chunk)} dispatches, ${fmt(split.submits.chunk, 1)} submits, ${fmt(split.readbacks.chunk, 1)} readbacks. In chunks of 32 (a fast GPU) a step costs ${fmt(split.dispatches.step + split.dispatches.chunk / 32)} dispatches.`);
  const once = new Map(split.kernelsOfOne);
  const perStep = split.kernelsOfThree.map(([label, n]) => [label, (n - (once.get(label) ?? 0)) / 2]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  console.log(`\nper step, by kernel: ${perStep.map(([label, n]) => `${label.slice(0, 50)} ${fmt(n, 1)}`).join('; ')}`);
  const perChunk = split.kernelsOfOne.map(([label, n]) => [label, n - (perStep.find(([l]) => l === label)?.[1] ?? 0)]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  console.log(`\nper chunk, by kernel: ${perChunk.map(([label, n]) => `${label.slice(0, 50)} ${fmt(n, 1)}`).join('; ')}`);
}
const mlp = results.find((r) => r.model === 'mlp');
if (mlp && peer) console.log(`\nlatent-lab ÷ TensorFlow.js (default model): ${fmt(mlp.imagesPerSecond / peer.imagesPerSecond, 2)}× the images/s, ${fmt(mlp.work.steps.dispatches / mlp.work.steps.steps / (peer.gpu.dispatches / peer.gpu.steps), 2)}× the dispatches per step`);
for (const r of results) {
  const side = Object.entries(r.work).filter(([kind, w]) => kind !== 'steps' && w.messages > 0);
  if (side.length) {
    console.log(`\n${r.model}: side work per event: ${side.map(([kind, w]) => `${kind} ×${w.messages}: ${fmt(w.dispatches / w.messages)} dispatches, ${fmt(w.submits / w.messages, 1)} submits, ${fmt(w.readbacks / w.messages, 1)} readbacks`).join('; ')}`);
  }
  const kernels = r.work.steps?.kernels ?? [];
  if (kernels.length) {
    console.log(`\n${r.model}: dispatches per step by kernel: ${kernels.slice(0, 20).map(([label, n]) => `${label.slice(0, 50)} ${fmt(n / r.work.steps.steps, 1)}`).join('; ')}`);
  }
}
if (options['summary-to']) {
  writeFileSync(options['summary-to'], JSON.stringify({ driver: drivers[0], adapter: adapterName, mlp: mlp && { ...mlp, work: { steps: mlp.work.steps } }, peer, split }));
}
process.exit(0);
