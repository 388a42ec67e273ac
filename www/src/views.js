// The views of the whole latent space: the latent map, the manifold grid, samples from the prior
// and the interpolation strip. They follow the model being trained: the map with each held-out
// report, the decoded views whenever new weights arrive, at most as often as keeps the page
// responsive (a refresh costs a few milliseconds with the MLP, about ten times that with the
// convolutional decoder). Their decodes run in slices, so that no task on the main thread runs
// long enough to delay a slider or a stroke, whatever the model.

import { InterpolationStrip } from './interpolation.js';
import { LABEL_COLORS, LatentMap, colorOf } from './latentmap.js';
import { ManifoldGrid, gridPoints } from './manifold.js';
import { PriorSamples } from './prior.js';
import { $ } from './dom.js';

/** The decoded views take at most this share of the main thread while training. */
const MAIN_THREAD_SHARE = 0.1;
/**
 * Longest a slice of decoding runs before the page gets the main thread back: well under the
 * 50 ms of a long task, with room for the input handler that waits behind it and for the
 * training worker taking the other core.
 */
export const SLICE_MS = 16;

const nextTask = () => (globalThis.scheduler?.yield ? scheduler.yield() : new Promise((resolve) => setTimeout(resolve)));

/**
 * Decodes `points` (`n × latent` values) in slices of at most about SLICE_MS each, each in a
 * task of its own (never in the caller's, which may be handling a report or drawing another
 * view). The first slice is one digit, whatever the model, and each next one at most twice the
 * last, sized from the last one's time: a new model, ten times slower to decode than the last,
 * never starts with a slice sized for the old one. Resolves to the decoded pixels and the
 * milliseconds spent decoding, or to null once `stale()` turns true (a new model or a newer
 * redraw took over).
 */
export async function decodeInSlices(decode, points, latent, stale) {
  const n = points.length / latent;
  const pixels = new Float32Array(n * 784);
  let busy = 0;
  let count = 1;
  for (let from = 0; from < n; ) {
    await nextTask();
    if (stale()) return null;
    count = Math.min(count, n - from);
    const started = performance.now();
    pixels.set(decode(points.subarray(from * latent, (from + count) * latent)), from * 784);
    const ms = performance.now() - started;
    busy += ms;
    from += count;
    count = Math.max(1, Math.min(2 * count, Math.floor((SLICE_MS * count) / Math.max(ms, 0.01))));
  }
  return { pixels, busy };
}
/** Labels whose first held-out digit are the interpolation's default ends. */
const DEFAULT_ENDS = [2, 7];

export class LatentViews {
  /**
   * @param {{viewer: () => object, drawing: () => Float32Array | null,
   *          showLatent: (z: Float32Array) => void, error: (message: string) => void}} page
   * @param {Uint8Array | null} labels the held-out images' classes, or null when the data has none
   */
  constructor(page, labels) {
    this.page = page;
    this.means = null;
    this.latent = 0;
    /** The interpolation's ends: a held-out digit `{index}` or a drawing `{pixels}`. */
    this.ends = {};
    this.map = new LatentMap($('latent-map'), $('map-x'), $('map-y'), (index) => this.pick(index), () => this.refresh(), $('map-cursor'));
    this.manifold = new ManifoldGrid($('manifold'));
    this.prior = new PriorSamples($('prior-samples'));
    this.strip = new InterpolationStrip($('interpolation'), $('interpolation-mode'));
    this.lastRefresh = -Infinity;
    /** Draws started, by view: a slice of an older draw of the same view stops. */
    this.draws = {};
    /** Views whose last draw failed, reported once. */
    this.failing = new Set();
    this.lastCost = 0;
    this.timer = null;
    /** Refreshes under way, and whether a scheduled one waits for them to end. */
    this.refreshing = 0;
    this.scheduleAfterRefresh = false;

    $('resample').addEventListener('click', () => {
      this.prior.resample();
      this.drawPrior();
    });
    $('interpolation-mode').addEventListener('change', () => this.drawStrip());
    for (const end of ['A', 'B']) {
      $(`${end.toLowerCase()}-from-drawing`).addEventListener('click', () => {
        const pixels = page.drawing();
        if (!pixels) {
          page.error('Draw a digit on the pad first, then make it an end of the interpolation.');
          return;
        }
        this.ends[end] = { pixels };
        this.showEnds();
      });
    }
    this.setLabels(labels);
  }

