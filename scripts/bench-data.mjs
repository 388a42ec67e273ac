// How the page holds up while a person brings a large folder of images: the page served as
// scripts/serve.mjs serves it, a folder of PNGs (digits on light paper, 56×56, a subfolder per
// class) brought through *Bring a folder…*, and every main-thread task over 50 ms the browser
// reports (PerformanceObserver 'longtask') from the pick until the page trains on the data.
// Prints the longest task, how many passed 50 ms, and the seconds to read the folder.
//
// Usage: node scripts/bench-data.mjs [--images 6000] (after scripts/build.sh --browser)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { digitOnPaper, shippedDigits } from '../tests/browser/datasets.mjs';
import { launch, openPage, serve, waitForState } from '../tests/browser/harness.mjs';

const { values: options } = parseArgs({ options: { images: { type: 'string', default: '6000' } } });
const count = Number(options.images);

const folder = mkdtempSync(join(tmpdir(), 'latent-lab-bench-data-'));
const { pixels, labels } = shippedDigits(10_000);
for (const name of ['even', 'odd']) mkdirSync(join(folder, 'digits', name), { recursive: true });
for (let i = 0; i < count; i++) {
  const at = i % 10_000;
  writeFileSync(join(folder, 'digits', labels[at] % 2 ? 'odd' : 'even', `${i}.png`), digitOnPaper(pixels, at, 2));
}

const server = await serve(0);
const browser = await launch({ webgpu: false });
try {
  const { page } = await openPage(browser, `${server.url}?backend=cpu`);
  await waitForState(page, 'ready', 240_000);
  await page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
  });
  const start = Date.now();
  await page.setInputFiles('#data-folder', join(folder, 'digits'));
  const picked = Date.now();
  await page.waitForFunction(() => document.body.dataset.dataset === 'digits' && ['ready', 'paused'].includes(document.body.dataset.state), null, { timeout: 1_800_000, polling: 500 });
  const done = Date.now();
  await page.waitForTimeout(1000);
  const tasks = await page.evaluate(() => window.longTasks);
  const conversion = await page.textContent('#data-conversion');
  console.log(`Chromium ${browser.version()}, headless; a folder of ${count.toLocaleString('en')} PNGs of 56×56`);
  console.log(`  the picker handing the files over: ${((picked - start) / 1000).toFixed(1)} s (Playwright's, before the page sees them)`);
  console.log(`  read, decoded, converted and taken by the trainer: ${((done - picked) / 1000).toFixed(1)} s`);
  console.log(`  main-thread tasks over 50 ms meanwhile: ${tasks.length}; the longest ${tasks.length ? Math.max(...tasks).toFixed(0) : '–'} ms`);
  console.log(`  ${conversion.slice(0, 120)}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(folder, { recursive: true, force: true });
}
