// Samples from the model: z ~ N(0, I) decoded to the decoder's mean image. The same z are kept
// until the person asks for new ones, so during training each cell shows one z's digit forming.

import { paintGrid } from './digit.js';
import { samplePrior } from './sliders.js';

const COLUMNS = 8;
const COUNT = 32;

export class PriorSamples {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.latent = 0;
    this.z = new Float32Array();
  }

  /** New draws from the prior. */
  resample(latent = this.latent) {
    this.latent = latent;
    this.z = samplePrior(COUNT * latent);
  }

  /** The latent points to decode: the kept draws, new ones for a new latent size. */
  points(latent) {
    if (latent !== this.latent) this.resample(latent);
    return this.z;
  }

  /** @param {Float32Array} pixels the decoded `points()` */
  paint(pixels) {
    paintGrid(this.canvas, pixels, COLUMNS);
  }
}
