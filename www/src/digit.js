// Paints 28×28 grey levels onto a canvas of the same size; CSS scales it up with
// `image-rendering: pixelated`, so every pixel of the model's output stays a crisp square.

const SIDE = 28;

/**
 * @param {HTMLCanvasElement} canvas a 28×28 canvas
 * @param {ArrayLike<number>} values 784 ink levels in [0, 1], row-major
 */
export function paintDigit(canvas, values) {
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const shade = 255 - Math.round(255 * Math.min(1, Math.max(0, values[i])));
    image.data[4 * i] = shade;
    image.data[4 * i + 1] = shade;
    image.data[4 * i + 2] = shade;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** @param {HTMLCanvasElement} canvas */
export function clearDigit(canvas) {
  paintDigit(canvas, new Float32Array(SIDE * SIDE));
}

/**
 * Paints `count` digits side by side, `columns` to a row, with a one-pixel light line between
 * them; the canvas is resized to fit.
 * @param {HTMLCanvasElement} canvas
 * @param {ArrayLike<number>} values `count × 784` ink levels in [0, 1], digit after digit
 * @param {number} columns
 */
export function paintGrid(canvas, values, columns) {
  const count = Math.floor(values.length / (SIDE * SIDE));
  const rows = Math.ceil(count / columns);
  const cell = SIDE + 1;
  const width = columns * cell - 1;
  const height = rows * cell - 1;
  if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  // Flat loops without per-pixel allocations: a 12 × 12 grid is 120,000 pixels, painted on the
  // main thread with every refresh of the views.
  const data = image.data;
  data.fill(255);
  const grey = (x, y) => data.fill(221, 4 * (y * width + x), 4 * (y * width + x) + 3);
  for (let y = SIDE; y < height; y += cell) for (let x = 0; x < width; x++) grey(x, y);
  for (let x = SIDE; x < width; x += cell) for (let y = 0; y < height; y++) grey(x, y);
  for (let digit = 0; digit < count; digit++) {
    const [x0, y0] = [(digit % columns) * cell, Math.floor(digit / columns) * cell];
    for (let py = 0; py < SIDE; py++) {
      let o = 4 * ((y0 + py) * width + x0);
      let i = digit * SIDE * SIDE + py * SIDE;
      for (let px = 0; px < SIDE; px++, o += 4, i++) {
        const shade = 255 - Math.round(255 * Math.min(1, Math.max(0, values[i])));
        data[o] = shade;
        data[o + 1] = shade;
        data[o + 2] = shade;
      }
    }
  }
  ctx.putImageData(image, 0, 0);
}
