// The views decode in slices that keep every main-thread task short, whatever the model: no
// slice runs in the caller's task, the first is one digit, each is at most twice the last and
// sized from the last one's time. A fake decoder advances a fake clock by a cost per digit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLICE_MS, decodeInSlices } from '../../www/src/views.js';

const LATENT = 4;
let clock = 0;
performance.now = () => clock;

/** A decoder costing `msPerDigit` (plus `overhead` a call), recording each slice's size. */
function fakeDecoder(msPerDigit, overhead = 0) {
  const slices = [];
  const decode = (z) => {
    const count = z.length / LATENT;
    slices.push(count);
    clock += overhead + count * msPerDigit;
    const pixels = new Float32Array(count * 784);
    for (let d = 0; d < count; d++) pixels.fill(z[d * LATENT], d * 784, (d + 1) * 784);
    return pixels;
  };
  return { decode, slices };
}

const points = (n) => Float32Array.from({ length: n * LATENT }, (_, i) => Math.floor(i / LATENT));

test('no slice runs in the caller’s task, and the pixels come back in order', async () => {
  const { decode, slices } = fakeDecoder(0.1);
  const result = decodeInSlices(decode, points(144), LATENT, () => false);
  assert.deepEqual(slices, [], 'nothing decoded before the caller gets the thread back');
  const { pixels, busy } = await result;
  assert.equal(slices.reduce((a, b) => a + b), 144);
  for (let digit = 0; digit < 144; digit++) assert.equal(pixels[digit * 784 + 783], digit);
  assert.ok(Math.abs(busy - 14.4) < 1e-9, `busy ${busy} ms`);
});

test('slices start at one digit, at most double, and stay within SLICE_MS', async () => {
  for (const msPerDigit of [0.02, 0.5, 5, 40]) {
    const { decode, slices } = fakeDecoder(msPerDigit);
    await decodeInSlices(decode, points(144), LATENT, () => false);
    assert.equal(slices[0], 1, `${msPerDigit} ms a digit: ${slices}`);
    for (let i = 1; i < slices.length; i++) {
      assert.ok(slices[i] <= 2 * slices[i - 1], `${msPerDigit} ms a digit: ${slices}`);
      if (slices[i] > 1) assert.ok(slices[i] * msPerDigit <= SLICE_MS + 1e-9, `${msPerDigit} ms a digit: ${slices}`);
    }
  }
});

test('a slower model after a fast one starts again from one digit', async () => {
  await decodeInSlices(fakeDecoder(0.01).decode, points(144), LATENT, () => false);
  const slow = fakeDecoder(8);
  await decodeInSlices(slow.decode, points(144), LATENT, () => false);
  assert.equal(slow.slices[0], 1, String(slow.slices));
  assert.ok(Math.max(...slow.slices) * 8 <= SLICE_MS, String(slow.slices));
});

test('a draw that turns stale stops before its next slice', async () => {
  const { decode, slices } = fakeDecoder(1);
  let stale = false;
  const result = decodeInSlices(
    (z) => {
      stale = slices.length >= 2;
      return decode(z);
    },
    points(144),
    LATENT,
    () => stale,
  );
  assert.equal(await result, null);
  assert.equal(slices.length, 3);
});
