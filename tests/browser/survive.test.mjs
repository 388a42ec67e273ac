// The page survives what a careless or hostile person does to it: a training worker that crashes
// (out of memory, a trap) is replaced from the last weights; two tabs never overwrite each
// other's autosave; a refused file changes nothing at all; settings that would not fit in memory
// are refused before anything is allocated; errors show where the person is looking; the
// interpolation is stable whatever its ends; the latent map works from the keyboard.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { canvasPixels, inkedPixels, launch, metadataOf, openTab as openTabIn, on as pageHelpers, screenshots, serve, trainingWorker, usePage, waitForState, withMetadata } from './harness.mjs';

const TIMEOUT = 240_000;

/** The shared page helpers, and what these tests add: the worker, its faults, training a little. */
function on(page) {
  const p = {
    ...pageHelpers(page),
    /** The training worker, as Playwright sees it. */
    worker: () => trainingWorker(page),
    /** Makes the worker fail at `point` the way an out-of-memory trap does. */
    async trapAt(point) {
      const worker = await p.worker();
      assert.ok(worker, 'the training worker');
      await worker.evaluate((point) => (self.latentLabFaults.next = point), point);
    },
    async trainUntilWeights() {
      await page.click('#train');
      await waitForState(page, 'training', TIMEOUT);
      const from = await page.evaluate(() => Number(document.body.dataset.weightsStep ?? 0));
      await page.waitForFunction((s) => Number(document.body.dataset.weightsStep ?? 0) > s, from, { timeout: TIMEOUT });
    },
  };
  return p;
}

describe('a crashed training worker is replaced (CPU path)', { timeout: 6 * TIMEOUT }, () => {
  const opened = usePage({ acceptDownloads: true }, { before, after });
  let page, problems, p;
  before(() => {
    ({ page, problems } = opened);
    p = on(page);
  });

  test('while training: the page says so, leaves the busy state and restarts from the last weights it had', { timeout: TIMEOUT }, async () => {
    await p.trainUntilWeights();
    await p.trapAt('train');
    const text = await p.alert();
    assert.match(text, /The training worker crashed, most likely out of memory \(unreachable\)/);
    const [, from] = text.match(/started a new one from step ([\d,]+), with the weights it last had/);
    assert.match(text, /Lower the batch size or the samples L, then press Train to go on\.$|Press Train to go on\.$/);
    await waitForState(page, 'ready', TIMEOUT);
    assert.equal(await page.evaluate(() => document.body.dataset.recoveries), '1');
    assert.equal(await p.step(), Number(from.replace(/,/g, '')), 'the figures show the step it went back to');
    const points = await p.history();
    const epoch = Number(await page.textContent('#fig-epoch'));
    assert.ok(points.elbo.train.every((pt) => pt.epoch <= epoch + 0.005), `the plot is cut back to those weights (epoch ${epoch})`);
    // And it trains again from there.
    await page.click('#train');
    await waitForState(page, 'training', TIMEOUT);
    await page.waitForFunction((s) => Number(document.getElementById('fig-step').textContent.replace(/,/g, '')) > s, Number(from.replace(/,/g, '')), { timeout: TIMEOUT });
    await page.click('#pause');
    await waitForState(page, 'paused', TIMEOUT);
    assert.deepEqual(problems, []);
  });

  test('during an import: the import is not applied, and the page says so', { timeout: TIMEOUT }, async () => {
    const { bytes } = await p.exportFile();
    const note = await page.textContent('#model-note');
    const pixels = await p.decoded();
    await p.trapAt('load');
    await p.importFile(bytes, 'doomed.bpk');
    const text = await p.alert();
    assert.match(text, /The training worker crashed.*the file being imported was not loaded/);
    await waitForState(page, 'ready', TIMEOUT);
    assert.equal(await page.textContent('#model-note'), note, 'no "Loaded doomed.bpk"');
    assert.deepEqual(await p.decoded(), pixels, 'the model on screen is the one before');
    // The same file imports fine into the new worker.
    await p.importFile(bytes, 'again.bpk');
    await page.waitForFunction(() => /Loaded again\.bpk/.test(document.getElementById('model-note').textContent), null, { timeout: TIMEOUT });
    await waitForState(page, 'ready', TIMEOUT);
    assert.deepEqual(problems, []);
  });

  test('during a pause: the pause is answered, not left "pausing" for ever', { timeout: TIMEOUT }, async () => {
    await p.trainUntilWeights();
    await p.trapAt('pause');
    await page.click('#pause');
    assert.match(await p.alert(), /The training worker crashed/);
    await waitForState(page, 'ready', TIMEOUT);
    assert.equal(await page.isEnabled('#train'), true);
    // Export answers with the recovered model.
    const { bytes } = await p.exportFile();
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'NRUB');
    assert.deepEqual(problems, []);
  });
});

