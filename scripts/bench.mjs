// Measures the page as a person runs it, in headless Chromium (WebGPU enabled, SwiftShader where
// there is no GPU): time from navigation to the first decoded digit, the first training step,
// and training speed per backend after warm-up. Prints a table; not part of the test suite.
//
// Usage: node scripts/bench.mjs [seconds per backend, default 30] [backends, default cpu,webgpu]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch, root, serve } from '../tests/browser/harness.mjs';

const seconds = Number(process.argv[2] ?? 30);
const backends = (process.argv[3] ?? 'cpu,webgpu').split(',');
const BATCH = 128;

const server = await serve(0);
const rows = [];
for (const backend of backends) {
  const browser = await launch({ webgpu: true });
  const page = await browser.newPage();
  await page.goto(`${server.url}?backend=${backend}`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  const firstDigit = await page.evaluate(() => performance.getEntriesByName('latent-lab:first-digit')[0].startTime);
  const label = await page.evaluate(() => document.getElementById('backend').title);
  const clicked = await page.evaluate(() => performance.now());
  await page.click('#train');
  await page.waitForFunction(() => window.latentLab.stepLog.length > 0, null, { timeout: 120_000 });
  const firstStep = (await page.evaluate(() => window.latentLab.stepLog[0].at)) - clicked;
  // Warm-up: a quarter of the time, then measure over the rest.
  await page.waitForTimeout((seconds * 1000) / 4);
  const from = await page.evaluate(() => window.latentLab.stepLog.at(-1));
  await page.waitForTimeout((seconds * 3000) / 4);
  const to = await page.evaluate(() => window.latentLab.stepLog.at(-1));
  const stepsPerSecond = ((to.step - from.step) * 1000) / (to.at - from.at);
  // The sliders while training runs: the time an input event's handler takes to decode and
  // paint, on the main thread, and any main-thread task over 50 ms during the run.
  const slider = await page.evaluate(async () => {
    const input = document.getElementById('z0');
    const times = [];
    for (let i = 0; i < 100; i++) {
      input.value = String(-3 + (6 * i) / 99);
      const t0 = performance.now();
      input.dispatchEvent(new Event('input'));
      times.push(performance.now() - t0);
      await new Promise((r) => requestAnimationFrame(r));
    }
    times.sort((a, b) => a - b);
    return { p50: times[49], p95: times[94] };
  });
  rows.push({ backend: label.replace('Training on ', ''), firstDigit, firstStep, stepsPerSecond, slider });
  await browser.close();
}
await server.close();

const sizes = (path) => {
  const bytes = readFileSync(path);
  return `${(bytes.length / 1e6).toFixed(1)} MB raw, ${(gzipSync(bytes, { level: 9 }).length / 1e6).toFixed(2)} MB gzipped`;
};
console.log(`\nlatent-lab page benchmark, ${new Date().toISOString()}, ${seconds} s per backend`);
console.log('| backend | navigation → first digit | first step | steps/s | images/s | slider decode+paint while training, p50 / p95 |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.backend} | ${r.firstDigit.toFixed(0)} ms | ${(r.firstStep / 1000).toFixed(2)} s | ${r.stepsPerSecond.toFixed(2)} | ${(r.stepsPerSecond * BATCH).toFixed(0)} | ${r.slider.p50.toFixed(2)} / ${r.slider.p95.toFixed(2)} ms |`);
}
console.log(`\nwasm: ${sizes(join(root, 'www', 'dist', 'latent_lab_bg.wasm'))}; app.js: ${sizes(join(root, 'www', 'dist', 'app.js'))}`);
console.log('steps/s is the page\'s own pace: held-out evaluations (every 1,024 images) and weight syncs to the sliders (every 0.5 s) included.');
