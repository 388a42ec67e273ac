// Interpolation between two latent points A and B, decoded as a strip. Linear interpolation
// cuts through the middle of the Gaussian, where a 20-dimensional z almost never lies (|z| is
// near √d); spherical interpolation keeps to the shell where the prior's mass is.

import { paintGrid } from './digit.js';

/** Images in the strip, A and B included. */
export const STEPS = 10;

/** Point `t` ∈ [0, 1] of the way from `a` to `b`, linearly or along the great circle. */
export function interpolate(a, b, t, spherical) {
  const out = new Float32Array(a.length);
  let weights = [1 - t, t];
  if (spherical) {
    const norm = (v) => Math.hypot(...v);
    const cos = a.reduce((s, v, i) => s + v * b[i], 0) / (norm(a) * norm(b) || 1);
    const theta = Math.acos(Math.max(-1, Math.min(1, cos)));
    // Nearly parallel: the great circle is the straight line.
    if (theta > 1e-3) weights = [Math.sin((1 - t) * theta) / Math.sin(theta), Math.sin(t * theta) / Math.sin(theta)];
  }
  for (let i = 0; i < a.length; i++) out[i] = weights[0] * a[i] + weights[1] * b[i];
  return out;
}

export class InterpolationStrip {
  /** @param {HTMLCanvasElement} canvas @param {HTMLSelectElement} mode */
  constructor(canvas, mode) {
    this.canvas = canvas;
    this.mode = mode;
  }

  /** @param {(z: Float32Array) => Float32Array} decode @param {Float32Array} a @param {Float32Array} b */
  draw(decode, a, b) {
    const latent = a.length;
    const points = new Float32Array(STEPS * latent);
    for (let s = 0; s < STEPS; s++) {
      points.set(interpolate(a, b, s / (STEPS - 1), this.mode.value === 'spherical'), s * latent);
    }
    paintGrid(this.canvas, decode(points), STEPS);
  }
}
