// The speed benchmark: the page as a person runs it, and the same VAE in TensorFlow.js
// 4.22 in the same browser in the same run, in headless Chromium (WebGPU enabled: SwiftShader
// where there is no GPU). Prints every figure, the ratios latent-lab ÷ TF.js, and the targets.
// Not part of the test suite; BENCHMARKS.md keeps its output.
//
// Usage: node scripts/bench.mjs [--seconds 30] [--backends cpu,webgpu] [--peers wasm,webgl,webgpu]
//                               [--no-build] [--no-native] [--no-large] [--no-conv] [--data-images 6000]
// The CPU path runs three times: as a page that is not cross-origin isolated gets it (the
// single-threaded build), and isolated on the threaded build with 1 thread and with one per core.
// TensorFlow.js's wasm peer runs in an isolated page too, on one thread per core and on one.
// --no-large skips the responsiveness run with the largest model the page accepts (convolutional,
// latent 64, full covariance) training on the CPU, and the CPU runs at batch 512; --no-conv the
// count of the convolutional model's GPU work; --data-images the size of the folder of PNGs brought
// while the main thread's long tasks are recorded (bench/bring-folder.mjs; 0 skips it). On WebGPU the GPU work is counted
// (bench/gpu-work.mjs, evaluated in the training worker and in the peer's page): per training
// step, and per held-out evaluation, weight sync and gap estimate apart.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { bringFolder } from '../bench/bring-folder.mjs';
import { installGpuCounter } from '../bench/gpu-work.mjs';
import { launch, root, serve } from '../tests/browser/harness.mjs';

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    backends: { type: 'string', default: 'cpu,webgpu' },
    peers: { type: 'string', default: 'wasm,webgl,webgpu' },
    'no-build': { type: 'boolean', default: false },
    'no-native': { type: 'boolean', default: false },
    'no-large': { type: 'boolean', default: false },
    'no-conv': { type: 'boolean', default: false },
    'data-images': { type: 'string', default: '6000' },
  },
});
const seconds = Number(options.seconds);
const BATCH = 128;
const SAMPLES = 60;

const run = (command, args, cwd = root) => execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
if (!options['no-build']) {
  console.error('building the page (scripts/build.sh)…');
  run('scripts/build.sh', ['--browser']);
}
// The peer is installed for the benchmark only, in bench/node_modules.
if (!existsSync(join(root, 'bench', 'node_modules', '@tensorflow', 'tfjs'))) {
  console.error('installing TensorFlow.js for the peer (bench/package.json)…');
  run('npm', ['ci', '--no-audit', '--no-fund'], join(root, 'bench'));
}

/** p50 and p95 of a list of milliseconds. */
function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), n: sorted.length };
}

/**
 * Slider → painted: real key presses on a slider (Playwright's keyboard, so Chromium makes the
 * input events), each timed from the event's own timeStamp (when the browser created it, queueing
 * included) to the moment after the page's handler decoded and painted the digit: a listener added
 * after the page's runs after it, and checks that the canvas really changed.
 */
async function sliderLatency(page) {
  await page.evaluate(() => {
    const slider = document.getElementById('z0');
    const canvas = document.getElementById('decoded');
    const ctx = canvas.getContext('2d');
    window.benchLatencies = [];
    let before = ctx.getImageData(0, 0, canvas.width, canvas.height).data.join();
    slider.addEventListener('input', (e) => {
      const now = performance.now();
      const after = ctx.getImageData(0, 0, canvas.width, canvas.height).data.join();
      window.benchLatencies.push({ ms: now - e.timeStamp, changed: after !== before });
      before = after;
    });
    slider.value = '-3';
    slider.focus();
  });
  for (let i = 0; i < SAMPLES; i++) {
    await page.keyboard.press(i % 40 < 20 ? 'ArrowRight' : 'ArrowLeft');
    await page.waitForTimeout(16);
  }
  const samples = await page.evaluate(() => window.benchLatencies.splice(0));
  const changed = samples.filter((s) => s.changed).length;
  return { ...percentiles(samples.map((s) => s.ms)), changed };
}

