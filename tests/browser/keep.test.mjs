// Opens ready and keeps your work: the shipped model, export / import, refusals, autosave.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { canvasPixels, inkedPixels, launch, openPage, patch, screenshots, serve, usePage, waitForState, withMetadataLength, withNaN } from './harness.mjs';

describe('keeping the model', { timeout: 300_000 }, () => {
  let page, problems;
  const decoded = () => canvasPixels(page, 'decoded');
  const history = () => page.evaluate(() => window.latentLab.plot.history);
  /** Resolves once the decoded digit equals (or differs from) `pixels`. */
  const decodedBecomes = (pixels, equal = true) =>
    page.waitForFunction(
      ([want, equal]) => {
        const c = document.getElementById('decoded');
        const got = Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data);
        return (got.join() === want.join()) === equal;
      },
      [pixels, equal],
    );
  const exportFile = async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    return readFileSync(await download.path());
  };
  const importFile = (buffer, name = 'model.bpk') =>
    page.setInputFiles('#import', { name, mimeType: 'application/octet-stream', buffer });

  const opened = usePage({ acceptDownloads: true, viewport: { width: 1280, height: 720 }, ready: null }, { before, after });
  before(() => ({ page, problems } = opened));

  test('opens with the shipped model: real digits before any training', async () => {
    await waitForState(page, 'ready');
    assert.match(await page.textContent('#model-note'), /ships with the page/);
    const [first] = (await history()).heldout;
    // The README records the shipped latent-20 model at 75.78 + 25.77 nats on the binarised
    // held-out digits; the page's one-sample estimate (a fresh seed) lands within about 1 nat of
    // each term, and a lost KL, grey-level scoring or a stale file lands far outside 2.
    assert.ok(Math.abs(first.reconstruction - 75.78) < 2, JSON.stringify(first));
    assert.ok(Math.abs(first.kl - 25.77) < 2, JSON.stringify(first));
    assert.ok(inkedPixels(await decoded()) > 40, 'z = 0 decodes to a digit, not a blank');
    assert.deepEqual(problems, []);
  });

  test('export, train from scratch, import: the same digits, bit for bit', async () => {
    const before = await decoded();
    const exported = await exportFile();
    assert.equal(exported.subarray(0, 4).toString('latin1'), 'NRUB', 'a burnpack');
    await page.click('#reset');
    await decodedBecomes(before, false);
    await waitForState(page, 'ready');
    await importFile(exported);
    await decodedBecomes(before);
    await waitForState(page, 'ready');
    assert.match(await page.textContent('#model-note'), /Loaded model\.bpk/);
    assert.deepEqual(await exportFile(), exported, 'export → import → export is bit-exact');
    assert.deepEqual(problems, []);
  });

  test('broken files are refused with a message, and nothing changes', async () => {
    const good = await exportFile();
    const pixels = await decoded();
    const points = await history();
    const cases = [
      ['truncated', good.subarray(0, good.length >> 1), /damaged|not a latent-lab weights file/],
      ['wrong shape', patch(good, '"latent_size":20', '"latent_size":21'), /do not fit.*shape mismatch/],
      ['wrong version', patch(good, 'version\x612', 'version\x613'), /version 3 is not supported/],
      ['NaN', withNaN(good), /NaN or infinite/],
      ['infinite', withNaN(good, -Infinity), /NaN or infinite/],
      ['huge declared length', withMetadataLength(good, 0xffffffff), /not a latent-lab weights file|damaged/],
      ['empty', Buffer.alloc(0), /not a latent-lab weights file/],
      ['not weights at all', Buffer.from('hello'), /not a latent-lab weights file/],
    ];
    for (const [what, bytes, message] of cases) {
      await importFile(bytes, `${what}.bpk`);
      await page.waitForSelector('#alert:not([hidden])');
      assert.match(await page.textContent('#alert'), message, what);
      assert.match(await page.textContent('#alert'), new RegExp(`${what}\\.bpk`));
      await page.click('#dismiss');
      assert.deepEqual(await decoded(), pixels, `${what}: the model is unchanged`);
      assert.deepEqual(await history(), points, `${what}: the plot is unchanged`);
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
    }
    // Dropped on the page rather than picked: the same answer.
    await page.evaluate((base64) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'dropped.bpk'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, withNaN(good).toString('base64'));
    await page.waitForSelector('#alert:not([hidden])');
    assert.match(await page.textContent('#alert'), /dropped\.bpk.*NaN/);
    await page.click('#dismiss');
    assert.deepEqual(await decoded(), pixels);
    assert.deepEqual(problems, []);
  });

  test('a reload restores the autosaved model and plot; train from scratch forgets it', async () => {
    // Making a Blob of bytes waits for the browser's blob registry; on the page's thread, while a
    // large dataset was being stored, an autosave's wait held the page for 748 ms. The training
    // worker makes the weights' Blob, so the page's thread makes none of the model's size.
    await page.evaluate(() => {
      window.largeBlobsMade = 0;
      window.Blob = new Proxy(window.Blob, {
        construct(target, args) {
          const blob = Reflect.construct(target, args);
          if (blob.size > 1_000_000) window.largeBlobsMade++;
          return blob;
        },
      });
    });
    await page.click('#train');
    await page.waitForFunction(() => window.latentLab.plot.history.heldout.length >= 3, null, { timeout: 120_000 });
    await page.click('#pause');
    await waitForState(page, 'paused');
    const step = await page.textContent('#fig-step');
    await page.waitForFunction((s) => document.body.dataset.savedStep === s.replace(/,/g, ''), step);
    assert.equal(await page.evaluate(() => window.largeBlobsMade), 0, "the autosaves made the weights' Blob on the page's thread");
    const pixels = await decoded();
    const points = await history();

    await page.reload();
    await waitForState(page, 'ready');
    assert.match(await page.textContent('#model-note'), /Restored the model you were training, autosaved/);
    assert.deepEqual(await history(), points, 'the plot is back, point for point');
    assert.equal(await page.textContent('#fig-step'), step);
    assert.deepEqual(await decoded(), pixels, 'the model is back');
    await page.screenshot({ path: join(screenshots, 'restored.png'), fullPage: true });

    await page.click('#reset');
    await waitForState(page, 'ready');
    await page.reload();
    await waitForState(page, 'ready');
    assert.match(await page.textContent('#model-note'), /ships with the page/);
    assert.deepEqual(problems, []);
  });
});

test('the shipped latent-2 model loads from the latent size menu', { timeout: 120_000 }, async () => {
  const server = await serve(0);
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, server.url);
    await waitForState(page, 'ready');
    await page.fill('#latent-size', '2');
    await page.dispatchEvent('#latent-size', 'change');
    await page.waitForFunction(() => window.latentLab.latentSize === 2 && document.body.dataset.state === 'ready');
    assert.equal(await page.locator('.sliders input').count(), 2);
    assert.match(await page.textContent('#model-note'), /shipped model with latent size 2/);
    const heldout = await page.evaluate(() => window.latentLab.plot.history.heldout);
    assert.equal(heldout.length, 1);
    assert.ok(heldout[0].negativeElbo < 160, JSON.stringify(heldout));
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
