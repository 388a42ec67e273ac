// The model on screen: a CPU viewer of the weights being trained, on the main thread, and what
// uses it at once, the latent sliders with their decoded digit and the drawing pad with its
// reconstruction. New weights replace the viewer; the sliders and the drawing follow them.

import { DrawingPad } from './canvas.js';
import { $, attempt } from './dom.js';
import { clearDigit, paintDigit } from './digit.js';
import { LatentSliders, samplePrior } from './sliders.js';

export class ModelView {
  /** @param {import('../../pkg/latent_lab.js').Viewer} viewer the model the page opens with */
  constructor(viewer) {
    this.viewer = viewer;
    /** The person's drawing, preprocessed like MNIST, or null while the pad is empty. */
    this.drawing = null;
    this.decoded = $('decoded');
    this.reconstruction = $('reconstruction');
    this.preprocessed = $('preprocessed');
    this.sliders = new LatentSliders($('sliders'), (z) => this.decode(z));
    this.sliders.setSize(viewer.latentSize);
    this.sliders.redraw();
    performance.mark('latent-lab:first-digit');

    $('sample-prior').addEventListener('click', () => this.sliders.set(samplePrior(this.latentSize)));
    $('zero-latent').addEventListener('click', () => this.sliders.set(new Float32Array(this.latentSize)));
    clearDigit(this.reconstruction);
    clearDigit(this.preprocessed);
    this.pad = new DrawingPad($('pad'), (pixels) => this.setDrawing(pixels));
    $('clear').addEventListener('click', () => this.pad.clear());
  }

  get latentSize() {
    return this.viewer.latentSize;
  }

  /** Paints the digit that `z` decodes to under the sliders. */
  decode(z) {
    const pixels = attempt('Decoding', () => this.viewer.decode(z));
    if (pixels) paintDigit(this.decoded, pixels);
  }

  /** Moves the sliders to `z`, and so the decoded digit. */
  showLatent(z) {
    this.sliders.set(z);
  }

  /** A new drawing (null once cleared): reconstructed at once, and the sliders move to its μ. */
  setDrawing(pixels) {
    this.drawing = pixels;
    this.showDrawing(true);
  }

  /** Reconstructs the drawing; a new drawing also moves the sliders to its μ. */
  showDrawing(moveSliders) {
    if (!this.drawing) {
      clearDigit(this.reconstruction);
      clearDigit(this.preprocessed);
      return;
    }
    paintDigit(this.preprocessed, this.drawing);
    const out = attempt('Reconstruction', () => this.viewer.reconstruct(this.drawing));
    if (!out) return;
    paintDigit(this.reconstruction, out.pixels);
    // The sliders (and their own decode) follow a frame later: the reconstruction, which is
    // what the stroke asked for, is painted before the handler returns (BENCHMARKS.md).
    if (moveSliders) requestAnimationFrame(() => this.sliders.set(out.mean));
  }

  /**
   * Shows another model's viewer in place of this one, which is freed. The digits on screen
   * follow it; the sliders stay where the person put them (at 0 when the latent size changed).
   */
  replaceViewer(next) {
    this.viewer.free();
    this.viewer = next;
    this.sliders.setSize(next.latentSize);
    this.showDrawing(false);
    this.sliders.redraw();
  }
}