/**
 * Draw → reconstruction: real mouse strokes on the pad; each timed from the pointerup event's
 * timeStamp to after the page's handler (preprocess, encode, decode, paint) has run.
 */
async function drawLatency(page) {
  await page.evaluate(() => {
    const pad = document.getElementById('pad');
    window.benchLatencies = [];
    pad.addEventListener('pointerup', (e) => window.benchLatencies.push({ ms: performance.now() - e.timeStamp }));
  });
  const box = await page.locator('#pad').boundingBox();
  for (let i = 0; i < SAMPLES / 2; i++) {
    await page.click('#clear');
    const x = box.x + box.width * (0.3 + 0.4 * ((i * 7) % 10) / 10);
    await page.mouse.move(x, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(x + box.width * 0.1, box.y + box.height * 0.5, { steps: 4 });
    await page.mouse.move(x - box.width * 0.05, box.y + box.height * 0.8, { steps: 4 });
    await page.mouse.up();
    await page.waitForTimeout(16);
  }
  return percentiles((await page.evaluate(() => window.benchLatencies.splice(0))).map((s) => s.ms));
}

/** The GPU counter's source, to evaluate in a worker or a page. */
const GPU_COUNTER = `(${installGpuCounter})()`;

/**
 * Counts the GPU work of the page's training worker (the first one it starts), attributed to the
 * messages the worker posts: `reset()` at the start of a window, `totals()` at its end.
 */
function countWorkerGpu(page) {
  let worker = null;
  page.on('worker', (w) => {
    if (worker) return;
    worker = w;
    w.evaluate(`${GPU_COUNTER}; self.benchGpu.attributeToMessages();`).catch(() => {});
  });
  return {
    reset: () => worker.evaluate(() => self.benchGpu.reset()),
    totals: () => worker.evaluate(() => self.benchGpu.totals()),
  };
}

/**
 * The page training on `backend`; on the CPU, with `threads` threads, or (without) as a page that
 * is not cross-origin isolated gets it: the single-threaded build.
 */
async function measurePage(server, backend, threads, batch = BATCH) {
  const browser = await launch({ webgpu: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const gpu = backend === 'webgpu' ? countWorkerGpu(page) : null;
  await page.goto(`${server.url}?backend=${backend}${threads ? `&threads=${threads}` : ''}`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  if (batch !== BATCH) {
    // As a person sets it: the same model trains on under the new batch size.
    await page.evaluate((b) => {
      const input = document.getElementById('batch-size');
      input.value = String(b);
      input.dispatchEvent(new Event('change'));
    }, batch);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  }
  const firstDigit = await page.evaluate(() => performance.getEntriesByName('latent-lab:first-digit')[0].startTime);
  const label = await page.evaluate(() => document.getElementById('backend').title || document.getElementById('backend').value);
  const isolated = await page.evaluate(() => crossOriginIsolated);
  const idle = { slider: await sliderLatency(page), draw: await drawLatency(page) };
  await page.click('#clear');
  const clicked = await page.evaluate(() => performance.now());
  await page.click('#train');
  await page.waitForFunction(() => window.latentLab.stepLog.count > 0, null, { timeout: 300_000 });
  const firstStep = ((await page.evaluate(() => window.latentLab.stepLog.first.at)) - clicked) / 1000;
  await page.waitForTimeout((seconds * 1000) / 4);
  await gpu?.reset();
  const from = await page.evaluate(() => window.latentLab.stepLog.last);
  await page.waitForTimeout((seconds * 3000) / 4);
  const to = await page.evaluate(() => window.latentLab.stepLog.last);
  const gpuWork = await gpu?.totals();
  const stepsPerSecond = ((to.step - from.step) * 1000) / (to.at - from.at);
  // Then, training still running, the latencies (outside the measured window: on 2 cores the
  // page's own decoding competes with the worker for a core).
  const training = { slider: await sliderLatency(page), draw: await drawLatency(page) };
  await browser.close();
  return { backend, threads, batch, isolated, label, firstDigit, firstStep, imagesPerSecond: stepsPerSecond * batch, idle, training, gpuWork };
}

/**
 * The GPU work of the convolutional model's training steps on WebGPU: the page switched to it,
 * counted over the training chunks that end within `seconds` once the first has ended.
 */
async function measureConvGpu(server) {
  const browser = await launch({ webgpu: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('dialog', (d) => d.accept());
  const gpu = countWorkerGpu(page);
  await page.goto(`${server.url}?backend=webgpu`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  await page.evaluate(() => {
    const input = document.getElementById('architecture');
    input.value = 'Conv';
    input.dispatchEvent(new Event('change'));
  });
  const clicked = await page.evaluate(() => performance.now());
  await page.waitForFunction(() => document.body.dataset.model?.includes('"architecture":"Conv"') && window.latentLab.stepLog.count > 0, null, { timeout: 600_000 });
  const firstStep = ((await page.evaluate(() => window.latentLab.stepLog.first.at)) - clicked) / 1000;
  await gpu.reset();
  const from = await page.evaluate(() => window.latentLab.stepLog.last);
  await page.waitForTimeout(seconds * 1000);
  await page.waitForFunction((n) => window.latentLab.stepLog.count >= n, (await page.evaluate(() => window.latentLab.stepLog.count)) + 2, { timeout: 600_000 });
  const to = await page.evaluate(() => window.latentLab.stepLog.last);
  const gpuWork = await gpu.totals();
  await browser.close();
  return { firstStep, imagesPerSecond: ((to.step - from.step) * 1000 * BATCH) / (to.at - from.at), gpuWork };
}

/**
 * The page with the largest model it accepts training on the CPU: the slider's latency, the
 * longest tasks on the main thread (a PerformanceObserver of long tasks, ≥ 50 ms by definition)
 * and how long Pause takes to be answered.
 */
async function measureLargeModel(server) {
  const browser = await launch({ webgpu: false });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('dialog', (d) => d.accept());
  await page.goto(`${server.url}?backend=cpu`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  for (const [id, value] of [['latent-size', '64'], ['covariance', 'Full'], ['architecture', 'Conv']]) {
    await page.evaluate(([id, value]) => {
      const input = document.getElementById(id);
      input.value = value;
      input.dispatchEvent(new Event('change'));
    }, [id, value]);
    await page.waitForFunction(() => ['training', 'ready'].includes(document.body.dataset.state), null, { timeout: 300_000 });
  }
  if ((await page.evaluate(() => document.body.dataset.state)) !== 'training') await page.click('#train');
  await page.waitForFunction(() => window.latentLab.stepLog.count > 0 && document.body.dataset.weightsStep > 0, null, { timeout: 600_000 });
  await page.evaluate(() => {
    window.benchLongTasks = [];
    new PerformanceObserver((list) => window.benchLongTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
  });
  const slider = await sliderLatency(page);
  await page.waitForTimeout((seconds * 1000) / 2);
  const slider2 = await sliderLatency(page);
  const longTasks = await page.evaluate(() => window.benchLongTasks);
  const clicked = await page.evaluate(() => performance.now());
  await page.click('#pause');
  await page.waitForFunction(() => document.body.dataset.state === 'paused', null, { timeout: 600_000 });
  const pauseMs = (await page.evaluate(() => performance.now())) - clicked;
  const stepSeconds = await page.evaluate(() => 1 / Number(document.getElementById('fig-rate').textContent));
  await browser.close();
  // The worse of the two rounds: early (views redrawing for a new model) and later.
  return { slider: { p50: Math.max(slider.p50, slider2.p50), p95: Math.max(slider.p95, slider2.p95) }, longTasks, pauseMs, stepSeconds };
}

/** TensorFlow.js on `backend`, in a cross-origin isolated page: its wasm backend on `threads`. */
async function measurePeer(server, backend, threads) {
  const browser = await launch({ webgpu: true });
  const page = await browser.newPage();
  // TF.js's threaded wasm starts hardwareConcurrency / 2 workers up front (its Emscripten
  // PTHREAD_POOL_SIZE) and cannot start more later on the main thread, so on 2 cores it would run
  // 1 thread whatever it is asked for. Reporting twice the cores lets it start the `threads` asked
  // for; the peer prints the count it really runs (tf.wasm.getThreadsCount()).
  if (threads > 1) {
    await page.addInitScript(() => {
      const cores = navigator.hardwareConcurrency;
      Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 2 * cores });
    });
  }
  await page.goto(`${server.url}bench/tfjs.html`);
  if (backend === 'webgpu') await page.evaluate(GPU_COUNTER);
  const peer = await page.evaluate(({ b, s, t }) => window.runPeer({ backend: b, seconds: s, threads: t }), { b: backend, s: seconds * 0.75, t: threads });
  await browser.close();
  return peer;
}

const pageServer = await serve(0);
// The same page from a host that cannot isolate it (as from file://): the single-threaded build.
const plainServer = await serve(0, undefined, { isolated: false });
const repoServer = await serve(0, root);
const cores = cpus().length;
/** Each run of the page: the CPU path single-threaded, then threaded on 1 and on every core. */
const backends = options.backends.split(',').filter(Boolean);
const runs = backends.flatMap((backend) =>
  backend === 'cpu'
    ? [
        { key: 'cpu-single', backend, server: plainServer },
        { key: 'cpu-1', backend, server: pageServer, threads: 1 },
        ...(cores > 1 ? [{ key: `cpu-${cores}`, backend, server: pageServer, threads: cores }] : []),
        // How the threads' gain grows with the work per step.
        ...(options['no-large'] ? [] : [
          { key: 'cpu-single-b512', backend, server: plainServer, batch: 512 },
          ...(cores > 1 ? [{ key: `cpu-${cores}-b512`, backend, server: pageServer, threads: cores, batch: 512 }] : []),
        ]),
      ]
    : [{ key: backend, backend, server: pageServer }],
);
const pages = [];
for (const { key, backend, server, threads, batch } of runs) {
  console.error(`latent-lab on ${key}…`);
  pages.push({ key, ...(await measurePage(server, backend, threads, batch)) });
}
let conv = null;
if (backends.includes('webgpu') && !options['no-conv']) {
  console.error('latent-lab, the convolutional model on webgpu…');
  conv = await measureConvGpu(pageServer);
}
let large = null;
if (!options['no-large']) {
  console.error('latent-lab with the largest model on the CPU…');
  large = await measureLargeModel(pageServer);
}
let brought = null;
if (Number(options['data-images']) > 0) {
  console.error(`latent-lab bringing a folder of ${options['data-images']} images…`);
  brought = await bringFolder(pageServer.url, Number(options['data-images']));
}
const peers = {};
for (const backend of options.peers.split(',').filter(Boolean)) {
  // The wasm backend on as many threads as the page's pool at full size, and on one.
  const variants = backend === 'wasm' ? [[`tfjs-wasm-${cores}`, cores], ['tfjs-wasm-1', 1]] : [[`tfjs-${backend}`, undefined]];
  for (const [key, threads] of variants) {
    console.error(`TensorFlow.js on ${key}…`);
    peers[key] = await measurePeer(repoServer, backend, threads);
  }
}
await pageServer.close();
await plainServer.close();
await repoServer.close();

/** The native trainer on 1 thread and on every core (rayon's pool and the GEMM's own threads). */
const native = [];
if (!options['no-native']) {
  console.error('the native trainer (cargo run --bin latent-lab -- bench)…');
  run('cargo', ['build', '--quiet', '--release', '--bin', 'latent-lab']);
  for (const threads of [...new Set([1, cores])]) {
    const env = { ...process.env, RAYON_NUM_THREADS: String(threads), MATMUL_NUM_THREADS: String(threads) };
    const out = execFileSync(join(root, 'target', 'release', 'latent-lab'), ['bench', '--backend', 'cpu', '--seconds', '10'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    native.push(out.toString().trim());
  }
}

const size = (path) => {
  const bytes = readFileSync(join(root, path));
  return { raw: bytes.length / 1e6, gzip: gzipSync(bytes, { level: 9 }).length / 1e6 };
};
const sizes = {
  wasm: size('www/dist/latent_lab_bg.wasm'),
  'threaded wasm (CPU only)': size('www/dist/latent_lab_threads_bg.wasm'),
  js: size('www/dist/app.js'),
  data: size('www/data/mnist-10k.bin'),
  model: size('www/models/latent-20.bpk'),
};

// The table.
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const lat = (l) => `${fmt(l.p50, 1)} / ${fmt(l.p95, 1)}`;
const chromium = run('/usr/bin/chromium', ['--version']).trim();
console.log(`\n## latent-lab benchmark, ${new Date().toISOString().slice(0, 16)}Z`);
console.log(`${cpus().length} × ${cpus()[0].model}; ${chromium}; ${seconds} s per backend (a quarter warm-up); batch ${BATCH} unless the row says\n`);
console.log('| latent-lab page | images/s | first step | navigation → first digit | slider → painted p50 / p95, idle | while training | draw → reconstruction p50 / p95, idle | while training |');
console.log('|---|---|---|---|---|---|---|---|');
for (const p of pages) {
  console.log(`| ${p.key} (${p.label}${p.isolated ? '' : '; not isolated'}) | ${fmt(p.imagesPerSecond)} | ${fmt(p.firstStep, 2)} s | ${fmt(p.firstDigit)} ms | ${lat(p.idle.slider)} ms | ${lat(p.training.slider)} ms | ${lat(p.idle.draw)} ms | ${lat(p.training.draw)} ms |`);
}
if (large) {
  const longest = large.longTasks.length ? Math.max(...large.longTasks) : 0;
  console.log('\n| largest model (conv, latent 64, full covariance) training on the CPU | slider → painted p50 / p95 | main-thread tasks ≥ 50 ms | longest | one step | Pause answered after |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| cpu | ${lat(large.slider)} ms | ${large.longTasks.length} | ${fmt(longest)} ms | ${fmt(large.stepSeconds, 1)} s | ${fmt(large.pauseMs)} ms |`);
}
const broughtLongestTask = brought?.longTasks.reduce((a, b) => (b.ms > a.ms ? b : a), brought.longTasks[0]);
const broughtLongest = broughtLongestTask ? `${fmt(broughtLongestTask.ms)} ms` : 'under 50 ms';
if (brought) {
  console.log(`\n| a folder of ${brought.count.toLocaleString('en')} PNGs (56×56) brought, CPU path | picker hands them over (Playwright) | read, decoded, converted, taken | main-thread tasks ≥ 50 ms | longest |`);
  console.log('|---|---|---|---|---|');
  console.log(`| cpu | ${fmt(brought.handOverSeconds, 1)} s | ${fmt(brought.readSeconds, 1)} s | ${brought.longTasks.length} | ${broughtLongest} |`);
  for (const task of brought.longTasks) console.log(`  a ${fmt(task.ms)} ms task; its frame ran: ${task.scripts}`);
}
const gpuRows = [];
const perStep = (w) => w?.steps && w.steps.steps > 0 ? w.steps : null;
const webgpuPage = pages.find((p) => p.backend === 'webgpu');
if (perStep(webgpuPage?.gpuWork)) gpuRows.push(['latent-lab webgpu, default model (MLP)', webgpuPage.gpuWork.steps]);
if (perStep(conv?.gpuWork)) gpuRows.push(['latent-lab webgpu, convolutional model', conv.gpuWork.steps]);
if (peers['tfjs-webgpu']?.gpu?.steps > 0) gpuRows.push(['TensorFlow.js webgpu, default model', peers['tfjs-webgpu'].gpu]);
if (gpuRows.length) {
  const per = (w, key) => w[key] / w.steps;
  console.log(`\n| GPU work per training step (batch ${BATCH}) | dispatches | queue submits | writeBuffer calls | writeBuffer bytes | readbacks (mapAsync) | distinct pipelines | steps counted |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [name, w] of gpuRows) {
    console.log(`| ${name} | ${fmt(per(w, 'dispatches'))} | ${fmt(per(w, 'submits'), 1)} | ${fmt(per(w, 'writeBuffers'), 1)} | ${fmt(per(w, 'writeBytes'))} | ${fmt(per(w, 'readbacks'), 2)} | ${w.pipelines} | ${w.steps} |`);
  }
  const [mine, theirs] = [webgpuPage?.gpuWork?.steps, peers['tfjs-webgpu']?.gpu];
  if (mine?.steps > 0 && theirs?.steps > 0) {
    console.log(`| ratio latent-lab ÷ TF.js | ${fmt(per(mine, 'dispatches') / per(theirs, 'dispatches'), 2)}× | ${fmt(per(mine, 'submits') / per(theirs, 'submits'), 2)}× | ${fmt(per(mine, 'writeBuffers') / per(theirs, 'writeBuffers'), 2)}× | ${fmt(per(mine, 'writeBytes') / per(theirs, 'writeBytes'), 2)}× | ${fmt(per(mine, 'readbacks') / per(theirs, 'readbacks'), 2)}× | ${fmt(mine.pipelines / theirs.pipelines, 2)}× | |`);
  }
  const side = Object.entries(webgpuPage?.gpuWork ?? {}).filter(([kind, w]) => kind !== 'steps' && w.messages > 0);
  if (side.length) {
    console.log('\n| latent-lab webgpu side work, per event | events | dispatches | queue submits | writeBuffer bytes | readbacks |');
    console.log('|---|---|---|---|---|---|');
    const names = { heldout: 'held-out evaluation', weights: 'weight sync to the page', gap: 'IW-k gap estimate', status: 'status', reply: 'reply' };
    for (const [kind, w] of side) {
      console.log(`| ${names[kind] ?? kind} | ${w.messages} | ${fmt(w.dispatches / w.messages)} | ${fmt(w.submits / w.messages, 1)} | ${fmt(w.writeBytes / w.messages)} | ${fmt(w.readbacks / w.messages, 1)} |`);
    }
  }
  const kernels = webgpuPage?.gpuWork?.steps?.kernels;
  if (kernels?.length) {
    const steps = webgpuPage.gpuWork.steps.steps;
    console.log(`\nlatent-lab webgpu, dispatches per training step by kernel (the pipeline's label): ${kernels
      .slice(0, 25)
      .map(([label, n]) => `${label.slice(0, 60)} ${fmt(n / steps, 1)}`)
      .join('; ')}${kernels.length > 25 ? `; and ${kernels.length - 25} more` : ''}`);
  }
  if (conv) console.log(`\nconvolutional model on webgpu: ${fmt(conv.imagesPerSecond, 1)} images/s, first step ${fmt(conv.firstStep, 1)} s after the switch`);
}

console.log('\n| TensorFlow.js 4.22 peer | images/s | first step |');
console.log('|---|---|---|');
for (const [name, p] of Object.entries(peers)) console.log(`| ${name}${p.threads ? ` (${p.threads} thread${p.threads > 1 ? 's' : ''})` : ''} | ${fmt(p.imagesPerSecond)} | ${fmt(p.firstStep, 2)} s |`);

const ours = Object.fromEntries(pages.map((p) => [p.key, p.imagesPerSecond]));
const full = `cpu-${cores}`;
console.log('\n| ratio (images/s) | ratio |');
console.log('|---|---|');
const speed = (key) => ours[key] ?? peers[key]?.imagesPerSecond;
const ratios = [
  [full, 'cpu-single'], [full, 'cpu-1'], ['cpu-1', 'cpu-single'], [`${full}-b512`, 'cpu-single-b512'],
  [full, `tfjs-wasm-${cores}`], ['cpu-single', 'tfjs-wasm-1'], ['cpu-single', 'tfjs-webgl'], ['webgpu', 'tfjs-webgpu'], ['webgpu', 'tfjs-webgl'],
];
for (const [a, b] of ratios) if (speed(a) && speed(b)) console.log(`| ${a} ÷ ${b} | ${fmt(speed(a) / speed(b), 2)}× |`);

console.log('\n| bytes | raw | gzipped |');
console.log('|---|---|---|');
for (const [name, s] of Object.entries(sizes)) console.log(`| ${name} | ${fmt(s.raw, 2)} MB | ${fmt(s.gzip, 2)} MB |`);
for (const line of native) console.log(`\nnative trainer: ${line}`);

// The speed targets, on this machine.
const targets = [];
const check = (name, value, goal, pass) => targets.push(`| ${name} | ${value} | ${goal} | ${pass ? 'met' : 'NOT met'} |`);
const thr = peers[`tfjs-wasm-${cores}`];
if (ours[full] && ours['cpu-single']) check(`threaded page on ${cores} threads ÷ single-threaded page`, `${fmt(ours[full] / ours['cpu-single'], 2)}×`, '≥ 1.5×', ours[full] >= 1.5 * ours['cpu-single']);
if (ours[full] && thr) check(`threaded page ÷ TF.js wasm, both on ${cores} threads`, `${fmt(ours[full] / thr.imagesPerSecond, 2)}×`, '≥ 2×', ours[full] >= 2 * thr.imagesPerSecond);
if (ours['cpu-single'] && peers['tfjs-wasm-1']) check('single-threaded page ÷ TF.js wasm on 1 thread', `${fmt(ours['cpu-single'] / peers['tfjs-wasm-1'].imagesPerSecond, 2)}×`, '≥ 1.5×', ours['cpu-single'] >= 1.5 * peers['tfjs-wasm-1'].imagesPerSecond);
if (ours.webgpu && peers['tfjs-webgpu']) check('WebGPU ÷ TF.js webgpu', `${fmt(ours.webgpu / peers['tfjs-webgpu'].imagesPerSecond, 2)}×`, '≥ 3×', ours.webgpu >= 3 * peers['tfjs-webgpu'].imagesPerSecond);
for (const p of pages) {
  const worst = (k) => Math.max(p.idle[k].p95, p.training[k].p95);
  check(`slider → painted p95, ${p.key}`, `${fmt(worst('slider'), 1)} ms`, '≤ 16 ms', worst('slider') <= 16);
  check(`draw → reconstruction p95, ${p.key}`, `${fmt(worst('draw'), 1)} ms`, '≤ 16 ms', worst('draw') <= 16);
  check(`navigation → first digit, ${p.key}`, `${fmt(p.firstDigit)} ms`, '≤ 1500 ms', p.firstDigit <= 1500);
}
if (brought) check(`longest main-thread task while ${brought.count.toLocaleString('en')} images are brought`, broughtLongest, '< 50 ms', brought.longTasks.length === 0);
check('wasm gzipped', `${fmt(sizes.wasm.gzip, 2)} MB`, '≤ 3 MB', sizes.wasm.gzip <= 3);
console.log('\n| target | measured | goal | |');
console.log('|---|---|---|---|');
for (const t of targets) console.log(t);
