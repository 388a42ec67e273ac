// Held-out images beside their reconstructions, refreshed with each held-out report: in three
// rows, the image as scored, the decoder's mean at z = μ, and at one z drawn from q(z|x). A click
// on a column moves the sliders to that image's μ.

import { paintGrid } from './digit.js';
import { publishReconstructions } from './test-hooks.js';

const PIXELS = 784;

export class ReconstructionStrip {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(z: Float32Array) => void} showLatent moves the sliders
   */
  constructor(canvas, showLatent) {
    this.canvas = canvas;
    this.report = null;
    this.latent = 0;
    canvas.addEventListener('click', (e) => {
      const column = this.columnAt(e);
      if (column >= 0) showLatent(this.report.means.slice(column * this.latent, (column + 1) * this.latent));
    });
    this.clear();
  }

  /**
   * A held-out report's reconstructions (`{count, inputs, atMean, atSample}`, Float32Arrays)
   * and the means, `latent` values each, whose first rows are theirs.
   */
  show(report, latent) {
    const { count, inputs, atMean, atSample } = report.reconstructions;
    this.report = { count, means: report.means };
    this.latent = latent;
    const values = new Float32Array(3 * count * PIXELS);
    values.set(inputs.subarray(0, count * PIXELS), 0);
    values.set(atMean.subarray(0, count * PIXELS), count * PIXELS);
    values.set(atSample.subarray(0, count * PIXELS), 2 * count * PIXELS);
    paintGrid(this.canvas, values, count);
    // About the size of the page's other small digits, however few the held-out images.
    this.canvas.style.maxWidth = `${count * 48}px`;
    publishReconstructions(this.canvas, count);
  }

  /** A new model or new data: nothing to show until its first report. */
  clear() {
    this.report = null;
    const ctx = this.canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    publishReconstructions(this.canvas, 0);
  }

  /** The column under a click, or −1. */
  columnAt(event) {
    if (!this.report) return -1;
    const rect = this.canvas.getBoundingClientRect();
    const column = Math.floor(((event.clientX - rect.left) / rect.width) * this.report.count);
    return column >= 0 && column < this.report.count ? column : -1;
  }
}
