// The manifold grid (Kingma & Welling 2014, figure 4): decodings of a regular grid over two
// directions of z, the other coordinates at the prior's mean 0. The grid's coordinates are
// Φ⁻¹ of evenly spaced probabilities, so each cell covers the same prior mass.

import { paintGrid } from './digit.js';

/** Cells per side. */
export const GRID_SIDE = 12;

/** Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p) {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * The latent points of the grid, row-major from the top-left, `GRID_SIDE² × latent` values.
 * @param {Float32Array[]} axes the two directions (x to the right, y up)
 */
export function gridPoints(axes, latent, side = GRID_SIDE) {
  const values = Array.from({ length: side }, (_, i) => normalQuantile((i + 0.5) / side));
  const points = new Float32Array(side * side * latent);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const [x, y] = [values[col], values[side - 1 - row]];
      const at = (row * side + col) * latent;
      for (let j = 0; j < latent; j++) points[at + j] = x * axes[0][j] + y * axes[1][j];
    }
  }
  return points;
}

export class ManifoldGrid {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
  }

  /** @param {Float32Array} pixels the decoded `gridPoints`, in their order */
  paint(pixels) {
    paintGrid(this.canvas, pixels, GRID_SIDE);
  }
}
