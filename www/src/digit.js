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
