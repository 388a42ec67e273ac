// Opened straight from disk (file://), the page either runs or says which command to run.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { canvasPixels, inkedPixels, launch, openPage, root, waitForState } from './harness.mjs';

let browser;
before(async () => (browser = await launch({ webgpu: false })));
after(async () => browser?.close());

test('the built page runs from file://, shipped model included', { timeout: 120_000 }, async () => {
  const { page, problems } = await openPage(browser, pathToFileURL(join(root, 'www', 'index.html')).href);
  await waitForState(page, 'ready');
  const before = await canvasPixels(page, 'decoded');
  assert.ok(inkedPixels(before) > 40, 'z = 0 decodes to a digit');
  assert.match(await page.textContent('#model-note'), /ships with the page/);
  await page.fill('#z1', '-2.5');
  await page.dispatchEvent('#z1', 'input');
  assert.notDeepEqual(await canvasPixels(page, 'decoded'), before);
  assert.equal(await page.evaluate(() => window.latentLab.plot.history.heldout.length), 1);
  assert.deepEqual(problems, []);
});

test('from file://, not cross-origin isolated, the CPU path trains on one thread and says why', { timeout: 120_000 }, async () => {
  const { page, problems } = await openPage(browser, `${pathToFileURL(join(root, 'www', 'index.html')).href}?backend=cpu`);
  await waitForState(page, 'ready');
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  assert.match(await page.textContent('#status'), /Training on CPU \(burn ndarray, wasm\)\. /, 'the single-threaded build, which names no pool');
  assert.match(
    await page.textContent('#backend-note'),
    /The CPU path trains on 1 thread: this page is not cross-origin isolated \(serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/,
  );
  assert.equal(await page.isDisabled('#threads'), true);
  assert.equal(page.workers().length, 1, 'the training worker alone, no pool');
  await page.click('#train');
  await page.waitForFunction(() => window.latentLab.stepLog.count >= 3, null, { timeout: 60_000 });
  assert.deepEqual(problems, []);
});

test('an unbuilt page names the command to run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latent-lab-unbuilt-'));
  copyFileSync(join(root, 'www', 'index.html'), join(dir, 'index.html'));
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pathToFileURL(join(dir, 'index.html')).href);
  assert.match(await page.textContent('#status'), /scripts\/demo\.sh/);
  assert.equal(await page.isVisible('#status'), true);
  await context.close();
});
