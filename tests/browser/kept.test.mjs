// A person's dataset and model kept across reloads when storage is short or shared: a dataset
// the storage cannot hold never costs the model its autosave, and a dataset stays in storage
// while any tab trains on it, saved or not.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { idxImages, idxLabels, shippedDigits } from './datasets.mjs';
import { launch, on, openTab as openTabIn, serve, usePage, waitForState } from './harness.mjs';

const TIMEOUT = 240_000;

const file = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(buffer) });
/** An IDX pair of `count` shipped digits from `from`, named `name`. */
const pair = (name, count, from) => {
  const { pixels, labels } = shippedDigits(count, from);
  return [file(`${name}-images-idx3-ubyte`, idxImages(pixels)), file(`${name}-labels-idx1-ubyte`, idxLabels(labels))];
};
/** Brings `files` through the picker and waits until the page trains on the dataset `name`. */
async function bring(page, files, name) {
  await page.setInputFiles('#data-files', files);
  await page.waitForFunction((name) => document.body.dataset.dataset === name && ['ready', 'paused'].includes(document.body.dataset.state), name, { timeout: TIMEOUT });
}
/** Trains at least `steps` steps, pauses, and waits until the autosave holds the step paused at. */
async function trainAndSave(page, steps = 3) {
  const lab = on(page);
  const from = await lab.step();
  await page.click('#train');
  await page.waitForFunction((s) => Number(document.getElementById('fig-step').textContent.replace(/,/g, '')) >= s, from + steps, { timeout: TIMEOUT });
  await page.click('#pause');
  await waitForState(page, 'paused', TIMEOUT);
  const step = await lab.step();
  await page.waitForFunction((s) => Number(document.body.dataset.savedStep) === s, step, { timeout: TIMEOUT });
  return step;
}

describe('storage nearly full: the model is saved first, and always', { timeout: 4 * TIMEOUT }, () => {
  let page, problems, lab;
  const opened = usePage({}, { before, after });
  before(() => {
    ({ page, problems } = opened);
    lab = on(page, TIMEOUT);
  });

  test('a dataset that does not fit is said with its size; the weights go on being saved, and a reload restores the latest', { timeout: 3 * TIMEOUT }, async () => {
    await trainAndSave(page);
    // The storage has room for the model's autosave (about 2 MB, rewritten at each save) and not
    // for the dataset: its write fails as Chromium's does when the quota is reached, with a
    // QuotaExceededError whose message is empty. (A quota set through DevTools' protocol,
    // Storage.overrideQuotaForOrigin, is not enforced on idb-keyval's large values here.)
    await page.evaluate(() => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (value, key) {
        if (typeof key === 'string' && key.startsWith('latent-lab/dataset/')) throw new DOMException('', 'QuotaExceededError');
        return put.call(this, value, key);
      };
      // Every message the alert shows: the dataset's may come before Train is clicked, which
      // hides it, as any action does.
      window.alertsShown = [];
      const alert = document.getElementById('alert');
      new MutationObserver(() => alert.hidden || window.alertsShown.push(alert.querySelector('span').textContent)).observe(alert, { attributes: true, childList: true, characterData: true, subtree: true });
    });
    const noise = [file('large-images-idx3-ubyte', idxImages(randomBytes(10_000 * 784))), file('large-labels-idx1-ubyte', idxLabels(randomBytes(10_000).map((v) => v % 10)))];
    await bring(page, noise, 'large-images-idx3-ubyte');
    await trainAndSave(page);
    await page.waitForFunction(() => window.alertsShown.length > 0, null, { timeout: TIMEOUT });
    const shown = await page.evaluate(() => [...new Set(window.alertsShown)]);
    assert.equal(shown.length, 1, shown.join(' / '));
    assert.match(shown[0], /^The dataset \(7\.9 MB\) did not fit in this browser's storage( \([\d.]+ MB free\))?: the model is saved; after a reload, bring the data again\.$/);
    // Later saves of the weights are not blocked by it, and it is said once.
    await page.evaluate(() => (window.alertsShown = []));
    const step = await trainAndSave(page, 5);
    assert.deepEqual(await page.evaluate(() => window.alertsShown), []);
    await page.reload();
    await waitForState(page, 'ready', TIMEOUT);
    assert.equal(await lab.step(), step, 'the model as last trained, not as before the dataset');
    assert.match(await lab.alert(), /The dataset “large-images-idx3-ubyte” the autosaved model was training on could not be restored \(it did not fit in this browser's storage when it was brought\)/);
    assert.equal(await page.evaluate(() => document.body.dataset.dataset), 'MNIST digits');
    assert.deepEqual(problems, []);
  });
});

describe('two tabs with their own data each keep theirs', { timeout: 6 * TIMEOUT }, () => {
  let server, browser, context;
  const problems = [];
  before(async () => {
    server = await serve(0);
    browser = await launch({ webgpu: false });
    context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  const openTab = () => openTabIn(context, server.url, problems, TIMEOUT);

  test('a tab training on a copy it has not saved yet keeps its dataset when another tab moves to other data', { timeout: 5 * TIMEOUT }, async () => {
    const a = await openTab();
    await bring(a, pair('first', 300, 0), 'first-images-idx3-ubyte');
    await trainAndSave(a);
    // B starts from a copy of A's model, on A's data; it has saved nothing yet.
    const b = await openTab();
    assert.match(await b.textContent('#model-note'), /copy of the model another open tab is training/);
    assert.equal(await b.evaluate(() => document.body.dataset.dataset), 'first-images-idx3-ubyte');
    // A moves to other data, and its save prunes the datasets no one uses.
    await bring(a, pair('second', 300, 300), 'second-images-idx3-ubyte');
    await trainAndSave(a);
    await a.waitForTimeout(1500);
    // B trains and saves on the first dataset, then both reload: each has its own data.
    await trainAndSave(b);
    await b.reload();
    await waitForState(b, 'ready', TIMEOUT);
    assert.ok(await b.isHidden('#alert'), await b.textContent('#alert span'));
    assert.equal(await b.evaluate(() => document.body.dataset.dataset), 'first-images-idx3-ubyte');
    await a.reload();
    await waitForState(a, 'ready', TIMEOUT);
    assert.ok(await a.isHidden('#alert'), await a.textContent('#alert span'));
    assert.equal(await a.evaluate(() => document.body.dataset.dataset), 'second-images-idx3-ubyte');
    assert.deepEqual(problems, []);
  });
});
