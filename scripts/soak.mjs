// The soak test (not in CI): trains in headless Chromium for a long while (30 minutes by
// default) while a slider is dragged and a digit drawn every few seconds, and samples memory
// every minute: the page's and the worker's JS heaps (after a forced GC, the least of three
// readings a second apart), DOM nodes, the page's and the worker's wasm memory, and the bytes of
// the worker's live WebGPU buffers. It passes when, after the warm-up, every figure stays within
// 10% of its first post-warm-up value and no console error, page error or outside request
// happened. Results: RELIABILITY.md.
//
//   node scripts/soak.mjs [--minutes 30] [--warmup 5] [--backend webgpu|cpu] [--every 60]
//
// Build the page first (scripts/build.sh). Its app.js is served with an instrumented worker
// that also counts its live WebGPU buffers (scripts/bundle.mjs), bundled from www/src here.
// Prints one line per sample and a verdict; writes target/soak-<backend>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, openPage, root, serve, waitForState } from '../tests/browser/harness.mjs';
import { bundlePage } from './bundle.mjs';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'webgpu' },
    every: { type: 'string', default: '60' },
  },
});
const minutes = Number(args.minutes);
const warmupMinutes = Number(args.warmup);
const everyMs = Number(args.every) * 1000;
const TOLERANCE = 0.1;
const INTERACT_EVERY_MS = 3000;

const server = await serve(0);
const app = (await bundlePage({ outfile: join(root, 'www', 'dist', 'app.js'), write: false, instrumented: true })).find((f) => f.path.endsWith('.js'));
const instrumented = (context) => context.route(`${server.url}dist/app.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: app.text }));
// `gc` in the worker, so its count of WebGPU buffers leaves out those awaiting collection.
const browser = await launch({ webgpu: args.backend === 'webgpu', args: ['--js-flags=--expose-gc'] });
const { page, problems } = await openPage(browser, `${server.url}?backend=${args.backend}`, { viewport: { width: 1280, height: 1000 } }, instrumented);
const cdp = await page.context().newCDPSession(page);
const worker = await workerDebugger(cdp);
await waitForState(page, 'ready', 300_000);
const backend = await page.evaluate(() => window.latentLab.backend);
if (backend !== args.backend) throw new Error(`asked for ${args.backend}, the page runs ${backend}`);
await page.click('#train');
await waitForState(page, 'training');

const pad = await page.locator('#pad').boundingBox();
const sliders = await page.locator('.sliders input').count();
let interactions = 0;
/** Alternately drags a slider with the keyboard and draws a random stroke. */
async function interact() {
  if (interactions++ % 2 === 0) {
    await page.focus(`#z${interactions % sliders}`);
    for (let i = 0; i < 10; i++) await page.keyboard.press(Math.random() < 0.5 ? 'ArrowRight' : 'ArrowLeft');
  } else {
    await page.click('#clear');
    const at = () => [pad.x + pad.width * (0.2 + 0.6 * Math.random()), pad.y + pad.height * (0.2 + 0.6 * Math.random())];
    await page.mouse.move(...at());
    await page.mouse.down();
    for (let i = 0; i < 8; i++) await page.mouse.move(...at(), { steps: 2 });
    await page.mouse.up();
  }
}

/**
 * A way to send DevTools commands to the page's newest dedicated worker (the trainer), which
 * Playwright's own sessions cannot address: the page session attaches to workers as they start
 * and relays messages to them.
 */
