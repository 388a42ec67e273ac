// Turns a drawing into what the encoder was trained on, the way MNIST was made (LeCun et al.):
// scale the ink's bounding box to fit a 20×20 box keeping its aspect ratio, with area averaging
// (which leaves the soft grey edges MNIST strokes have), placed in a 28×28 field so that its
// centre of mass sits at the centre.

export const SIDE = 28;
const BOX = 20;
const INK_THRESHOLD = 0.05;

/**
 * @param {Float32Array} ink width × height ink levels in [0, 1], row-major
 * @param {number} width
 * @param {number} height
 * @returns {Float32Array | null} 784 grey levels, or null when there is no ink
 */
export function preprocess(ink, width, height) {
  let top = height, bottom = -1, left = width, right = -1;
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = ink[y * width + x];
      if (v > INK_THRESHOLD) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  if (bottom < 0) return null;
  // Output pixel t covers source [origin + t / scale, origin + (t + 1) / scale): the longer
  // side of the box becomes 20 pixels, and the centre of mass lands on (14, 14). The placement
  // is not rounded to whole pixels, so partly covered pixels get grey levels, as in MNIST.
  const scale = BOX / Math.max(right - left + 1, bottom - top + 1);
  const originX = mx / mass - SIDE / 2 / scale;
  const originY = my / mass - SIDE / 2 / scale;
  const out = new Float32Array(SIDE * SIDE);
  for (let ty = 0; ty < SIDE; ty++) {
    const y0 = originY + ty / scale, y1 = originY + (ty + 1) / scale;
    for (let tx = 0; tx < SIDE; tx++) {
      const x0 = originX + tx / scale, x1 = originX + (tx + 1) / scale;
      out[ty * SIDE + tx] = Math.min(1, areaMean(ink, width, height, x0, y0, x1, y1));
    }
  }
  return out;
}

/** Mean ink over the source rectangle [x0, x1) × [y0, y1), counting outside the pad as blank. */
function areaMean(ink, width, height, x0, y0, x1, y1) {
  let sum = 0;
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(height, Math.ceil(y1)); y++) {
    const wy = Math.min(y + 1, y1) - Math.max(y, y0);
    for (let x = Math.max(0, Math.floor(x0)); x < Math.min(width, Math.ceil(x1)); x++) {
      const v = ink[y * width + x];
      if (v > 0) sum += v * wy * (Math.min(x + 1, x1) - Math.max(x, x0));
    }
  }
  return sum / ((x1 - x0) * (y1 - y0));
}
