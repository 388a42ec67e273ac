// The model and objective settings and the views, in the browser: each switch of the model and objective retrains from fresh weights and
// restarts the plot; β provokes posterior collapse; the gap is estimated and plotted; the latent
// map, manifold grid, prior samples and interpolation strip render digits and follow the model.
// On the CPU path, which is what a GPU-less machine trains on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { normalCdf } from '../js/fixtures/normal.mjs';
import { canvasChanged, canvasPixels, inkedPixels, screenshots, usePage, waitForState } from './harness.mjs';

const TIMEOUT = 180_000;

describe('the theory made visible', { timeout: 10 * TIMEOUT }, () => {
  const opened = usePage({ readyTimeout: 120_000 }, { before, after });
  let page, problems;
  before(() => ({ page, problems } = opened));

  const history = () => page.evaluate(() => window.latentLab.plot.history);
  /** Sets an input as a person would and commits it (a change event). */
  const setValue = (id, value) =>
    page.evaluate(([id, value]) => {
      const input = document.getElementById(id);
      input.value = value;
      input.dispatchEvent(new Event('change'));
    }, [id, value]);
  const modelIncludes = (text) =>
    page.waitForFunction((t) => document.body.dataset.model?.includes(t) && document.body.dataset.state === 'training', text, { timeout: TIMEOUT });
  const inked = async (id) => inkedPixels(await canvasPixels(page, id));

  test('the map, manifold, prior samples and interpolation show digits', async () => {
    await page.waitForFunction(() => window.latentLab.views.means !== null);
    // The shipped latent-20 model: every view has ink on it, far from blank.
    for (const [id, least] of [['latent-map', 2000], ['manifold', 3000], ['prior-samples', 1000], ['interpolation', 300]]) {
      const count = await inked(id);
      assert.ok(count > least, `${id}: ${count} inked pixels`);
    }
    // The map's default axes for latent 20 are the principal components.
    assert.equal(await page.inputValue('#map-x'), 'pc0');

    // New prior samples are different digits.
    const before = await canvasPixels(page, 'prior-samples');
    await page.click('#resample');
    await canvasChanged(page, 'prior-samples', before);

    // Linear and spherical paths between the same ends differ.
    const spherical = await canvasPixels(page, 'interpolation');
    await page.selectOption('#interpolation-mode', 'linear');
    await canvasChanged(page, 'interpolation', spherical);

    // Choosing other map axes redraws the map and the manifold grid over them.
    const [map, grid] = [await canvasPixels(page, 'latent-map'), await canvasPixels(page, 'manifold')];
    await page.selectOption('#map-x', 'z3');
    await canvasChanged(page, 'latent-map', map);
    await canvasChanged(page, 'manifold', grid);
    await page.selectOption('#map-x', 'pc0');
  });

  test('the manifold and the strip paint the decodes of the points their maths gives', async () => {
    // The points computed here, independently of the page's code: the grid at Φ⁻¹ of (i + ½)/12
    // (Φ⁻¹ by bisection on Φ integrated by Simpson's rule) along the map's two axes, x to the
    // right and y up; the strip by the textbook slerp between the two ends. The page decodes
    // them, and each canvas cell must show exactly that decode: a grid off by a row, flipped,
    // at other quantiles, or a strip along another path, paints other digits.
    await page.selectOption('#interpolation-mode', 'spherical');
    const { axes, a, b, latent } = await page.evaluate(() => {
      const v = window.latentLab.views;
      return { axes: v.map.axes().map((x) => Array.from(x)), a: Array.from(v.endPoint('A')), b: Array.from(v.endPoint('B')), latent: v.latent };
    });
    const side = 12;
    const quantile = (p) => {
      let [lo, hi] = [-10, 10];
      for (let i = 0; i < 60; i++) {
        const mid = (lo + hi) / 2;
        if (normalCdf(mid, 2_000) < p) lo = mid;
        else hi = mid;
      }
      return (lo + hi) / 2;
    };
    const grid = [];
    for (let row = 0; row < side; row++) {
      const y = quantile((side - row - 0.5) / side);
      for (let col = 0; col < side; col++) {
        const x = quantile((col + 0.5) / side);
        for (let j = 0; j < latent; j++) grid.push(x * axes[0][j] + y * axes[1][j]);
      }
    }
    const dot = (u, w) => u.reduce((sum, value, i) => sum + value * w[i], 0);
    const theta = Math.acos(dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b)));
    assert.ok(theta > 0.01 && theta < Math.PI - 0.01, `the default ends are an ordinary pair (θ = ${theta})`);
    const strip = [];
    for (let step = 0; step < 10; step++) {
      const t = step / 9;
      const [wa, wb] = [Math.sin((1 - t) * theta) / Math.sin(theta), Math.sin(t * theta) / Math.sin(theta)];
      for (let j = 0; j < latent; j++) strip.push(wa * a[j] + wb * b[j]);
    }
    for (const [id, points, columns] of [['manifold', grid, side], ['interpolation', strip, 10]]) {
      // The page paints 255 − round(255 p) in 28 × 28 cells one pixel apart; z rounded to f32
      // here and there may move a shade by 1.
      const matches = ([id, points, columns]) => {
        const decoded = window.latentLab.views.decode(Float32Array.from(points));
        const canvas = document.getElementById(id);
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let worst = 0;
        for (let k = 0; k < decoded.length / 784; k++) {
          const [x0, y0] = [(k % columns) * 29, Math.floor(k / columns) * 29];
          for (let i = 0; i < 784; i++) {
            const expected = 255 - Math.round(255 * Math.min(1, Math.max(0, decoded[k * 784 + i])));
            const at = 4 * ((y0 + Math.floor(i / 28)) * canvas.width + x0 + (i % 28));
            worst = Math.max(worst, Math.abs(data[at] - expected));
          }
        }
        return worst <= 1;
      };
      await page.waitForFunction(matches, [id, points, columns], { timeout: 10_000, polling: 200 });
    }
  });

  test('clicking a digit on the map moves the sliders to its μ and makes it an end', async () => {
    const target = await page.evaluate(() => {
      const { xy, px, py } = window.latentLab.views.map.projection;
      const canvas = document.getElementById('latent-map');
      const rect = canvas.getBoundingClientRect();
      const ratio = canvas.width / rect.width;
      return { x: rect.left + px(xy[0]) / ratio, y: rect.top + py(xy[1]) / ratio };
    });
    const strip = await canvasPixels(page, 'interpolation');
    await page.selectOption('#pick-target', 'A');
    await page.mouse.click(target.x, target.y);
    assert.match(await page.textContent('#ends'), /^A: held-out image #\d+ \(label \d\)/);
    assert.equal(await page.inputValue('#pick-target'), 'B', 'the next click sets the other end');
    assert.notEqual(await page.inputValue('#z0'), '0');
    await canvasChanged(page, 'interpolation', strip);
  });

  test('a drawing becomes an end of the interpolation', async () => {
    await page.click('#a-from-drawing');
    assert.match(await page.textContent('#alert'), /Draw a digit/);
    await page.click('#dismiss');
    // The alert shows at the bottom of the window, where the person is: the pad is further up.
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const pad = await page.locator('#pad').boundingBox();
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.85, { steps: 12 });
    await page.mouse.up();
    await page.click('#b-from-drawing');
    assert.match(await page.textContent('#ends'), /B: your drawing/);
    assert.ok((await inked('interpolation')) > 300);
  });

  /** Switches a setting, then waits for training of the new model to show a fall. */
  async function switchAndTrain(change, expectModel) {
    await change();
    await page.waitForFunction((m) => document.body.dataset.model?.includes(m), expectModel, { timeout: TIMEOUT });
    // The plot restarted: its first held-out point is the fresh model's, at step 0.
    await page.waitForFunction(() => window.latentLab.plot.history.heldout.length >= 3, null, { timeout: TIMEOUT });
    const { heldout, train } = await history();
    assert.equal(heldout[0].epoch, 0, JSON.stringify(heldout[0]));
    assert.ok(train[0].epoch < 0.1, `the train series restarted: ${JSON.stringify(train[0])}`);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'training', 'a switch retrains at once');
    const last = heldout.at(-1).negativeElbo;
    assert.ok(last < heldout[0].negativeElbo - 20, `held-out −ELBO fell: ${heldout.map((p) => p.negativeElbo.toFixed(1))}`);
  }

  test('a full-covariance posterior retrains and the plot restarts', { timeout: TIMEOUT }, async () => {
    await switchAndTrain(() => page.selectOption('#covariance', 'Full'), '"covariance":"Full"');
  });

  test('a Gaussian decoder with learned σ retrains', { timeout: TIMEOUT }, async () => {
    await switchAndTrain(() => page.selectOption('#likelihood', 'gaussian-learned'), '"likelihood":{"kind":"gaussian-learned"}');
  });

  test('a Gaussian decoder with fixed σ retrains', { timeout: TIMEOUT }, async () => {
    await page.evaluate(() => (document.getElementById('sigma').value = '0.2'));
    await switchAndTrain(() => page.selectOption('#likelihood', 'gaussian'), '"sigma":0.2');
  });

  test('L samples and KL warm-up retrain', { timeout: TIMEOUT }, async () => {
    await page.selectOption('#likelihood', 'bernoulli');
    await modelIncludes('"likelihood":{"kind":"bernoulli"}');
    await setValue('warmup', '200');
    await modelIncludes('"warmupSteps":200');
    await switchAndTrain(() => setValue('samples', '4'), '"samples":4');
    assert.match(await page.textContent('#model-description'), /L=4.*warm-up 200 steps/);
  });

  test('bad settings are refused with a message and change nothing', async () => {
    const model = await page.evaluate(() => document.body.dataset.model);
    await setValue('beta', '-3');
    assert.match(await page.textContent('#alert'), /β must be a number from 0 to 100/);
    assert.equal(await page.inputValue('#beta'), '1');
    assert.equal(await page.evaluate(() => document.body.dataset.model), model);
    await page.click('#dismiss');
  });

  test('a large β collapses the posterior: the active units fall', { timeout: TIMEOUT }, async () => {
    await page.evaluate(() => {
      document.getElementById('samples').value = '1';
      document.getElementById('warmup').value = '0';
    });
    await setValue('beta', '30');
    await modelIncludes('"beta":30');
    // 150 steps, as in the native test of the same collapse.
    await page.waitForFunction(() => window.latentLab.plot.history.heldout.at(-1)?.epoch > 150 * 128 / 9000, null, { timeout: TIMEOUT });
    const active = Number(await page.getAttribute('#units', 'data-active'));
    assert.ok(active <= 1, `active units with β = 30: ${active}`);
    assert.match(await page.textContent('#units-summary'), new RegExp(`^${active} of 20 units active`));
    assert.ok((await history()).heldout.at(-1).kl < 5);
    await page.screenshot({ path: join(screenshots, 'collapse.png'), fullPage: true });
  });

  test('the gap to an importance-weighted log p(x) is estimated and plotted', { timeout: TIMEOUT }, async () => {
    await page.click('#pause');
    await waitForState(page, 'paused');
    const estimates = () => page.evaluate(() => window.latentLab.gapPlot.history);
    const before = (await estimates()).length;
    assert.ok(before >= 1, 'the fresh model had its gap estimated');
    await page.selectOption('#gap-k', '64');
    await page.waitForFunction((n) => window.latentLab.gapPlot.history.length > n, before, { timeout: TIMEOUT });
    const last = (await estimates()).at(-1);
    assert.equal(last.k, 64);
    assert.equal(last.digits, 100);
    // On the same k samples, log of the mean weight ≥ the mean of the log weights (Jensen), digit
    // by digit: the gap is never below 0 beyond float rounding, whatever the model. A bound on
    // other samples than the ELBO's, or a sign slip, breaks it.
    assert.ok(Number.isFinite(last.gap) && last.gap >= -1e-3, JSON.stringify(last));
    assert.ok(last.negativeIwBound <= last.negativeElbo + 1e-3, JSON.stringify(last));
    assert.match(await page.textContent('#fig-gap'), /nats/);
    assert.deepEqual(problems, []);
  });

  test('a convolutional encoder and decoder retrain and the views follow', { timeout: 2 * TIMEOUT }, async () => {
    // From the paused β = 30 model: β back to 1, then the architecture switch.
    await setValue('beta', '1');
    await modelIncludes('"beta":1');
    const prior = await page.evaluate(() => document.getElementById('prior-samples').toDataURL());
    await switchAndTrain(() => page.selectOption('#architecture', 'Conv'), '"architecture":"Conv"');
    assert.match(await page.textContent('#model-description'), /conv/);
    // The decoded views were redrawn by the convolutional decoder.
    await page.waitForFunction((before) => document.getElementById('prior-samples').toDataURL() !== before, prior, { timeout: TIMEOUT });
    assert.ok((await inked('manifold')) > 300);
    assert.deepEqual(problems, []);
  });
});
