// The CPU path on a pool of threads: the page served by scripts/serve.mjs is cross-origin
// isolated and trains on the threaded build, saying on how many threads; the thread count can be
// changed without losing the model. (Opened from file://, it trains on one thread and says why:
// file.test.mjs.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { idxImages, idxLabels, shippedDigits } from './datasets.mjs';
import { launch, on, root, serve, trainingWorker, usePage, waitForState } from './harness.mjs';

const TIMEOUT = 240_000;

describe('served cross-origin isolated, the CPU path trains on threads', { timeout: 4 * TIMEOUT }, () => {
  let page, problems, lab;
  const opened = usePage({ query: '?backend=cpu&threads=2', acceptDownloads: true }, { before, after });
  before(() => {
    ({ page, problems } = opened);
    lab = on(page);
  });
  const stepsBeyond = (step) => page.waitForFunction((s) => window.latentLab.stepLog.last?.step > s, step, { timeout: TIMEOUT });

  test('it trains on the threaded build, on the threads asked for, and says so', { timeout: TIMEOUT }, async () => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.match(await page.textContent('#status'), /CPU \(burn ndarray, wasm\), 2 threads/);
    assert.match(await page.textContent('#backend-note'), /The CPU path trains on 2 threads of this machine's \d+ cores/);
    assert.equal(await page.inputValue('#threads'), '2');
    assert.equal(await page.isDisabled('#threads'), false);
    // The pool's threads are Web Workers of their own, beside the training worker.
    assert.ok(page.workers().length >= 3, `${page.workers().length} workers`);
    const from = await lab.step();
    await page.click('#train');
    await stepsBeyond(from + 20);
    const { heldout } = (await lab.history()).elbo;
    await page.waitForFunction((n) => window.latentLab.plot.history.heldout.length > n, heldout.length, { timeout: TIMEOUT });
    const latest = (await lab.history()).elbo.heldout.at(-1);
    assert.ok(Number.isFinite(latest.negativeElbo) && latest.negativeElbo < 120, JSON.stringify(latest));
    assert.deepEqual(problems, []);
  });

  test('a thread-count change while training keeps the model and its step, and training goes on', { timeout: TIMEOUT }, async () => {
    await waitForState(page, 'training');
    // Every step the page shows from here on: no step trained before the change may be lost.
    await page.evaluate(() => {
      const shown = (window.stepsShown = []);
      const figure = document.getElementById('fig-step');
      new MutationObserver(() => shown.push(Number(figure.textContent.replace(/,/g, '')))).observe(figure, { childList: true, characterData: true, subtree: true });
    });
    const before = await lab.step();
    await lab.setValue('threads', '1');
    await page.waitForFunction(() => /, 1 thread\./.test(document.getElementById('status').textContent), null, { timeout: TIMEOUT });
    await waitForState(page, 'training');
    assert.match(await page.textContent('#model-note'), /Training moved to CPU \(burn ndarray, wasm\), 1 thread: the weights and the step count carry over/);
    assert.match(await page.textContent('#backend-note'), /trains on 1 thread of/);
    const after = await lab.step();
    await stepsBeyond(after + 10);
    const shown = await page.evaluate(() => window.stepsShown);
    assert.ok(shown[0] >= before, JSON.stringify(shown));
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i] >= shown[i - 1], `the step went back from ${shown[i - 1]} to ${shown[i]}: ${JSON.stringify(shown)}`);
    assert.deepEqual(problems, []);
  });

  test('paused, a change hands over the exact weights, bit for bit', { timeout: TIMEOUT }, async () => {
    await page.click('#pause');
    await waitForState(page, 'paused');
    const before = await lab.exportFile();
    const decoded = await lab.decoded();
    await lab.setValue('threads', '2');
    await page.waitForFunction(() => /, 2 threads\./.test(document.getElementById('status').textContent), null, { timeout: TIMEOUT });
    await waitForState(page, 'ready');
    assert.deepEqual((await lab.exportFile()).bytes, before.bytes);
    assert.deepEqual(await lab.decoded(), decoded);
    assert.deepEqual(problems, []);
  });

  test('an import, a learning rate and data sent while the worker is handed over all reach the new one, in order', { timeout: TIMEOUT }, async () => {
    await waitForState(page, 'ready');
    const { bytes: imported } = await lab.exportFile();
    const importedStep = await lab.step();
    await page.click('#train');
    await stepsBeyond(importedStep + 5);
    await page.click('#pause');
    await waitForState(page, 'paused');
    // The old worker holds its weights back until released: the handover window stays open.
    await (await trainingWorker(page)).evaluate(() => (self.latentLabFaults.next = 'hold-export'));
    await lab.setValue('threads', '1');
    await lab.importFile(imported, 'handed.bpk');
    // The file is read before it is sent (a few milliseconds): the learning rate must come
    // after it, since an imported file brings its own.
    await page.waitForTimeout(500);
    await lab.setValue('learning-rate', '0.002');
    const { pixels, labels } = shippedDigits(200, 7000);
    await page.evaluate(([images, labels]) => {
      // The read's progress shows, then hides once the dataset is sent to the trainer.
      window.readingToggles = 0;
      new MutationObserver(() => window.readingToggles++).observe(document.getElementById('data-reading'), { attributes: true, attributeFilter: ['hidden'] });
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(images)], 'handover-images-idx3-ubyte'));
      transfer.items.add(new File([Uint8Array.from(labels)], 'handover-labels-idx1-ubyte'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, [[...idxImages(pixels)], [...idxLabels(labels)]]);
    // Read in the dataset worker, then sent: the handover still waits on the old worker.
    await page.waitForFunction(() => window.readingToggles >= 2 && document.getElementById('data-reading').hidden);
    await (await trainingWorker(page)).evaluate(() => self.latentLabFaults.release());
    await page.waitForFunction(() => document.body.dataset.dataset === 'handover-images-idx3-ubyte', null, { timeout: TIMEOUT });
    await page.waitForFunction(() => /, 1 thread\./.test(document.getElementById('status').textContent) && document.body.dataset.state === 'ready', null, { timeout: TIMEOUT });
    assert.equal(await lab.step(), importedStep, 'the imported model, not the one trained after its export');
    assert.equal(await page.inputValue('#learning-rate'), '0.002');
    // The settings the worker's model last reported: the learning rate reached the trainer.
    const settings = JSON.parse(await page.evaluate(() => document.body.dataset.model));
    assert.equal(settings.optimizer.learningRate, 0.002);
    assert.match(await page.textContent('#data-now'), /handover-images-idx3-ubyte: 180 training and 20 held-out images/);
    assert.ok(await page.isHidden('#alert'), await page.textContent('#alert span'));
    await lab.setValue('threads', '2');
    await page.waitForFunction(() => /, 2 threads\./.test(document.getElementById('status').textContent) && document.body.dataset.state === 'ready', null, { timeout: TIMEOUT });
    assert.deepEqual(problems, []);
  });

  test('a count beyond the cores is refused with the range, and nothing changes', { timeout: TIMEOUT }, async () => {
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    await lab.setValue('threads', String(cores + 1));
    assert.match(await lab.alert(), new RegExp(`1 to ${cores} threads here .* it stays on 2`));
    assert.equal(await page.inputValue('#threads'), '2');
    await lab.setValue('threads', '1.5');
    assert.match(await lab.alert(), /it stays on 2/);
    assert.match(await page.textContent('#status'), /2 threads/);
    assert.equal(await lab.state(), 'ready');
    assert.deepEqual(problems, []);
  });
});

