// The views of the whole latent space: the latent map, the manifold grid, samples from the prior
// and the interpolation strip. They follow the model being trained: the map with each held-out
// report, the decoded views whenever new weights arrive, at most as often as keeps the page
// responsive (a refresh costs a few milliseconds with the MLP, about ten times that with the convolutional decoder).

import { InterpolationStrip } from './interpolation.js';
import { LABEL_COLORS, LatentMap } from './latentmap.js';
import { ManifoldGrid } from './manifold.js';
import { PriorSamples } from './prior.js';

const $ = (id) => document.getElementById(id);

/** The decoded views take at most this share of the main thread while training. */
const MAIN_THREAD_SHARE = 0.1;
/** Labels whose first held-out digit are the interpolation's default ends. */
const DEFAULT_ENDS = [2, 7];

export class LatentViews {
  /**
   * @param {{viewer: () => object, drawing: () => Float32Array | null,
   *          showLatent: (z: Float32Array) => void, error: (message: string) => void}} page
   * @param {Uint8Array} labels the held-out digits' classes
   */
  constructor(page, labels) {
    this.page = page;
    this.labels = labels;
    this.means = null;
    this.latent = 0;
    /** The interpolation's ends: a held-out digit `{index}` or a drawing `{pixels}`. */
    this.ends = {
      A: { index: labels.indexOf(DEFAULT_ENDS[0]) },
      B: { index: labels.indexOf(DEFAULT_ENDS[1]) },
    };
    this.map = new LatentMap($('latent-map'), $('map-x'), $('map-y'), (index) => this.pick(index), () => this.refresh());
    this.manifold = new ManifoldGrid($('manifold'));
    this.prior = new PriorSamples($('prior-samples'));
    this.strip = new InterpolationStrip($('interpolation'), $('interpolation-mode'));
    this.lastRefresh = -Infinity;
    this.lastCost = 0;
    this.timer = null;

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
    $('map-legend').replaceChildren(
      ...LABEL_COLORS.map((color, label) => {
        const span = document.createElement('span');
        span.style.setProperty('--c', color);
        span.textContent = String(label);
        return span;
      }),
    );
  }

  /**
   * A held-out report: the means for the map (and for digits picked as ends). It may come before
   * the weights of a model with a new latent size; it is then shown when they arrive.
   */
  showReport(means, latent) {
    this.report = { means, latent };
    if (latent !== this.latent) return;
    this.means = Float32Array.from(means);
    this.map.show(this.means, this.labels);
    this.map.mark(this.markedDigits());
    this.drawStrip();
  }

  /** The model changed (new weights or a new latent size). */
  modelChanged(latent, { now = false } = {}) {
    if (latent !== this.latent) {
      this.latent = latent;
      this.map.setLatentSize(latent);
      this.means = null;
      this.map.show(new Float32Array(), this.labels);
      this.prior.resample(latent);
      if (this.report?.latent === latent) this.showReport(this.report.means, latent);
      now = true;
    }
    if (now) this.refresh();
    else this.schedule();
  }

  /** Redraws the decoded views soon, no more often than their cost allows. */
  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastRefresh + this.lastCost / MAIN_THREAD_SHARE - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, Math.max(wait, 250));
  }

  refresh() {
    const started = performance.now();
    this.drawManifold();
    this.drawPrior();
    this.drawStrip();
    this.lastRefresh = performance.now();
    this.lastCost = this.lastRefresh - started;
  }

  decode = (z) => this.page.viewer().decode(z);

  /** Runs a drawing call; a failure is reported once and leaves the last picture. */
  attempt(what, call) {
    try {
      call();
    } catch (e) {
      this.page.error(`${what} failed: ${e.message}`);
    }
  }

  drawManifold() {
    if (!this.latent) return;
    this.attempt('The manifold grid', () => this.manifold.draw(this.decode, this.map.axes(), this.latent));
  }

  drawPrior() {
    if (!this.latent) return;
    this.attempt('Sampling the prior', () => this.prior.draw(this.decode, this.latent));
  }

  drawStrip() {
    const [a, b] = [this.endPoint('A'), this.endPoint('B')];
    if (!a || !b) return;
    this.attempt('The interpolation', () => this.strip.draw(this.decode, a, b));
  }

  /** μ of an end: a held-out digit's from the last report, a drawing's through the encoder. */
  endPoint(end) {
    const chosen = this.ends[end];
    if (chosen.pixels) {
      const out = this.page.viewer().reconstruct(chosen.pixels);
      return out.slice(0, this.latent);
    }
    if (!this.means || chosen.index < 0) return null;
    return this.means.slice(chosen.index * this.latent, (chosen.index + 1) * this.latent);
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
    const describe = (chosen) => (chosen.pixels ? 'your drawing' : `held-out digit #${chosen.index} (a ${this.labels[chosen.index]})`);
    $('ends').textContent = `A: ${describe(this.ends.A)}; B: ${describe(this.ends.B)}.`;
    this.map.mark(this.markedDigits());
    this.drawStrip();
  }
}
