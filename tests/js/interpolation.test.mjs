// The interpolation paths: spherical ones stay finite and end where they should whatever the
// angle between the ends, opposite ones included, and say which path they took.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PATH_NOTES, interpolate, sphericalPath } from '../../www/src/interpolation.js';

const norm = (v) => Math.hypot(...v);
const close = (a, b, tol = 1e-5) => a.every((v, i) => Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])));

/** Every point of a 10-step strip from `a` to `b` along the spherical path. */
function strip(a, b) {
  const path = sphericalPath(a, b);
  return { path, points: Array.from({ length: 10 }, (_, s) => interpolate(Float32Array.from(a), Float32Array.from(b), s / 9, path)) };
}

test('ends pointing in opposite directions go through a perpendicular direction, finite and on the shell', () => {
  for (const [a, b] of [
    [[1.5, -0.5, 2], [-1.5, 0.5, -2]],
    [[3, 0], [-1, 0]],
    // Opposite up to float rounding: sin θ ≈ 1e-8, where the usual formula gives z ≈ 1e8.
    [[0.1, 0.2, 0.3, 0.4], [-0.1, -0.2, -0.3, -0.4 - 1e-9]],
  ]) {
    const { path, points } = strip(a, b);
    assert.equal(path, 'perpendicular', `${a} → ${b}`);
    assert.ok(points.every((p) => p.every(Number.isFinite)), `${a} → ${b}: finite`);
    assert.ok(close(points[0], a) && close(points[9], b), `${a} → ${b}: ends at A and B`);
    // The norm moves monotonically from |A| to |B|, as on the usual great circle.
    const norms = points.map(norm);
    const [lo, hi] = [Math.min(norm(a), norm(b)), Math.max(norm(a), norm(b))];
    assert.ok(norms.every((n) => n >= lo * 0.999 && n <= hi * 1.001), `${a} → ${b}: norms ${norms}`);
    // The middle is perpendicular to A: the path turns, it does not cut through 0.
    const middle = interpolate(Float32Array.from(a), Float32Array.from(b), 0.5, path);
    const cos = middle.reduce((s, v, i) => s + v * a[i], 0) / (norm(middle) * norm(a));
    assert.ok(Math.abs(cos) < 1e-6, `${a} → ${b}: middle ⟂ A (cos ${cos})`);
  }
  assert.match(PATH_NOTES.perpendicular, /opposite/);
});

test('latent size 1: any two ends of opposite sign give a finite linear path, and the page says so', () => {
  const { path, points } = strip([1.2], [-0.7]);
  assert.equal(path, 'linear');
  assert.deepEqual(points.map((p) => Number(p[0].toFixed(4))), Array.from({ length: 10 }, (_, s) => Number((1.2 + (s / 9) * (-0.7 - 1.2)).toFixed(4))));
  assert.match(PATH_NOTES.linear, /latent size of 1/);
});

test('an ordinary pair follows the great circle: the standard slerp, unchanged', () => {
  const a = [1, 0, 0];
  const b = [0, 2, 0];
  const { path, points } = strip(a, b);
  assert.equal(path, 'great circle');
  const t = 1 / 3;
  const theta = Math.PI / 2;
  const expected = [Math.sin((1 - t) * theta) / Math.sin(theta), (2 * Math.sin(t * theta)) / Math.sin(theta), 0];
  assert.ok(close(points[3], expected), `${points[3]} vs ${expected}`);
  assert.equal(strip([1, 1], [2, 2.000001]).path, 'straight');
});
