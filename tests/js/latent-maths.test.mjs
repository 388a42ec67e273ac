// The page's own latent maths against independent answers: the normal quantile behind the
// manifold grid, the grid's points, and the prior sampler behind "Sample z ~ N(0, I)".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gridPoints, normalQuantile } from '../../www/src/manifold.js';
import { samplePrior } from '../../www/src/sliders.js';
import { normalCdf } from './fixtures/normal.mjs';

test('Φ⁻¹ inverts Φ across the body and both tails, and matches tabulated quantiles', () => {
  for (const p of [1e-6, 0.001, 0.0242, 0.0243, 0.1, 0.3, 0.5, 0.7, 0.9, 0.9757, 0.999, 1 - 1e-6]) {
    const x = normalQuantile(p);
    assert.ok(Math.abs(normalCdf(x) - p) < 1e-8 + 1e-6 * Math.min(p, 1 - p), `Φ(Φ⁻¹(${p})) = ${normalCdf(x)}`);
  }
  // Abramowitz & Stegun's table.
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.995) - 2.575829304) < 1e-8);
  assert.equal(normalQuantile(0.5), 0);
  assert.ok(Math.abs(normalQuantile(0.2) + normalQuantile(0.8)) < 1e-12, 'odd about ½');
});

test('the grid spans its two axes in cells of equal prior mass, top-left first, y upwards', () => {
  const side = 5;
  const axes = [Float32Array.from([0, 1, 0]), Float32Array.from([0, 0, 1])];
  const points = gridPoints(axes, 3, side);
  assert.equal(points.length, side * side * 3);
  const at = (row, col) => Array.from(points.subarray((row * side + col) * 3, (row * side + col + 1) * 3));
  // Column c sits at Φ⁻¹((c + ½)/side) along x; row 0 is the top, the largest y.
  for (let c = 0; c < side; c++) {
    assert.ok(Math.abs(normalCdf(at(0, c)[1]) - (c + 0.5) / side) < 1e-6);
    assert.ok(Math.abs(normalCdf(at(c, 0)[2]) - (side - c - 0.5) / side) < 1e-6);
  }
  assert.deepEqual(at(2, 2), [0, 0, 0], 'the centre is the prior mean');
  assert.ok(points.every((v, i) => i % 3 !== 0 || v === 0), 'nothing off the two axes');
  // Along an oblique axis pair the points are the same combinations.
  const oblique = [Float32Array.from([0.6, 0.8, 0]), Float32Array.from([-0.8, 0.6, 0])];
  const p = gridPoints(oblique, 3, side);
  const [x, y] = [at(1, 3)[1], at(1, 3)[2]];
  assert.ok(Math.abs(p[(1 * side + 3) * 3] - (0.6 * x - 0.8 * y)) < 1e-6);
  assert.ok(Math.abs(p[(1 * side + 3) * 3 + 1] - (0.8 * x + 0.6 * y)) < 1e-6);
});

test('prior samples are N(0, 1) in every coordinate: moments and the whole distribution', () => {
  const n = 100_000;
  const draws = [];
  for (let i = 0; i < n / 4; i++) draws.push(...samplePrior(4));
  assert.ok(draws.every(Number.isFinite));
  const mean = draws.reduce((s, v) => s + v, 0) / n;
  const variance = draws.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.03, `variance ${variance}`);
  // Kolmogorov–Smirnov distance to Φ. A sound sampler stays near 1/√n ≈ 0.003; 0.02 is far
  // beyond chance (probability about e^−80) and well within what a wrong one gives (a uniform
  // of the same variance: 0.05).
  draws.sort((a, b) => a - b);
  let distance = 0;
  for (let i = 0; i < n; i += 97) distance = Math.max(distance, Math.abs(normalCdf(draws[i]) - (i + 0.5) / n));
  assert.ok(distance < 0.02, `KS distance ${distance}`);
});
