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
  const width = columns * (SIDE + 1) - 1;
  const height = rows * (SIDE + 1) - 1;
  if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  image.data.fill(255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [col, px] = [Math.floor(x / (SIDE + 1)), x % (SIDE + 1)];
      const [row, py] = [Math.floor(y / (SIDE + 1)), y % (SIDE + 1)];
      const o = 4 * (y * width + x);
      const digit = row * columns + col;
      if (px === SIDE || py === SIDE || digit >= count) {
        image.data.fill(px === SIDE || py === SIDE ? 221 : 255, o, o + 3);
        continue;
      }
      const v = values[digit * SIDE * SIDE + py * SIDE + px];
      image.data.fill(255 - Math.round(255 * Math.min(1, Math.max(0, v))), o, o + 3);
    }
  }
  ctx.putImageData(image, 0, 0);
}
