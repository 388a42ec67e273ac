// Active units: for each latent dimension, the variance over the held-out digits of its
// posterior mean E_q[zᵢ], on a log scale, against the 0.01 threshold. A dimension below the line
// is inactive: its mean is nearly the same for every digit. The criterion looks at the means only;
// whether the posterior there is also the prior (collapse) is what its KL says.

import uPlot from 'uplot';
import { Chart } from './chart.js';
import { publishActiveUnits } from './test-hooks.js';

/** Burda et al.'s threshold, as in src/evaluation.rs. */
export const ACTIVE_UNIT_THRESHOLD = 0.01;
/** Variances are drawn no lower than this, so a unit whose mean never moves still shows a stub. */
const FLOOR = 1e-4;

export class ActiveUnits extends Chart {
  /** @param {HTMLElement} container @param {HTMLElement} summary */
  constructor(container, summary) {
    super(container, 150, {
      scales: { x: { time: false }, y: { distr: 3, range: (u, min, max) => [FLOOR, Math.max(10, max)] } },
      axes: [
        { label: 'latent dimension', values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) ? `z${t}` : '')) },
        { label: 'Var[μᵢ]', size: 55, values: (u, ticks) => ticks.map((t) => (t == null ? '' : t >= 1 ? String(t) : t.toExponential(0))) },
      ],
      legend: { show: false },
      cursor: { show: false },
      series: [
        {},
        { label: 'active', fill: '#2f5bd3', stroke: '#2f5bd3', paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } },
        { label: 'inactive', fill: '#c8ccd6', stroke: '#9aa1b1', paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } },
        { label: 'threshold 0.01', stroke: '#d9822b', dash: [5, 4], width: 1.5, points: { show: false } },
      ],
    });
    this.summary = summary;
  }

  /** @param {number[]} variances one per latent dimension */
  show(variances) {
    const dims = variances.map((_, i) => i + 1);
    const shown = variances.map((v) => Math.max(FLOOR, v));
    const active = variances.filter((v) => v > ACTIVE_UNIT_THRESHOLD).length;
    this.set([
      dims,
      shown.map((v, i) => (variances[i] > ACTIVE_UNIT_THRESHOLD ? v : null)),
      shown.map((v, i) => (variances[i] > ACTIVE_UNIT_THRESHOLD ? null : v)),
      dims.map(() => ACTIVE_UNIT_THRESHOLD),
    ]);
    this.summary.textContent = `${active} of ${variances.length} units active`;
    publishActiveUnits(this.container, active);
  }

  clear() {
    super.clear();
    this.summary.textContent = '';
  }
}
