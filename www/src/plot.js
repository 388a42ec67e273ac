// The live ELBO plot: −ELBO, reconstruction and KL in nats per image against epochs, for the
// training batches (solid) and the held-out digits (dashed, with points). uPlot draws it; the
// y axis is asinh-scaled: logarithmic beyond ±1 nat, so the ~540-nat start and a ~20-nat KL stay
// readable together, and still defined below 0, where the figures of a density (the continuous
// Bernoulli's, the Gaussians') go.

import 'uplot/dist/uPlot.min.css';
import { EpochChart } from './chart.js';

const TERMS = [
  { key: 'negativeElbo', name: '−ELBO', color: '#1d2330' },
  { key: 'reconstruction', name: 'reconstruction', color: '#2f5bd3' },
  { key: 'kl', name: 'KL', color: '#d9822b' },
];
const SPLITS = [
  { key: 'train', name: 'train', dash: undefined, points: false },
  { key: 'heldout', name: 'held out', dash: [6, 4], points: true },
];
const SERIES = SPLITS.flatMap((split) => TERMS.map((term) => ({ split: split.key, term: term.key })));

/** A training run's progress in epochs, fractional: the plots' x axis. */
export const epochOf = (progress) => progress.epoch + progress.epochFraction;

export class ElboPlot extends EpochChart {
  /** @param {HTMLElement} container */
  constructor(container) {
    const options = {
      scales: { x: { time: false }, y: { distr: 4, asinh: 1 } },
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
    };
    // A point of one split leaves a gap in the other split's series.
    const row = (split, point) => [point.epoch, ...SERIES.map((s) => (s.split === split ? point[s.term] : null))];
    super(container, 300, options, SPLITS.map((split) => split.key), row);
  }

  /** @type {{train: object[], heldout: object[]}} every plotted point, by split */
  get history() {
    return this.points;
  }

  /** Replaces the plot with saved points (an autosave). */
  restore(history) {
    this.restorePoints(history);
  }

  /** The points up to `epoch`: what an autosave of the weights at that epoch goes with. */
  historyUntil(epoch) {
    return this.pointsUntil(epoch);
  }

  /**
   * Adds one point of one split; the other split's series get a gap there.
   * @param {'train' | 'heldout'} split
   * @param {number} epoch
   * @param {{negativeElbo: number, reconstruction: number, kl: number}} figures
   */
  add(split, epoch, { negativeElbo, reconstruction, kl }) {
    this.addPoint(split, { epoch, negativeElbo, reconstruction, kl });
  }
}

/**
 * The gap: −ELBO and the importance-weighted bound −IW-k on the same held-out digits and
 * samples, against epochs (both upper bounds: on −log p(x), or on the expected −log p of a
 * randomly binarised digit, as the note under the plots says for the run's settings). The distance between the two lines is how much of the
 * ELBO's shortfall k samples recover: a lower bound on E[KL(q(z|x) ‖ p(z|x))].
 */
export class GapPlot extends EpochChart {
  /** @param {HTMLElement} container */
  constructor(container) {
    const options = {
      scales: { x: { time: false } },
      axes: [{ label: 'epochs' }, { label: 'nats per image', size: 60 }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: 'epoch' },
        { label: '−ELBO (same digits)', stroke: '#1d2330', width: 2, points: { show: true, size: 5 } },
        { label: '−IW-k (a tighter upper bound)', stroke: '#8a3ffc', width: 2, points: { show: true, size: 5 } },
      ],
    };
    super(container, 200, options, ['gap'], (list, p) => [p.epoch, p.negativeElbo, p.negativeIwBound]);
  }

  /** @type {object[]} every estimate, for the autosave */
  get history() {
    return this.points.gap;
  }

  /** @param {object[]} history saved points */
  restore(history = []) {
    // Autosaves from before the field was named for what it is (an upper bound, −IW-k) call it
    // negativeLogLikelihood.
    const renamed = history.map(({ negativeLogLikelihood, ...p }) => ({ negativeIwBound: negativeLogLikelihood, ...p }));
    this.restorePoints({ gap: renamed });
  }

  historyUntil(epoch) {
    return this.pointsUntil(epoch).gap;
  }

  /**
   * @param {number} epoch
   * @param {{k: number, digits: number, negativeElbo: number, negativeIwBound: number,
   *          gap: number}} report
   */
  add(epoch, report) {
    this.addPoint('gap', { epoch, ...report });
  }
}
