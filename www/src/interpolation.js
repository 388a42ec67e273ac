// Interpolation between two latent points A and B, decoded as a strip. Linear interpolation
// cuts through the middle of the Gaussian, where a 20-dimensional z almost never lies (|z| is
// near √d); spherical interpolation keeps to the shell where the prior's mass is.

import { paintGrid } from './digit.js';

/** Images in the strip, A and B included. */
export const STEPS = 10;

const norm = (v) => Math.hypot(...v);
/** Beyond this angle the two ends are too close to opposite for one great circle through them. */
const OPPOSITE = Math.PI - 1e-3;

/**
 * How a spherical path from `a` to `b` goes. The great circle through two points is the straight
 * line when they are nearly parallel, and is not one circle but any of a whole family when they
 * are opposite (θ = π): the usual formula then divides by sin θ ≈ 0 and blows up (z ≈ 10¹⁵). It
 * then goes through a fixed perpendicular direction instead, in two quarter turns. A latent size
 * of 1, or an end at 0, has no sphere to follow: linear.
 * @returns {'great circle' | 'straight' | 'perpendicular' | 'linear'}
 */
export function sphericalPath(a, b) {
  const [na, nb] = [norm(a), norm(b)];
  if (a.length < 2 || na === 0 || nb === 0) return 'linear';
  const cos = a.reduce((s, v, i) => s + v * b[i], 0) / (na * nb);
  const theta = Math.acos(Math.max(-1, Math.min(1, cos)));
  if (theta <= 1e-3) return 'straight';
  return theta >= OPPOSITE ? 'perpendicular' : 'great circle';
}

/** The standard slerp of two points whose angle is well away from 0 and π. */
function greatCircle(a, b, t) {
  const cos = a.reduce((s, v, i) => s + v * b[i], 0) / (norm(a) * norm(b));
  const theta = Math.acos(Math.max(-1, Math.min(1, cos)));
  const [wa, wb] = [Math.sin((1 - t) * theta) / Math.sin(theta), Math.sin(t * theta) / Math.sin(theta)];
  return a.map((v, i) => wa * v + wb * b[i]);
}

/** A unit vector perpendicular to `a`: the axis `a` leans on least, minus its part along `a`. */
function perpendicular(a) {
  const u = a.map((v) => v / norm(a));
  let k = 0;
  for (let i = 1; i < u.length; i++) if (Math.abs(u[i]) < Math.abs(u[k])) k = i;
  const p = u.map((v, i) => (i === k ? 1 : 0) - u[k] * v);
  return p.map((v) => v / norm(p));
}

/**
 * Point `t` ∈ [0, 1] of the way from `a` to `b`: linearly, or along `path` (from
 * `sphericalPath`). Always finite for finite ends.
 */
export function interpolate(a, b, t, path = 'linear') {
  let out;
  if (path === 'great circle') {
    out = greatCircle(a, b, t);
  } else if (path === 'perpendicular') {
    const middle = perpendicular(a).map((v) => (v * (norm(a) + norm(b))) / 2);
    out = t <= 0.5 ? greatCircle(a, middle, 2 * t) : greatCircle(middle, b, 2 * t - 1);
  } else {
    out = a.map((v, i) => (1 - t) * v + t * b[i]);
  }
  return Float32Array.from(out);
}

/** What the page says of a spherical path that is not the usual great circle. */
export const PATH_NOTES = {
  'great circle': '',
  straight: 'A and B point the same way: the great circle between them is a straight line.',
  perpendicular: 'A and B point in opposite directions, where no single great circle joins them: the path turns through a perpendicular direction.',
  linear: 'With a latent size of 1, or an end at z = 0, there is no sphere to follow: the path is linear.',
};

export class InterpolationStrip {
  /** @param {HTMLCanvasElement} canvas @param {HTMLSelectElement} mode */
  constructor(canvas, mode) {
    this.canvas = canvas;
    this.mode = mode;
  }

  /**
   * The strip's latent points from `a` to `b`, and what to say of the path ('' for the usual one).
   * @param {Float32Array} a @param {Float32Array} b
   */
  path(a, b) {
    const latent = a.length;
    const spherical = this.mode.value === 'spherical';
    const path = spherical ? sphericalPath(a, b) : 'linear';
    const points = new Float32Array(STEPS * latent);
    for (let s = 0; s < STEPS; s++) points.set(interpolate(a, b, s / (STEPS - 1), path), s * latent);
    return { points, note: spherical ? PATH_NOTES[path] : '' };
  }

  /** @param {Float32Array} pixels the decoded points of `path` */
  paint(pixels) {
    paintGrid(this.canvas, pixels, STEPS);
  }
}