  /**
   * New data: the held-out images' labels (null when it has none) colour the map, and the
   * interpolation's ends go back to two of its held-out images.
   */
  setLabels(labels) {
    this.labels = labels;
    const first = (label, fallback) => {
      const index = labels ? labels.indexOf(label) : -1;
      return index >= 0 ? index : fallback;
    };
    this.ends = { A: { index: first(DEFAULT_ENDS[0], 0) }, B: { index: first(DEFAULT_ENDS[1], 1) } };
    const shown = labels ? [...new Set(labels)].sort((a, b) => a - b) : [];
    const legend = shown.slice(0, 20).map((label) => {
      const span = document.createElement('span');
      span.style.setProperty('--c', colorOf(label));
      span.textContent = String(label);
      return span;
    });
    const note = !labels ? 'No labels: every dot one colour.' : shown.length > LABEL_COLORS.length ? `${shown.length} labels; colours repeat every ${LABEL_COLORS.length}.` : '';
    $('map-legend').replaceChildren(...legend, ...(note ? [note] : []));
    this.map.show(new Float32Array(), labels);
  }

  /** How a held-out image is named: its index, and its label when the data has labels. */
  nameOf(index) {
    return `held-out image #${index}${this.labels ? ` (label ${this.labels[index]})` : ''}`;
  }

  /**
   * A held-out report: the means for the map (and for digits picked as ends). It may come before
   * the weights of a model with a new latent size; it is then shown when they arrive.
   */
  showReport(report, latent) {
    const { means, principalAxes } = report;
    // Means that are not all finite (a model gone NaN) would turn the map's principal axes, and
    // so the manifold grid, into NaN: the views keep to the prior's axes until a finite report.
    if (!means.every(Number.isFinite)) {
      this.forgetModel();
      return;
    }
    this.lastReport = { report, latent };
    if (latent !== this.latent) return;
    this.means = Float32Array.from(means);
    this.map.show(this.means, this.labels, { axes: principalAxes, marks: this.markedDigits() });
    this.drawStrip();
    // The manifold grid spans the map's axes, which this report's principal components moved.
    this.schedule();
  }

  /** The model changed (new weights or a new latent size). */
  modelChanged(latent, { now = false } = {}) {
    // Slices under way decode with the new model from now on; a new size ends them.
    if (latent !== this.latent) {
      this.latent = latent;
      this.map.setLatentSize(latent);
      this.means = null;
      this.map.show(new Float32Array(), this.labels);
      this.prior.resample(latent);
      if (this.lastReport?.latent === latent) this.showReport(this.lastReport.report, latent);
      now = true;
    }
    if (now) this.refresh();
    else this.schedule();
  }

