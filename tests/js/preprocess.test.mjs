// The drawing pad's MNIST-style preprocessing, on synthetic drawings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preprocess, SIDE } from '../../www/src/preprocess.js';

/** A width × height pad with the rectangle [x0, x1) × [y0, y1) inked. */
function pad(width, height, [x0, y0, x1, y1], level = 1) {
  const ink = new Float32Array(width * height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * width + x] = level;
  return ink;
}

function bounds(image) {
  let top = SIDE, bottom = -1, left = SIDE, right = -1, mass = 0, mx = 0, my = 0;
  image.forEach((v, i) => {
    if (v <= 0) return;
    const x = i % SIDE, y = Math.floor(i / SIDE);
    top = Math.min(top, y); bottom = Math.max(bottom, y);
    left = Math.min(left, x); right = Math.max(right, x);
    mass += v; mx += v * (x + 0.5); my += v * (y + 0.5);
  });
  return { height: bottom - top + 1, width: right - left + 1, cx: mx / mass, cy: my / mass };
}

test('an empty pad gives nothing to encode', () => {
  assert.equal(preprocess(new Float32Array(280 * 280), 280, 280), null);
});

test('a tall stroke in a corner is scaled to 20 pixels high and centred by mass', () => {
  const image = preprocess(pad(280, 280, [10, 5, 40, 125]), 280, 280);
  const b = bounds(image);
  assert.equal(b.height, 20);
  // 30 × 120 keeps its 1:4 aspect ratio: five pixels' worth of ink per row, centred on 14, so
  // split over six columns with half-covered ones at the edges.
  const row = image.slice(14 * SIDE, 15 * SIDE);
  assert.ok(Math.abs(row.reduce((a, v) => a + v, 0) - 5) < 1e-4);
  assert.deepEqual(Array.from(row.slice(11, 17), (v) => +v.toFixed(3)), [0.5, 1, 1, 1, 1, 0.5]);
  assert.ok(Math.abs(b.cx - 14) <= 0.5 && Math.abs(b.cy - 14) <= 0.5, JSON.stringify(b));
  assert.ok(image.every((v) => v >= 0 && v <= 1));
});

test('a wide stroke fits 20 pixels wide, and partial coverage gives soft grey edges', () => {
  // 100 × 7 pixels at scale 0.2 is 1.4 output rows high, centred on row boundary 14: two rows
  // each 70% covered.
  const image = preprocess(pad(280, 280, [100, 200, 200, 207]), 280, 280);
  const b = bounds(image);
  assert.equal(b.width, 20);
  assert.equal(b.height, 2);
  const levels = new Set(Array.from(image).filter((v) => v > 0).map((v) => v.toFixed(3)));
  assert.deepEqual([...levels], ['0.700']);
});

test('the centre of mass, not the box, is centred', () => {
  // An L: a heavy bar at the bottom pulls the mass down, so the box sits above the centre.
  const ink = pad(100, 100, [0, 0, 10, 100]);
  for (let y = 80; y < 100; y++) for (let x = 0; x < 100; x++) ink[y * 100 + x] = 1;
  const b = bounds(preprocess(ink, 100, 100));
  assert.ok(Math.abs(b.cx - 14) <= 0.5 && Math.abs(b.cy - 14) <= 0.5, JSON.stringify(b));
});