describe('two tabs, one browser: each keeps its own autosave', { timeout: 6 * TIMEOUT }, () => {
  let server, browser, context, problems;
  const tabs = [];

  /** A new tab in the same browser context, as a person opens one. */
  async function openTab() {
    const page = await openTabIn(context, server.url, problems, TIMEOUT);
    tabs.push(page);
    return page;
  }
  const savedStep = (page) => page.evaluate(() => Number(document.body.dataset.savedStep ?? -1));
  async function trainAndPause(page, steps = 1) {
    const p = on(page);
    const from = await p.step();
    await page.click('#train');
    await waitForState(page, 'training', TIMEOUT);
    await page.waitForFunction((s) => Number(document.getElementById('fig-step').textContent.replace(/,/g, '')) >= s, from + steps, { timeout: TIMEOUT });
    await page.click('#pause');
    await waitForState(page, 'paused', TIMEOUT);
    const step = await p.step();
    await page.waitForFunction((s) => Number(document.body.dataset.savedStep) === s, step, { timeout: TIMEOUT });
    return step;
  }

  before(async () => {
    server = await serve(0);
    browser = await launch({ webgpu: false });
    context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    problems = [];
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('Train from scratch in a second tab leaves the first tab\'s model alone', { timeout: 2 * TIMEOUT }, async () => {
    const a = await openTab();
    const stepA = await trainAndPause(a, 20);
    const pixelsA = await on(a).decoded();

    const b = await openTab();
    assert.match(await b.textContent('#model-note'), /copy of the model another open tab is training/);
    assert.equal(await on(b).step(), stepA, 'the new tab starts from the most recent model');
    await b.click('#reset');
    await waitForState(b, 'ready', TIMEOUT);
    await trainAndPause(b, 3);

    await a.reload();
    await waitForState(a, 'ready', TIMEOUT);
    assert.match(await a.textContent('#model-note'), /Restored the model you were training, autosaved/);
    assert.equal(await on(a).step(), stepA, 'tab A has its own model back');
    assert.deepEqual(await on(a).decoded(), pixelsA);
    assert.deepEqual(problems, []);
    for (const tab of tabs.splice(0)) await tab.close();
  });

  test('both train; a closed tab\'s newer autosave does not replace the other tab\'s model', { timeout: 2 * TIMEOUT }, async () => {
    const a = await openTab();
    const b = await openTab();
    await b.click('#reset');
    await waitForState(b, 'ready', TIMEOUT);
    const stepA = await trainAndPause(a, 10);
    const pixelsA = await on(a).decoded();
    // B's autosave is the most recent one.
    const stepB = await trainAndPause(b, 2);
    assert.notEqual(stepB, stepA);
    await b.close();
    tabs.splice(tabs.indexOf(b), 1);
    // A tab counts as open while it holds its Web Lock, which the browser releases once the
    // closed page (and its workers, the CPU pool's among them) is torn down: a moment after
    // close() returns.
    await a.waitForFunction(async () => (await navigator.locks.query()).held.filter((l) => l.name.startsWith('latent-lab/tab/')).length === 1, null, { timeout: TIMEOUT });

    await a.reload();
    await waitForState(a, 'ready', TIMEOUT);
    assert.equal(await on(a).step(), stepA, `tab A restores its own step ${stepA}, not the closed tab's ${stepB}`);
    assert.deepEqual(await on(a).decoded(), pixelsA);
    assert.equal(await savedStep(a), -1, 'nothing saved yet in this load');

    // A new tab now starts from B's model, B's tab being gone: it takes B's slot over.
    const c = await openTab();
    assert.match(await c.textContent('#model-note'), /in a tab since closed/);
    assert.equal(await on(c).step(), stepB);
    assert.deepEqual(problems, []);
  });

  test('the other tabs\' autosaves are listed: a closed tab\'s can be discarded, any opened as a copy', { timeout: TIMEOUT }, async () => {
    // Open now: tab A and tab C (B's model, taken over). Closed: the first test's tabs, one of
    // whose autosaves tab A took over when it opened.
    const [a, c] = tabs;
    const stepC = await on(c).step();
    // The list is read again when it is opened: C's tab is open now.
    await a.click('#autosaves summary');
    await a.waitForFunction(() => /its tab is open/.test(document.getElementById('autosaves').textContent));
    const texts = await a.locator('#autosaves li').allTextContents();
    assert.equal(texts.filter((t) => /its tab is open/.test(t)).length, 1, texts.join(' | '));
    assert.ok(texts.some((t) => /its tab is closed/.test(t)), texts.join(' | '));
    assert.equal(await a.locator('#autosaves li:has-text("its tab is open") button:text("Discard")').count(), 0, 'an open tab\'s autosave cannot be discarded');
    await a.locator('#autosaves li:has-text("its tab is closed") button:text("Discard")').first().click();
    await a.waitForFunction((n) => document.querySelectorAll('#autosaves li').length === n, texts.length - 1);
    // Open a copy of C's model here; C keeps it.
    await a.locator('#autosaves li:has-text("its tab is open") button:text("Open a copy")').click();
    await a.waitForFunction(() => /A copy of the model autosaved .* in another tab/.test(document.getElementById('model-note').textContent), null, { timeout: TIMEOUT });
    await waitForState(a, 'ready', TIMEOUT);
    assert.equal(await on(a).step(), stepC);
    await c.reload();
    await waitForState(c, 'ready', TIMEOUT);
    assert.equal(await on(c).step(), stepC, 'tab C still has its model');
    assert.deepEqual(problems, []);
  });
});

describe('a refused file changes nothing at all (CPU path)', { timeout: 4 * TIMEOUT }, () => {
  const opened = usePage({ acceptDownloads: true }, { before, after });
  let page, problems, p;
  before(() => {
    ({ page, problems } = opened);
    p = on(page);
  });

  test('metadata at and beyond every limit, and of the wrong type: refused, with the digit, settings, plot, note and export as they were', { timeout: 3 * TIMEOUT }, async () => {
    // A model trained a little here, with settings of its own, so that every part of the page
    // has something a half-applied file would change.
    await p.setValue('learning-rate', '0.002');
    await waitForState(page, 'ready', TIMEOUT);
    await p.trainUntilWeights();
    await page.click('#pause');
    await waitForState(page, 'paused', TIMEOUT);
    const good = (await p.exportFile()).bytes;
    const progress = JSON.parse(metadataOf(good, 'progress'));
    const config = JSON.parse(metadataOf(good, 'config'));
    const objective = JSON.parse(metadataOf(good, 'objective'));
    const optimizer = JSON.parse(metadataOf(good, 'optimizer'));
    assert.equal(optimizer.learning_rate, 0.002, 'the weights file keeps the learning rate');
    assert.equal(optimizer.batch_size, 128, 'and the batch size');
    const json = (value) => JSON.stringify(value);
    const progressWith = (field, raw) => {
      const out = json(progress).replace(new RegExp(`"${field}":[^,}]+`), `"${field}":${raw}`);
      assert.notEqual(out, json(progress), `progress has a field ${field}`);
      return out;
    };
    const cases = [
      ['progress', progressWith('step', '9007199254740993'), /step/],
      ['progress', progressWith('step', '18446744073709551615'), /step/],
      ['progress', progressWith('step', '-1'), /progress/],
      ['progress', progressWith('step', '1e308'), /progress/],
      ['progress', progressWith('step', '"5600"'), /progress/],
      ['progress', progressWith('step', 'null'), /progress/],
      ['progress', progressWith('imagesSeen', '9007199254740992'), /images/],
      ['progress', progressWith('epoch', '18446744073709551615'), /epoch/],
      ['progress', progressWith('epochFraction', '1.5'), /epochFraction/],
      ['progress', '[]', /progress/],
      ['config', json({ ...config, negative_slope: 1e30 }), /slope/],
      ['config', json({ ...config, likelihood: { Gaussian: { sigma: 1e-30 } } }), /σ/],
      ['config', json({ ...config, likelihood: { Gaussian: { sigma: 11 } } }), /σ/],
      ['config', json({ ...config, latent_size: 65 }), /latent size/],
      ['config', json({ ...config, latent_size: 0 }), /latent size/],
      ['config', json({ ...config, hidden_size: 4096 }), /hidden size/],
      ['objective', json({ ...objective, samples: 17 }), /samples/],
      ['objective', json({ ...objective, beta: -1 }), /β/],
      ['objective', json({ ...objective, warmup_steps: 9007199254740993 }), /warm-up/],
      ['optimizer', json({ ...optimizer, learning_rate: 0 }), /learning rate/],
      ['optimizer', json({ ...optimizer, learning_rate: 2 }), /learning rate/],
      ['optimizer', json({ ...optimizer, batch_size: 1025 }), /batch size/],
      ['optimizer', json({ ...optimizer, batch_size: 'big' }), /optimizer/],
    ];
    const pixels = await p.decoded();
    const points = await p.history();
    const settings = await p.settings();
    const note = await page.textContent('#model-note');
    const figures = await page.textContent('#training-panel');
    for (const [key, value, message] of cases) {
      const what = `${key} = ${value.slice(0, 80)}`;
      await p.importFile(withMetadata(good, key, value), 'crafted.bpk');
      const text = await p.alert(30_000).catch(async () => assert.fail(`${what}: not refused; the note says “${await page.textContent('#model-note')}”`));
      assert.match(text, /crafted\.bpk/, what);
      assert.match(text, message, `${what}: ${text}`);
      await waitForState(page, 'paused', TIMEOUT);
      assert.deepEqual(await p.decoded(), pixels, `${what}: the digit`);
      assert.deepEqual(await p.settings(), settings, `${what}: the settings`);
      assert.deepEqual(await p.history(), points, `${what}: the plot`);
      assert.equal(await page.textContent('#model-note'), note, `${what}: the note`);
      assert.equal(await page.textContent('#training-panel'), figures, `${what}: the figures`);
    }
    const after = await p.exportFile();
    assert.deepEqual(after.bytes, good, 'a subsequent export is the model from before, bit for bit');
    // At the limits themselves, a file is accepted, exactly as it says.
    const limit = withMetadata(good, 'progress', json({ ...progress, step: 2 ** 53 - 1, imagesSeen: 2 ** 53 - 1 }));
    await p.importFile(limit, 'at-the-limit.bpk');
    await page.waitForFunction(() => document.getElementById('fig-step').textContent === '9,007,199,254,740,991', null, { timeout: TIMEOUT });
    assert.match(await page.textContent('#model-note'), /Loaded at-the-limit\.bpk/);
    await waitForState(page, 'ready', TIMEOUT);
    // It cannot train further, and says why, without a step that would count past the limit.
    await page.click('#train');
    assert.match(await p.alert(), /more steps would count past 9007199254740991, the largest count the page can show/);
    await waitForState(page, 'paused', TIMEOUT);
    assert.equal(await p.step(), 2 ** 53 - 1);
    await p.importFile(good, 'good.bpk');
    await page.waitForFunction(() => /Loaded good\.bpk/.test(document.getElementById('model-note').textContent), null, { timeout: TIMEOUT });
    await waitForState(page, 'ready', TIMEOUT);
    assert.deepEqual(problems, []);
  });

  test('a learning rate and batch size come back with an imported file', { timeout: TIMEOUT }, async () => {
    await p.setValue('batch-size', '64');
    await waitForState(page, 'ready', TIMEOUT);
    const { bytes } = await p.exportFile();
    assert.deepEqual(JSON.parse(metadataOf(bytes, 'optimizer')), { learning_rate: 0.002, batch_size: 64 });
    await p.setValue('learning-rate', '0.001');
    await p.setValue('batch-size', '128');
    await waitForState(page, 'ready', TIMEOUT);
    await p.importFile(bytes, 'with-optimizer.bpk');
    await page.waitForFunction(() => document.getElementById('batch-size').value === '64' && document.getElementById('learning-rate').value === '0.002', null, { timeout: TIMEOUT });
    await waitForState(page, 'ready', TIMEOUT);
    // And an autosave keeps them across a reload.
    await p.trainUntilWeights();
    await page.click('#pause');
    await waitForState(page, 'paused', TIMEOUT);
    await page.waitForFunction(() => document.body.dataset.savedStep === document.body.dataset.weightsStep, null, { timeout: TIMEOUT });
    await page.reload();
    await waitForState(page, 'ready', TIMEOUT);
    assert.equal(await page.inputValue('#batch-size'), '64');
    assert.equal(await page.inputValue('#learning-rate'), '0.002');
    assert.deepEqual(problems, []);
  });

  test('an autosave that fails the same checks is set aside at start-up, with the reason', { timeout: TIMEOUT }, async () => {
    const { bytes } = await p.exportFile();
    const progress = JSON.parse(metadataOf(bytes, 'progress'));
    // 2^64 − 1 written exactly: JSON.stringify would round it to a float first.
    const crafted = withMetadata(bytes, 'progress', JSON.stringify({ ...progress, step: 0 }).replace('"step":0', '"step":18446744073709551615'));
    // Written where this tab's autosave lives (idb-keyval's default store), as a damaged or
    // tampered profile would hold it.
    await page.evaluate(async (base64) => {
      const weights = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
      const key = `latent-lab/autosave/${sessionStorage.getItem('latent-lab/tab')}`;
      const db = await new Promise((resolve, reject) => Object.assign(indexedDB.open('keyval-store'), { onsuccess: (e) => resolve(e.target.result), onerror: reject }));
      await new Promise((resolve, reject) => {
        const tx = db.transaction('keyval', 'readwrite');
        tx.objectStore('keyval').put({ weights, history: { train: [], heldout: [] }, savedAt: Date.now(), step: 1 }, key);
        Object.assign(tx, { oncomplete: resolve, onerror: reject });
      });
      db.close();
    }, crafted.toString('base64'));
    await page.reload();
    await waitForState(page, 'ready', TIMEOUT);
    assert.match(await p.alert(), /The autosaved model could not be restored \(progress\.step must be at most 9007199254740991.*\); starting from the shipped model/);
    assert.match(await page.textContent('#model-note'), /ships with the page/);
    assert.deepEqual(problems, []);
  });
});

test('without IndexedDB the page says in plain words that autosave is off, and trains', { timeout: TIMEOUT }, async () => {
  const server = await serve(0);
  const browser = await launch({ webgpu: false });
  try {
    const context = await browser.newContext();
    await context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(server.url);
    await waitForState(page, 'ready', TIMEOUT);
    const text = await on(page).alert();
    assert.match(text, /^Autosave is off: this browser gives the page no storage \(IndexedDB is unavailable/);
    assert.doesNotMatch(text, /Cannot read properties/);
    await page.click('#train');
    await waitForState(page, 'training', TIMEOUT);
    await page.waitForFunction(() => window.latentLab.stepLog.count > 0, null, { timeout: TIMEOUT });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

describe('the page where the person is looking (CPU path)', { timeout: 4 * TIMEOUT }, () => {
  // A phone: 390 px wide, the interpolation panel far below the header.
  const opened = usePage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }, { before, after });
  let page, problems, p;
  before(() => {
    ({ page, problems } = opened);
    p = on(page);
  });

  test('an error raised far down the page shows in the viewport, announced to screen readers', async () => {
    await page.locator('#a-from-drawing').scrollIntoViewIfNeeded();
    assert.ok(await page.evaluate(() => window.scrollY > 2000), 'scrolled far from the header');
    await page.click('#a-from-drawing');
    const alert = page.locator('#alert');
    await alert.waitFor({ state: 'visible' });
    assert.equal(await alert.getAttribute('role'), 'alert');
    const box = await alert.boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 844 && box.x >= 0 && box.x + box.width <= 390, `in the viewport: ${JSON.stringify(box)}`);
    await page.screenshot({ path: join(screenshots, 'error-where-you-look.png') });
    await page.click('#dismiss');
    assert.deepEqual(problems, []);
  });

  test('the latent map from the keyboard: arrows move a cursor among the digits, Enter picks one', async () => {
    await page.waitForFunction(() => window.latentLab.views.means !== null, null, { timeout: TIMEOUT });
    const ends = await page.textContent('#ends');
    const sliders = await p.decoded();
    await page.focus('#latent-map');
    const first = await page.textContent('#map-cursor');
    assert.match(first, /Cursor on held-out image #\d+ \(label \d\)/);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowUp');
    const moved = await page.textContent('#map-cursor');
    assert.notEqual(moved, first, 'the cursor moves');
    const [, index] = moved.match(/#(\d+)/);
    await page.keyboard.press('Enter');
    await page.waitForFunction((e) => document.getElementById('ends').textContent !== e, ends);
    assert.match(await page.textContent('#ends'), new RegExp(`held-out image #${index}`));
    await page.waitForFunction((before) => {
      const c = document.getElementById('decoded');
      return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).join() !== before.join();
    }, sliders);
    assert.deepEqual(problems, []);
  });

  test('non-finite means never reach the views, and a new model recomputes them', { timeout: TIMEOUT }, async () => {
    // A report of NaN means, as a model gone NaN would give.
    await page.evaluate(() => window.latentLab.views.showReport({ means: new Float32Array(1000 * window.latentLab.latentSize).fill(NaN), principalAxes: [[], []] }, window.latentLab.latentSize));
    await page.waitForTimeout(500);
    assert.equal(await page.isHidden('#alert'), true, `the interpolation skips ends it cannot place, and raises no error: ${await page.textContent('#alert span')}`);
    await page.click('#reset');
    await page.waitForFunction(() => window.latentLab.views.means?.every(Number.isFinite), null, { timeout: TIMEOUT });
    await waitForState(page, 'ready', TIMEOUT);
    assert.ok(inkedPixels(await canvasPixels(page, 'interpolation')) > 0, 'the strip is drawn from the new model');
    assert.equal(await page.isHidden('#alert'), true, await page.textContent('#alert span'));
    assert.deepEqual(problems, []);
  });

  test('latent size 1: any two ends of opposite sign give a finite strip, and the page says the path is linear', { timeout: TIMEOUT }, async () => {
    await p.setValue('latent-size', '1');
    await page.waitForFunction(() => window.latentLab.latentSize === 1, null, { timeout: TIMEOUT });
    await page.waitForFunction(() => window.latentLab.views.means?.length === 1000, null, { timeout: TIMEOUT });
    if ((await p.state()) === 'training') {
      await page.click('#pause');
      await waitForState(page, 'paused', TIMEOUT);
    }
    await page.evaluate(() => {
      const { views } = window.latentLab;
      const means = Array.from(views.means);
      views.ends.A = { index: means.findIndex((m) => m > 0) };
      views.ends.B = { index: means.findIndex((m) => m < 0) };
      document.getElementById('interpolation-mode').value = 'spherical';
      views.showEnds();
    });
    await page.waitForFunction(() => /there is no sphere to follow: the path is linear/.test(document.getElementById('interpolation-path').textContent));
    assert.ok(inkedPixels(await canvasPixels(page, 'interpolation')) > 0, 'a strip of digits');
    assert.equal(await page.isHidden('#alert'), true, `no error: ${await page.textContent('#alert span')}`);
    assert.deepEqual(problems, []);
  });
});

describe('memory budgeted before it is spent (CPU path)', { timeout: 4 * TIMEOUT }, () => {
  const opened = usePage({}, { before, after });
  let page, problems, p;
  before(() => {
    ({ page, problems } = opened);
    p = on(page);
  });

  /** Sets a field and waits for the page to settle on what it answered. */
  async function set(id, value) {
    await p.setValue(id, value);
    await page.waitForFunction(() => ['ready', 'training', 'paused'].includes(document.body.dataset.state), null, { timeout: TIMEOUT });
    if ((await p.state()) === 'training') {
      await page.click('#pause');
      await waitForState(page, 'paused', TIMEOUT);
    }
  }
  /** Setting `id` to `value` is refused with `message`, and nothing changes. */
  async function refused(id, value, message) {
    const pixels = await p.decoded();
    const settings = await p.settings();
    const model = await page.evaluate(() => document.body.dataset.model);
    await p.setValue(id, value);
    const text = await p.alert();
    assert.match(text, message);
    assert.match(text, /nothing was changed/);
    assert.deepEqual(await p.settings(), settings, `${id} = ${value}: the settings`);
    assert.deepEqual(await p.decoded(), pixels, `${id} = ${value}: the model`);
    assert.equal(await page.evaluate(() => document.body.dataset.model), model);
  }

  test('conv, L = 16, batch 1,024 is refused with the numbers before anything is allocated, and nothing changes', { timeout: TIMEOUT }, async () => {
    await set('batch-size', '1024');
    await set('samples', '16');
    await refused('architecture', 'Conv', /conv, L = 16, batch 1,024 needs about 3\.7 GB; this page can use about 2\.1 GB: lower the batch size or L/);
    // One image more than the documented worst accepted combination: refused as well.
    await set('batch-size', '583');
    // The model alone fits there: the training images tip it, and the message says so.
    await refused('architecture', 'Conv', /conv, L = 16, batch 583 with 9,000 training images \(28 MB on the device\) needs about 2\.1\d* GB; this page can use about 2\.1\d* GB: train on fewer images/);
    assert.deepEqual(problems, []);
  });

  test('the worst accepted combination, conv, L = 16, batch 582, trains without running out of memory', { timeout: 3 * TIMEOUT }, async (t) => {
    await set('batch-size', '582');
    await p.setValue('architecture', 'Conv');
    await page.waitForFunction(() => window.latentLab.latentSize && document.body.dataset.model.includes('"architecture":"Conv"'), null, { timeout: TIMEOUT });
    await waitForState(page, 'training', TIMEOUT);
    const from = await page.evaluate(() => window.latentLab.stepLog.count);
    await page.waitForFunction((n) => window.latentLab.stepLog.count > n, from, { timeout: 3 * TIMEOUT });
    const { worker } = await page.evaluate(() => window.latentLab.memory());
    t.diagnostic(`worker wasm memory after the first step: ${(worker.wasmBytes / 1e9).toFixed(2)} GB`);
    assert.ok(worker.wasmBytes < 3 * 2 ** 30, `the worker's wasm memory is ${(worker.wasmBytes / 2 ** 30).toFixed(2)} GiB, under 3 GiB of the 4 GiB ceiling`);
    assert.equal(await page.evaluate(() => document.body.dataset.recoveries ?? '0'), '0', 'no crash');
    await page.click('#pause');
    await waitForState(page, 'paused', 3 * TIMEOUT);
    assert.deepEqual(problems, []);
  });
});