  /**
   * Redraws the decoded views soon, no more often than their cost allows, and never over a
   * refresh still decoding: new weights arrive every few seconds while training, and a refresh
   * that each next one cut short would leave the views unchanged for as long as training runs.
   */
  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastRefresh + this.lastCost / MAIN_THREAD_SHARE - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.refreshing > 0) this.scheduleAfterRefresh = true;
      else this.refresh();
    }, Math.max(wait, 250));
  }

  /** Redraws the decoded views now: what a person asked for takes over any refresh under way. */
  async refresh() {
    this.refreshing++;
    let costs;
    try {
      costs = await Promise.all([this.drawManifold(), this.drawPrior(), this.drawStrip()]);
    } finally {
      this.refreshing--;
    }
    this.lastRefresh = performance.now();
    this.lastCost = costs.reduce((sum, ms) => sum + (ms ?? 0), 0);
    if (this.scheduleAfterRefresh && this.refreshing === 0) {
      this.scheduleAfterRefresh = false;
      this.schedule();
    }
  }

  decode = (z) => this.page.viewer().decode(z);

  /**
   * Decodes `points` in slices for the view `what`, then paints them with `paint`; a failure is
   * reported as `attempt` does. A newer draw of the same view, or a new latent size, ends it.
   * Resolves to the milliseconds spent decoding.
   */
  async decodeView(what, points, paint) {
    const latent = this.latent;
    const draw = (this.draws[what] = (this.draws[what] ?? 0) + 1);
    const stale = () => draw !== this.draws[what] || latent !== this.latent;
    let result = null;
    await this.attempt(what, async () => {
      result = await decodeInSlices(this.decode, points, latent, stale);
      if (result) paint(result.pixels);
    });
    return result?.busy;
  }

  /**
   * Runs a drawing call; a failure leaves the last picture and is reported once, not again on
   * every redraw until that view has drawn successfully.
   */
  async attempt(what, call) {
    try {
      await call();
      this.failing.delete(what);
    } catch (e) {
      if (!this.failing.has(what)) this.page.error(`${what} failed: ${e.message}`);
      this.failing.add(what);
    }
  }

  /**
   * Another model took over (an import, fresh weights, a recovery): the means of the last one
   * no longer describe it, so the map and the held-out ends wait for the new model's first
   * report, and the decoded views redraw from it at once.
   */
  forgetModel() {
    this.lastReport = null;
    this.means = null;
    this.failing.clear();
    // The old model's principal axes say nothing of the new one: the prior's axes until its report.
    this.map.show(new Float32Array(), this.labels);
  }

  drawManifold() {
    if (!this.latent) return undefined;
    const points = gridPoints(this.map.axes(), this.latent);
    return this.decodeView('The manifold grid', points, (pixels) => this.manifold.paint(pixels));
  }

  drawPrior() {
    if (!this.latent) return undefined;
    return this.decodeView('Sampling the prior', this.prior.points(this.latent), (pixels) => this.prior.paint(pixels));
  }

  async drawStrip() {
    let ends;
    await this.attempt('The interpolation', () => {
      ends = [this.endPoint('A'), this.endPoint('B')];
    });
    const [a, b] = ends ?? [];
    if (!a || !b) return undefined;
    const { points, note } = this.strip.path(a, b);
    return this.decodeView('The interpolation', points, (pixels) => {
      this.strip.paint(pixels);
      $('interpolation-path').textContent = note;
    });
  }

  /** μ of an end: a held-out digit's from the last report, a drawing's through the encoder. */
  endPoint(end) {
    const chosen = this.ends[end];
    if (chosen.pixels) {
      return this.page.viewer().reconstruct(chosen.pixels).mean;
    }
    if (!this.means || chosen.index < 0) return null;
    const mean = this.means.slice(chosen.index * this.latent, (chosen.index + 1) * this.latent);
    return mean.every(Number.isFinite) ? mean : null;
  }

  /** A click on the map: the digit's μ goes to the sliders and becomes the chosen end. */
  pick(index) {
    const target = $('pick-target');
    const end = target.value;
    this.ends[end] = { index };
    // The next click sets the other end.
    target.value = end === 'A' ? 'B' : 'A';
    this.page.showLatent(this.means.slice(index * this.latent, (index + 1) * this.latent));
    this.showEnds();
  }

  markedDigits() {
    const marks = {};
    for (const [end, chosen] of Object.entries(this.ends)) if (chosen.index != null) marks[end] = chosen.index;
    return marks;
  }

  showEnds() {
    const describe = (chosen) => (chosen.pixels ? 'your drawing' : this.nameOf(chosen.index));
    $('ends').textContent = `A: ${describe(this.ends.A)}; B: ${describe(this.ends.B)}.`;
    this.map.mark(this.markedDigits());
    this.drawStrip();
  }
}