async function workerDebugger(pageSession) {
  let sessionId = null;
  let lastId = 0;
  const pending = new Map();
  pageSession.on('Target.attachedToTarget', (event) => {
    if (event.targetInfo.type === 'worker') sessionId = event.sessionId;
  });
  pageSession.on('Target.receivedMessageFromTarget', (event) => {
    const message = JSON.parse(event.message);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  await pageSession.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  return {
    /** @returns {Promise<object>} the command's result */
    async send(method, params = {}) {
      if (!sessionId) throw new Error('no worker attached');
      const id = ++lastId;
      const answered = new Promise((resolve) => pending.set(id, resolve));
      await pageSession.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
      const message = await answered;
      if (message.error) throw new Error(`${method}: ${message.error.message}`);
      return message.result;
    },
  };
}

/**
 * A JS heap's size after a forced GC: the least of three readings a second apart, because a
 * single reading also counts whatever is in flight at that instant (on the CPU path, where
 * reports arrive ten times a second, single readings ran up to 1.3 MB over readings a second
 * either side of them), which is not a leak; a leak raises all three. The readings are kept.
 */
async function settledHeap(session) {
  const readings = [];
  for (let i = 0; i < 3; i++) {
    if (i) await page.waitForTimeout(1000);
    await session.send('HeapProfiler.collectGarbage');
    readings.push((await session.send('Runtime.getHeapUsage')).usedSize);
  }
  return { bytes: Math.min(...readings), readings };
}

async function sample(elapsedMs) {
  const heap = await settledHeap(cdp);
  const workerHeap = await settledHeap(worker);
  const dom = await cdp.send('Memory.getDOMCounters');
  const memory = await page.evaluate(() => window.latentLab.memory());
  if (memory.worker && memory.worker.gpuBufferBytes === undefined) throw new Error('the worker counts no WebGPU buffers: it is not the instrumented build');
  const step = await page.evaluate(() => window.latentLab.stepLog.last?.step ?? 0);
  return {
    minute: elapsedMs / 60_000,
    step,
    jsHeapBytes: heap.bytes,
    workerJsHeapBytes: workerHeap.bytes,
    jsHeapReadings: heap.readings,
    workerJsHeapReadings: workerHeap.readings,
    domNodes: dom.nodes,
    pageWasmBytes: memory.page.wasmBytes,
    workerWasmBytes: memory.worker?.wasmBytes ?? NaN,
    gpuBufferBytes: memory.worker?.gpuBufferBytes ?? NaN,
    gpuBuffers: memory.worker?.gpuBuffers ?? NaN,
  };
}

const MB = (b) => (b / 1e6).toFixed(1);
const started = Date.now();
const samples = [];
const show = (s) =>
  console.log(
    `${s.minute.toFixed(1).padStart(5)} min  step ${String(s.step).padStart(7)}  JS heap ${MB(s.jsHeapBytes).padStart(5)} MB (worker ${MB(s.workerJsHeapBytes).padStart(5)} MB)  DOM ${String(s.domNodes).padStart(5)}  ` +
      `page wasm ${MB(s.pageWasmBytes).padStart(6)} MB  worker wasm ${MB(s.workerWasmBytes).padStart(6)} MB  GPU buffers ${MB(s.gpuBufferBytes).padStart(6)} MB (${s.gpuBuffers})`,
  );
console.log(`Soak: ${minutes} min on ${backend}, samples every ${everyMs / 1000} s, warm-up ${warmupMinutes} min.`);
samples.push(await sample(0));
show(samples[0]);
let nextSample = started + everyMs;
while (Date.now() - started < minutes * 60_000) {
  await interact();
  await page.waitForTimeout(INTERACT_EVERY_MS);
  if (Date.now() >= nextSample) {
    nextSample += everyMs;
    samples.push(await sample(Date.now() - started));
    show(samples.at(-1));
  }
}
const state = await page.evaluate(() => document.body.dataset.state);
await page.click('#pause').catch(() => {});

const METRICS = ['jsHeapBytes', 'workerJsHeapBytes', 'domNodes', 'pageWasmBytes', 'workerWasmBytes', 'gpuBufferBytes'];
const settled = samples.filter((s) => s.minute >= warmupMinutes);
const drift = Object.fromEntries(
  METRICS.map((metric) => {
    const base = settled[0]?.[metric];
    const values = settled.map((s) => s[metric]);
    const worst = base ? Math.max(...values.map((v) => Math.abs(v - base) / base)) : 0;
    return [metric, { base, min: Math.min(...values), max: Math.max(...values), worst }];
  }),
);
const flat = settled.length >= 2 && METRICS.every((m) => drift[m].worst <= TOLERANCE);
const pass = flat && problems.length === 0 && state === 'training';
console.log('\nAfter the warm-up (relative to the first sample after it):');
for (const m of METRICS) console.log(`  ${m.padEnd(17)} ${drift[m].min} … ${drift[m].max}: worst drift ${(100 * drift[m].worst).toFixed(1)}%`);
const single = Math.max(...settled.flatMap((s) => s.jsHeapReadings));
console.log(`  (the page's JS heap, single readings: up to ${single}, ${(100 * (single / drift.jsHeapBytes.base - 1)).toFixed(1)}% over the base)`);
console.log(`Steps: ${samples.at(-1).step} in ${minutes} min; interactions: ${interactions}; state at the end: ${state}.`);
console.log(`Console errors, page errors, outside requests: ${problems.length ? problems.join('\n  ') : 'none'}.`);
console.log(pass ? 'PASS' : 'FAIL');

const out = join(root, 'target', `soak-${backend}.json`);
mkdirSync(join(root, 'target'), { recursive: true });
writeFileSync(out, JSON.stringify({ backend, minutes, warmupMinutes, samples, drift, interactions, problems, pass }, null, 2));
console.log(`Wrote ${out}`);
await browser.close();
await server.close();
process.exit(pass ? 0 : 1);
