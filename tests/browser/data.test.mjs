// A person's own data, on the CPU path: IDX files (a pair, gzipped), a folder of PNGs, a sprite
// sheet and a drawn set each train, with the held-out −ELBO falling and the reconstructions
// showing the new data; a drawn set exports as IDX and re-imports the same; a reload trains on
// the same data; every bad input is answered and changes nothing.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { digitOnPaper, gzip, idx, idxImages, idxLabels, inverted, png, rotated, shippedDigits, spriteSheet } from './datasets.mjs';
import { canvasPixels, on, screenshots, usePage, waitForState } from './harness.mjs';

const TIMEOUT = 240_000;

describe('your own data', { timeout: 1_800_000 }, () => {
  let page, problems, lab;
  const opened = usePage({ acceptDownloads: true, viewport: { width: 1280, height: 1000 } }, { before, after });
  const folder = mkdtempSync(join(tmpdir(), 'latent-lab-data-'));
  before(() => {
    ({ page, problems } = opened);
    lab = on(page, TIMEOUT);
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const dataset = () => page.evaluate(() => document.body.dataset.dataset);
  const heldout = () => page.evaluate(() => window.latentLab.plot.history.heldout);
  const file = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(buffer) });
  /** Brings files through the picker and waits until the page trains on the dataset `name`. */
  async function bring(files, name, input = '#data-files') {
    await page.setInputFiles(input, files);
    await page.waitForFunction((name) => document.body.dataset.dataset === name && ['ready', 'paused', 'training'].includes(document.body.dataset.state), name, { timeout: TIMEOUT });
  }
  /** Mean ink of the reconstructions strip's top row (the held-out images as scored). */
  const inputInk = () =>
    page.evaluate(() => {
      const canvas = document.getElementById('reconstructions');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, 28).data;
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) ink += 1 - data[i] / 255;
      return ink / (data.length / 4);
    });
  /** Trains until the held-out −ELBO has fallen below its first value on this data, then pauses. */
  async function trainsDown(label) {
    await page.waitForFunction(() => Number(document.getElementById('reconstructions').dataset.count) > 0, null, { timeout: TIMEOUT });
    const [first] = await heldout();
    assert.ok(first && Number.isFinite(first.negativeElbo), `${label}: a held-out report on the new data`);
    await page.click('#train');
    await page.waitForFunction(
      (start) => {
        const points = window.latentLab.plot.history.heldout;
        return points.length >= 3 && points.at(-1).negativeElbo < start - 1;
      },
      first.negativeElbo,
      { timeout: TIMEOUT },
    );
    await page.click('#pause');
    await waitForState(page, 'paused', TIMEOUT);
    const points = await heldout();
    assert.ok(points.at(-1).negativeElbo < first.negativeElbo, `${label}: ${first.negativeElbo} → ${points.at(-1).negativeElbo}`);
    assert.ok(points.every((p) => Number.isFinite(p.negativeElbo)), label);
  }

  test('an IDX pair of inverted digits trains, and the reconstructions show them', async () => {
    const { pixels, labels } = shippedDigits(600);
    await bring([file('inverted-images-idx3-ubyte', idxImages(inverted(pixels))), file('inverted-labels-idx1-ubyte', idxLabels(labels))], 'inverted-images-idx3-ubyte');
    assert.match(await page.textContent('#data-now'), /inverted-images-idx3-ubyte: 540 training and 60 held-out images \(10 %, split by seed \d+\), labelled/);
    assert.match(await page.textContent('#data-conversion'), /600 IDX images of 28×28, taken as they are; labelled/);
    assert.match(await page.textContent('#model-note'), /Training on inverted-images-idx3-ubyte from now on/);
    await trainsDown('IDX pair');
    // Inverted digits are mostly ink: the strip's top row is dark, as MNIST's is not.
    assert.ok((await inputInk()) > 0.6, `ink ${await inputInk()}`);
    await page.screenshot({ path: join(screenshots, 'data-idx.png'), fullPage: true });
  });

  test('a gzipped IDX file of rotated digits, without labels, trains', async () => {
    const { pixels } = shippedDigits(400, 1000);
    // Transposed as EMNIST's files need, which only the note shows here.
    await page.check('#transpose');
    await bring([file('rotated.idx.gz', gzip(idxImages(rotated(pixels))))], 'rotated');
    await page.uncheck('#transpose');
    assert.match(await page.textContent('#data-conversion'), /400 IDX images of 28×28, taken as they are; transposed \(rows and columns swapped, as EMNIST needs\); unlabelled/);
    assert.match(await page.textContent('#data-now'), /360 training and 40 held-out images .*no labels/);
    assert.match(await page.textContent('#map-legend'), /No labels/);
    await trainsDown('gzipped IDX');
    const ink = await inputInk();
    assert.ok(ink > 0.05 && ink < 0.4, `rotated digits are light ink on dark, as drawn: ${ink}`);
  });

  test('a folder of PNGs on light paper, a subfolder per class, trains labelled', async () => {
    const { pixels, labels } = shippedDigits(300, 2000);
    for (const name of ['even', 'odd']) mkdirSync(join(folder, 'paper', name), { recursive: true });
    for (let i = 0; i < 300; i++) writeFileSync(join(folder, 'paper', labels[i] % 2 ? 'odd' : 'even', `${i}.png`), digitOnPaper(pixels, i, 2));
    writeFileSync(join(folder, 'paper', 'README.txt'), 'not an image');
    await bring(join(folder, 'paper'), 'paper', '#data-folder');
    const conversion = await page.textContent('#data-conversion');
    assert.match(conversion, /300 images of 56×56, area-averaged to 28×28; 300 of 300 inverted \(a light background\); labelled/);
    assert.match(conversion, /Labels from the folders: even = 0, odd = 1/);
    assert.match(conversion, /1 files that are not images were left out/);
    assert.match(await page.textContent('#map-legend'), /01/);
    await trainsDown('PNG folder');
    // Inverted back to light ink on dark: the top row looks like MNIST again.
    const ink = await inputInk();
    assert.ok(ink > 0.05 && ink < 0.4, `ink ${ink}`);
    // A click on the fourth column puts that held-out image's μ on the sliders.
    const strip = await page.locator('#reconstructions').boundingBox();
    const count = Number(await page.getAttribute('#reconstructions', 'data-count'));
    await page.locator('#reconstructions').click({ position: { x: (3.5 * strip.width) / count, y: strip.height / 2 } });
    const [sliders, mean] = await page.evaluate(() => {
      const latent = window.latentLab.latentSize;
      return [[...document.querySelectorAll('#sliders input')].map((i) => Number(i.value)), [...window.latentLab.views.means.slice(3 * latent, 4 * latent)]];
    });
    mean.forEach((m, i) => assert.ok(Math.abs(sliders[i] - Math.max(-3, Math.min(3, m))) <= 0.006, `z${i}: slider ${sliders[i]}, μ ${m}`));
    await page.screenshot({ path: join(screenshots, 'data-folder.png'), fullPage: true });
  });

  test('a reload trains on the same data', async () => {
    const before = await page.textContent('#data-now');
    await page.waitForFunction(() => document.body.dataset.savedStep === document.body.dataset.weightsStep, null, { timeout: TIMEOUT });
    const points = await heldout();
    await page.reload();
    await waitForState(page, 'ready', TIMEOUT);
    assert.equal(await dataset(), 'paper');
    assert.equal(await page.textContent('#data-now'), before);
    assert.ok(await page.isHidden('#alert'), await page.textContent('#alert span'));
    // The restored model's first report fills the views and the strip, and adds no plot point.
    await page.waitForFunction(() => Number(document.getElementById('reconstructions').dataset.count) > 0, null, { timeout: TIMEOUT });
    assert.deepEqual(await heldout(), points);
  });

  test('a sprite sheet is cut into its cells', async () => {
    // Upside down, so that the model trained on upright digits has something to learn.
    const { pixels } = shippedDigits(156, 3000);
    await page.fill('#cell-width', '28');
    await page.fill('#cell-height', '28');
    await bring([file('sheet.png', spriteSheet(rotated(rotated(pixels)), 156, 16, 10))], 'sheet');
    assert.match(await page.textContent('#data-conversion'), /156 cells of 28×28 from a sprite sheet \(4 empty cells skipped\)/);
    await trainsDown('sprite sheet');
    await page.fill('#cell-width', '');
    await page.fill('#cell-height', '');
  });

  test('a drawn dataset of 16 trains, and exports as IDX that imports the same', async () => {
    let pad;
    for (let i = 0; i < 16; i++) {
      if (i === 0 || i === 8) {
        await page.locator('#pad').scrollIntoViewIfNeeded();
        pad = await page.locator('#pad').boundingBox();
      }
      await page.click('#clear');
      const x = pad.x + 60 + (i % 4) * 40;
      await page.mouse.move(x, pad.y + 50);
      await page.mouse.down();
      await page.mouse.move(x + 20 + i * 3, pad.y + 150, { steps: 5 });
      await page.mouse.move(x - 10, pad.y + 230, { steps: 5 });
      await page.mouse.up();
      await page.fill('#drawing-label', String(i % 4));
      if (i === 14) assert.ok(await page.isDisabled('#train-drawn'));
      await page.click('#add-drawing');
      if (i === 7) {
        // Half drawn, then a reload: the drawings are still there.
        await page.reload();
        await waitForState(page, 'ready', TIMEOUT);
        assert.match(await page.textContent('#drawn-count'), /^8 drawings in your dataset; 8 more to train on them\.$/);
      }
    }
    assert.match(await page.textContent('#drawn-count'), /^16 drawings in your dataset\.$/);
    assert.equal(await page.locator('#drawn-set .thumb').count(), 16);
    const downloads = [];
    page.on('download', (d) => downloads.push(d));
    await page.click('#export-drawn');
    await page.waitForFunction(() => true);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(downloads.map((d) => d.suggestedFilename()).sort(), ['my-drawings-images-idx3-ubyte', 'my-drawings-labels-idx1-ubyte']);
    const [images, labels] = await Promise.all(downloads.map(async (d) => readFileSync(await d.path())));
    assert.equal(images.length, 16 + 16 * 784);
    assert.deepEqual([...labels.subarray(8)], [...Array(16).keys()].map((i) => i % 4));
    await page.click('#train-drawn');
    await page.waitForFunction(() => document.body.dataset.dataset === 'my drawings' && document.body.dataset.state !== 'switching', null, { timeout: TIMEOUT });
    assert.match(await page.textContent('#data-now'), /my drawings: 14 training and 2 held-out images .*labelled/);
    await trainsDown('drawn');
    const strip = await canvasPixels(page, 'reconstructions');
    await page.screenshot({ path: join(screenshots, 'data-drawn.png'), fullPage: true });
    // The same images and labels under the same seed: the same held-out images on top.
    await bring([file('my-drawings-images-idx3-ubyte', images), file('my-drawings-labels-idx1-ubyte', labels)], 'my-drawings-images-idx3-ubyte');
    const again = await canvasPixels(page, 'reconstructions');
    const topRow = (rgba, width) => rgba.slice(0, width * 28 * 4).join();
    const width = await page.evaluate(() => document.getElementById('reconstructions').width);
    assert.equal(topRow(again, width), topRow(strip, width));
  });

  test('every bad input is answered, and the data, model and plot stay as they were', async () => {
    const { pixels, labels } = shippedDigits(100, 4000);
    const images = idxImages(pixels);
    const lying = Buffer.from(images);
    lying.writeUInt32BE(101, 4);
    const floats = Buffer.from(images);
    floats[2] = 0x0d;
    const paper = (i, scale) => file(`${i}.png`, digitOnPaper(pixels, i, scale));
    const cases = [
      [[file('cut-idx3-ubyte', images.subarray(0, images.length - 100))], /truncated/],
      [[file('lying-idx3-ubyte', lying)], /declares 101 × 28 × 28 = 79184 bytes of data but the file holds 78400 \(truncated\?\)/],
      [[file('floats-idx3-ubyte', floats)], /element type 0x0d/],
      [[file('notes.idx', Buffer.from('these are not digits'))], /None of the 1 files is an IDX file or a PNG, JPEG or WebP image/],
      [[file('empty-idx3-ubyte', idxImages(new Uint8Array(0)))], /holds no images/],
      [[file('few-idx3-ubyte', idxImages(pixels.subarray(0, 15 * 784)))], /15 images; a dataset needs at least 16/],
      [[file('a-idx3-ubyte', images), file('b-idx1-ubyte', idxLabels(labels.subarray(0, 99)))], /99 labels for 100 images/],
      [[...Array.from({ length: 16 }, (_, i) => paper(i, 2)), paper(16, 3)], /16\.png: it is 84×84, but the images before it are 56×56/],
      [[...Array.from({ length: 16 }, (_, i) => paper(i, 2)), file('broken.png', png(new Uint8Array(56 * 56), 56, 56).subarray(0, 60))], /broken\.png could not be decoded as an image/],
      // Small files whose conversion would take minutes (each image padded to a square of its
      // longer side): refused from their headers, before any pixel is decoded or converted.
      [[file('tall-idx3-ubyte.gz', gzip(idx(new Uint8Array(16 * 100_000), [16, 100_000, 1])))], /tall-idx3-ubyte\.gz: 16 IDX images of 1×100,000, each padded to a square of 100,000×100,000: 160,000,000,000 pixels to convert to 28×28; the page converts at most 250,000,000 for a dataset/],
      [Array.from({ length: 16 }, (_, i) => file(`tall-${i}.png`, png(new Uint8Array(32_767), 1, 32_767))), /tall-0\.png: 16 images of 1×32,767, each padded to a square of 32,767×32,767: .* the page converts at most 250,000,000/],
      // An IDX pair told apart by its headers, whatever the order: the count is the reason.
      [[file('many-labels-idx1-ubyte', idxLabels(new Uint8Array(70_001))), file('many-images-idx3-ubyte', idx(new Uint8Array(70_001), [70_001, 1, 1]))], /^many-images-idx3-ubyte with many-labels-idx1-ubyte: 70,001 images; the page trains on at most 70,000\. Nothing was changed\.$/],
      [[file('a-idx3-ubyte', images), file('b-idx3-ubyte', images)], /a-idx3-ubyte is an IDX images file and b-idx3-ubyte is an IDX images file: bring one images file/],
      [[paper(0, 2)], /One image, 0\.png: a dataset needs at least 16\. If it is a sprite sheet, enter its cell size/],
    ];
    const before = { data: await page.textContent('#data-now'), dataset: await dataset(), plot: JSON.stringify(await lab.history()), digit: (await lab.decoded()).join(), step: await lab.step() };
    const unchanged = async (what) => {
      assert.equal(await page.textContent('#data-now'), before.data, what);
      assert.equal(await dataset(), before.dataset, what);
      assert.equal(JSON.stringify(await lab.history()), before.plot, what);
      assert.equal((await lab.decoded()).join(), before.digit, what);
      assert.equal(await lab.step(), before.step, what);
    };
    for (const [files, message] of cases) {
      await page.setInputFiles('#data-files', files);
      assert.match(await lab.alert(), message, files[0].name);
      await unchanged(files[0].name);
    }
    // A 2 GB file and a folder of 100,000 files, dropped: refused before anything is read.
    const drop = (make) =>
      page.evaluate((make) => {
        const transfer = new DataTransfer();
        for (const f of new Function(`return (${make})()`)()) transfer.items.add(f);
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, make);
    await drop(`() => {
      const megabyte = new Blob([new Uint8Array(1 << 20)]);
      return [new File(Array(2048).fill(megabyte), 'huge-idx3-ubyte.gz')];
    }`);
    assert.match(await lab.alert(), /huge-idx3-ubyte\.gz is 2,147 MB; the page reads files of at most 100 MB/);
    await unchanged('2 GB');
    await drop(`() => Array.from({ length: 100000 }, (_, i) => new File([], i + '.png'))`);
    assert.match(await lab.alert(), /100,000 images; the page trains on at most 70,000/);
    await unchanged('100,000 files');
    // A held-out share or a seed out of range.
    await page.fill('#heldout-percent', '60');
    await page.setInputFiles('#data-files', [file('ok-idx3-ubyte', images)]);
    assert.match(await lab.alert(), /held-out share must be a number from 1 to 50 %/);
    await page.fill('#heldout-percent', '10');
    await unchanged('held-out share');
    assert.deepEqual(problems, []);
  });

  test('back to MNIST, and a model trained on other data is named when imported', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const weights = readFileSync(await download.path());
    await page.click('#data-mnist');
    await page.waitForFunction(() => document.body.dataset.dataset === 'MNIST digits' && document.body.dataset.state !== 'switching', null, { timeout: TIMEOUT });
    assert.match(await page.textContent('#data-now'), /MNIST digits: 9,000 training and 1,000 held-out images \(a fixed split\), labelled/);
    assert.ok(await page.isDisabled('#data-mnist'));
    await page.setInputFiles('#import', { name: 'drawn.bpk', mimeType: 'application/octet-stream', buffer: weights });
    assert.match(await lab.alert(), /This model was trained on “my-drawings-images-idx3-ubyte” \(16 images\), not on the data the page trains on now \(“MNIST digits”\)/);
    assert.deepEqual(problems, []);
  });

  test('while a dataset is being read, every other change of data is refused, and Cancel changes nothing', async () => {
    // The dataset worker's request is held back, so the read stays under way for as long as the
    // test needs (a folder of 70,000 images takes minutes in a person's tab).
    await page.evaluate(() => {
      const post = Worker.prototype.postMessage;
      window.heldReads = [];
      Worker.prototype.postMessage = function (message, transfer) {
        if (message && typeof message === 'object' && 'split' in message && 'count' in message) {
          window.heldReads.push(() => post.call(this, message, transfer));
          return undefined;
        }
        return post.call(this, message, transfer);
      };
    });
    const { pixels, labels } = shippedDigits(100, 6000);
    const pair = [file('busy-images-idx3-ubyte', idxImages(pixels)), file('busy-labels-idx1-ubyte', idxLabels(labels))];
    const before = { data: await page.textContent('#data-now'), dataset: await dataset(), step: await lab.step() };
    assert.ok(await page.isHidden('#data-reading'));
    await page.setInputFiles('#data-files', pair);
    await page.waitForFunction(() => window.heldReads.length === 1);
    assert.ok(await page.isVisible('#data-cancel'));
    const refusal = /^A dataset is still being read; wait for it, or press Cancel beside its progress\. Nothing was changed\.$/;
    // Back to MNIST (enabled: the page trains on the dropped pair's data), the drawn set, a
    // second set of files and a drop: each refused in the same words, and nothing changes.
    await page.evaluate(() => (document.getElementById('data-mnist').disabled = false));
    await page.click('#data-mnist');
    assert.match(await lab.alert(), refusal, 'Back to MNIST');
    await page.click('#train-drawn');
    assert.match(await lab.alert(), refusal, 'the drawn set');
    await page.setInputFiles('#data-files', pair);
    assert.match(await lab.alert(), refusal, 'more files');
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(8)], 'x-idx3-ubyte'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    assert.match(await lab.alert(), refusal, 'a drop');
    assert.equal(await page.evaluate(() => window.heldReads.length), 1);
    // Cancel: the read ends, and the page trains on what it trained on.
    await page.click('#data-cancel');
    assert.match(await page.textContent('#status'), /Reading the dataset was cancelled; the model trains on as before\./);
    assert.ok(await page.isHidden('#data-reading'));
    await page.evaluate(() => window.heldReads[0]());
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await page.textContent('#data-now'), before.data);
    assert.equal(await dataset(), before.dataset);
    assert.equal(await lab.step(), before.step);
    // Once no read is under way, the next change goes through.
    await page.evaluate(() => (window.heldReads = { push: (send) => send() }));
    await bring(pair, 'busy-images-idx3-ubyte');
    assert.ok(await page.isHidden('#data-reading'));
    assert.deepEqual(problems, []);
  });

  test('a dropped IDX pair is read as data, and trains', async () => {
    const { pixels, labels } = shippedDigits(600, 5000);
    const files = [
      { name: 'dropped-images-idx3-ubyte', bytes: [...idxImages(inverted(pixels))] },
      { name: 'dropped-labels-idx1-ubyte', bytes: [...idxLabels(labels)] },
    ];
    await page.evaluate((files) => {
      const transfer = new DataTransfer();
      for (const { name, bytes } of files) transfer.items.add(new File([Uint8Array.from(bytes)], name));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, files);
    await page.waitForFunction(() => document.body.dataset.dataset === 'dropped-images-idx3-ubyte' && document.body.dataset.state !== 'switching', null, { timeout: TIMEOUT });
    await trainsDown('dropped IDX pair');
    await page.screenshot({ path: join(screenshots, 'data-dropped.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });
});
