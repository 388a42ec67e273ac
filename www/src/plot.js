// The live ELBO plot: −ELBO, reconstruction and KL in nats per image against epochs, for the
// training batches (solid) and the held-out digits (dashed, with points). uPlot draws it; the
// y axis is logarithmic so the ~540-nat start and a ~20-nat KL stay readable together.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { MAX_POINTS, halve } from './downsample.js';

const TERMS = [
  { key: 'negativeElbo', name: '−ELBO', color: '#1d2330' },
  { key: 'reconstruction', name: 'reconstruction', color: '#2f5bd3' },
  { key: 'kl', name: 'KL', color: '#d9822b' },
];
const SPLITS = [
  { key: 'train', name: 'train', dash: undefined, points: false },
  { key: 'heldout', name: 'held out', dash: [6, 4], points: true },
];

export class ElboPlot {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    this.series = SPLITS.flatMap((split) => TERMS.map((term) => ({ split: split.key, term: term.key })));
    this.clear();
    this.plot = new uPlot(
      {
        width: this.width(),
        height: 300,
        scales: { x: { time: false }, y: { distr: 3 } },
        axes: [{ label: 'epochs' }, { label: 'nats per image', size: 60 }],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [
          { label: 'epoch' },
          ...SPLITS.flatMap((split) =>
            TERMS.map((term) => ({
              label: `${split.name} ${term.name}`,
              stroke: term.color,
              width: split.points ? 1.5 : 2,
              dash: split.dash,
              spanGaps: true,
              points: { show: split.points, size: 5 },
              value: (u, v) => (v == null ? '–' : v.toFixed(1)),
            })),
          ),
        ],
      },
      this.data,
      container,
    );
    new ResizeObserver(() => this.plot.setSize({ width: this.width(), height: 300 })).observe(container);
  }

  width() {
    return Math.max(200, this.container.clientWidth);
  }

  clear() {
    /** @type {{train: object[], heldout: object[]}} every plotted point, by split */
    this.history = { train: [], heldout: [] };
    this.data = [[], ...this.series.map(() => [])];
    this.plot?.setData(this.data);
  }

  /** Replaces the plot with saved points (an autosave). */
  restore(history) {
    this.clear();
    const points = [
      ...history.train.map((p) => ['train', p]),
      ...history.heldout.map((p) => ['heldout', p]),
    ].sort((a, b) => a[1].epoch - b[1].epoch);
    for (const [split, point] of points) this.add(split, point.epoch, point);
  }

  /** The points up to `epoch`: what an autosave of the weights at that epoch goes with. */
  historyUntil(epoch) {
    const upTo = (points) => points.filter((p) => p.epoch <= epoch);
    return { train: upTo(this.history.train), heldout: upTo(this.history.heldout) };
  }

  /** Drops the points after `epoch`: the model went back there (a divergence, a lost device). */
  truncate(epoch) {
    this.restore(this.historyUntil(epoch));
  }

  /**
   * Adds one point of one split; the other split's series get a gap there.
   * @param {'train' | 'heldout'} split
   * @param {number} epoch
   * @param {{negativeElbo: number, reconstruction: number, kl: number}} figures
   */
  add(split, epoch, { negativeElbo, reconstruction, kl }) {
    const point = { epoch, negativeElbo, reconstruction, kl };
    this.history[split].push(point);
    if (this.history[split].length > MAX_POINTS) {
      this.restore({ ...this.history, [split]: halve(this.history[split]) });
      return;
    }
    this.data[0].push(epoch);
    this.series.forEach((s, i) => this.data[i + 1].push(s.split === split ? point[s.term] : null));
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame(() => {
        this.scheduled = false;
        this.plot.setData(this.data);
      });
    }
  }
}

/**
 * The gap: −ELBO and the importance-weighted bound −IW-k ≥ −log p(x) on the same held-out
 * digits and samples, against epochs. The distance between the two lines is how much of the
 * ELBO's shortfall k samples recover: a lower bound on E[KL(q(z|x) ‖ p(z|x))].
 */
export class GapPlot {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    this.clear();
    this.plot = new uPlot(
      {
        width: this.width(),
        height: 200,
        scales: { x: { time: false } },
        axes: [{ label: 'epochs' }, { label: 'nats per image', size: 60 }],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [
          { label: 'epoch' },
          { label: '−ELBO (same digits)', stroke: '#1d2330', width: 2, points: { show: true, size: 5 } },
          { label: '−IW-k ≥ −log p(x)', stroke: '#8a3ffc', width: 2, points: { show: true, size: 5 } },
        ],
      },
      this.data,
      container,
    );
    new ResizeObserver(() => this.plot.setSize({ width: this.width(), height: 200 })).observe(container);
  }

  width() {
    return Math.max(200, this.container.clientWidth);
  }

  clear() {
    /** @type {object[]} every estimate, for the autosave */
    this.history = [];
    this.data = [[], [], []];
    this.plot?.setData(this.data);
  }

  /** @param {object[]} history saved points */
  restore(history = []) {
    this.clear();
    for (const point of history) this.add(point.epoch, point);
  }

  historyUntil(epoch) {
    return this.history.filter((p) => p.epoch <= epoch);
  }

  truncate(epoch) {
    this.restore(this.historyUntil(epoch));
  }

  /**
   * @param {number} epoch
   * @param {{k: number, digits: number, negativeElbo: number, negativeLogLikelihood: number,
   *          gap: number}} report
   */
  add(epoch, report) {
    this.history.push({ epoch, ...report });
    if (this.history.length > MAX_POINTS) {
      this.restore(halve(this.history));
      return;
    }
    this.data[0].push(epoch);
    this.data[1].push(report.negativeElbo);
    this.data[2].push(report.negativeLogLikelihood);
    this.plot.setData(this.data);
  }
}
