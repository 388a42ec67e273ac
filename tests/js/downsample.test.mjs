// The plots' bounded series: halving keeps the curve's shape, its ends and its order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_POINTS, halve } from '../../www/src/downsample.js';

test('halving averages neighbours and keeps an odd last point', () => {
  const points = [0, 1, 2, 3, 4].map((i) => ({ epoch: i, negativeElbo: 10 * i, reconstruction: i, kl: 1 }));
  assert.deepEqual(halve(points), [
    { epoch: 0.5, negativeElbo: 5, reconstruction: 0.5, kl: 1 },
    { epoch: 2.5, negativeElbo: 25, reconstruction: 2.5, kl: 1 },
    { epoch: 4, negativeElbo: 40, reconstruction: 4, kl: 1 },
  ]);
});

test('gap points keep their k and digits from the later point', () => {
  const a = { epoch: 1, k: 16, digits: 100, negativeElbo: 100, negativeIwBound: 96, gap: 4 };
  const b = { epoch: 2, k: 64, digits: 100, negativeElbo: 98, negativeIwBound: 95, gap: 3 };
  assert.deepEqual(halve([a, b]), [{ epoch: 1.5, k: 64, digits: 100, negativeElbo: 99, negativeIwBound: 95.5, gap: 3.5 }]);
});

test('a long run stays within the limit', () => {
  let series = [];
  for (let i = 0; i < 10 * MAX_POINTS; i++) {
    series.push({ epoch: i, negativeElbo: 500 / (1 + i), reconstruction: 0, kl: 0 });
    if (series.length > MAX_POINTS) series = halve(series);
  }
  assert.ok(series.length <= MAX_POINTS && series.length > MAX_POINTS / 2, `${series.length}`);
  assert.ok(series.every((p, i) => i === 0 || p.epoch > series[i - 1].epoch), 'still in order');
  assert.equal(series.at(-1).epoch, 10 * MAX_POINTS - 1, 'the newest point is there');
});
