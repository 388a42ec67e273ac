// The backend race: on a hardware GPU adapter the first Train times a few warmed steps on WebGPU
// and on the CPU, says both speeds, trains on the faster and keeps that verdict for the tab.
// This machine has only SwiftShader, a software adapter, which the page never races; so the page
// is shown SwiftShader as a hardware adapter (its `info` patched before the page's script runs).
// The race itself then runs for real on both backends, and the CPU wins it by far.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launch, openPage, serve, waitForState } from './harness.mjs';

// The WebGPU side compiles its shaders on SwiftShader (~10 s) and takes ~4 s a step.
const TIMEOUT = 480_000;

/** Runs in the page before its own script: the adapter reports itself as a discrete GPU. */
function pretendHardwareAdapter() {
  const info = Object.getOwnPropertyDescriptor(GPUAdapter.prototype, 'info');
  Object.defineProperty(GPUAdapter.prototype, 'info', {
    get() {
      const real = info.get.call(this);
      return { vendor: 'test', architecture: 'pretend-discrete', description: `a hardware adapter (really ${real.vendor})`, isFallbackAdapter: false };
    },
  });
  Object.defineProperty(GPUAdapter.prototype, 'isFallbackAdapter', { get: () => false });
}

const RACE = /WebGPU ([\d,]+) images\/s, CPU ([\d,]+) images\/s: (WebGPU|CPU)\./;
const number = (text) => Number(text.replace(/,/g, ''));

describe('the backend race on a hardware adapter', { timeout: 4 * TIMEOUT }, () => {
  let server, browser, page, problems;
  before(async () => {
    server = await serve(0);
    browser = await launch({ webgpu: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    await context.addInitScript(pretendHardwareAdapter);
    page = await context.newPage();
    problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => d.accept());
    await page.goto(server.url);
    await waitForState(page, 'ready', TIMEOUT);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const backend = () => page.evaluate(() => document.body.dataset.backend);
  const note = () => page.textContent('#backend-note');

  test('before any Train a hardware adapter trains on WebGPU, untimed', async () => {
    assert.equal(await backend(), 'webgpu');
    assert.doesNotMatch(await note(), /Timed/);
  });

  test('the first Train times both, says both speeds and trains on the faster', { timeout: TIMEOUT }, async () => {
    await page.click('#train');
    await page.waitForFunction(() => /Timing a few training steps/.test(document.getElementById('status').textContent));
    await page.waitForFunction(() => /Timed at the first Train/.test(document.getElementById('backend-note').textContent), null, { timeout: TIMEOUT });
    const [, webgpu, cpu, chosen] = (await note()).match(RACE);
    assert.ok(number(webgpu) > 0 && number(cpu) > 0, `both timed: WebGPU ${webgpu}, CPU ${cpu}`);
    assert.equal(chosen, number(cpu) > number(webgpu) ? 'CPU' : 'WebGPU', 'the faster one is chosen');
    // SwiftShader runs this model far slower than the CPU path.
    assert.equal(chosen, 'CPU');
    await waitForState(page, 'training', TIMEOUT);
    assert.equal(await backend(), 'cpu');
    // Then, on the CPU, how many threads it trains on (threads.test.mjs).
    assert.match(await note(), new RegExp(`Timed at the first Train: WebGPU ${webgpu} images/s, CPU ${cpu} images/s: CPU\\. The CPU path trains on \\d+ threads? `));
    // It trains on from the step the model had: the race trained copies, not the model.
    await page.waitForFunction(() => Number(document.getElementById('fig-step').textContent.replace(/,/g, '')) > 0, null, { timeout: TIMEOUT });
    await page.click('#pause');
    await waitForState(page, 'paused', TIMEOUT);
  });

  test('the verdict is kept while the tab is open: after a reload Train starts on the CPU at once', { timeout: TIMEOUT }, async () => {
    const before = await note();
    await page.reload();
    await waitForState(page, 'ready', TIMEOUT);
    assert.equal(await backend(), 'cpu');
    assert.equal(await note(), before);
    await page.click('#train');
    await waitForState(page, 'training', TIMEOUT);
    assert.doesNotMatch(await page.textContent('#status'), /Timing/);
    assert.equal(await backend(), 'cpu');
    await page.click('#pause');
    await waitForState(page, 'paused', TIMEOUT);
  });

  test('the person can still switch, and the note says the choice was theirs', { timeout: TIMEOUT }, async () => {
    await page.selectOption('#backend', 'webgpu');
    // A new trainer on WebGPU for the same weights, not trained yet.
    await waitForState(page, 'ready', TIMEOUT);
    assert.equal(await backend(), 'webgpu');
    assert.match(await note(), /: CPU\. Training on WebGPU as you chose\.$/);
    assert.deepEqual(problems, []);
  });
});