describe('the threaded build computes what the single-threaded one does', { timeout: 4 * TIMEOUT }, () => {
  let browser, server;
  before(async () => {
    browser = await launch({ webgpu: false });
    server = await serve(0, root);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  /** Four chunks of five steps and a held-out evaluation, from the same seed (fixtures/). */
  const run = async (query) => {
    const page = await browser.newPage();
    await page.goto(`${server.url}tests/browser/fixtures/two-builds.html?${query}`);
    await page.waitForFunction(() => window.result || window.failure, null, { timeout: TIMEOUT });
    const { result, failure } = await page.evaluate(() => ({ result: window.result, failure: window.failure }));
    await page.close();
    assert.equal(failure, undefined);
    return result;
  };
  /** Every figure of `b` within `tolerance` (relative) of `a`'s. */
  const close = (a, b, tolerance) => {
    const figures = (r) => [...r.chunks.flatMap((c) => [c.reconstruction, c.kl]), r.heldout.reconstruction, r.heldout.kl];
    const [x, y] = [figures(a), figures(b)];
    assert.equal(x.length, y.length);
    x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= tolerance * Math.abs(v), `figure ${i}: ${y[i]} against ${v}\n${JSON.stringify(a)}\n${JSON.stringify(b)}`));
  };

  test('on 1 thread and on 2, within float tolerance of the single-threaded build', { timeout: 3 * TIMEOUT }, async () => {
    const single = await run('build=single');
    assert.equal(single.label, 'CPU (burn ndarray, wasm)');
    const one = await run('build=threaded&threads=1');
    assert.equal(one.label, 'CPU (burn ndarray, wasm), 1 thread');
    close(single, one, 1e-6);
    // On 2 threads the dense layers' rows are split in two blocks, and the weights' gradients
    // summed over them: the same sums in another order.
    const two = await run('build=threaded&threads=2');
    assert.equal(two.label, 'CPU (burn ndarray, wasm), 2 threads');
    close(single, two, 1e-4);
  });
});
