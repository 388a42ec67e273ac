// Datasets for the browser tests, made from the digits the repository ships (the tests cannot
// download Fashion-MNIST): IDX files of the digits inverted or rotated, PNG files of them on
// light paper, and a sprite sheet; written with Node's own zlib, no image library.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { root } from './harness.mjs';

const PIXELS = 784;

/** `count` shipped digits from record `from`: `{pixels, labels}`. */
export function shippedDigits(count, from = 0) {
  const bytes = readFileSync(join(root, 'www', 'data', 'mnist-10k.bin'));
  const records = bytes.readUInt32LE(12);
  const labels = bytes.subarray(24 + from, 24 + from + count);
  const start = 24 + records + from * PIXELS;
  return { pixels: Uint8Array.from(bytes.subarray(start, start + count * PIXELS)), labels: Uint8Array.from(labels) };
}

/** Light ink on dark made dark on light. */
export const inverted = (pixels) => pixels.map((v) => 255 - v);

/** Each 28×28 digit turned a quarter turn clockwise. */
export function rotated(pixels) {
  const out = new Uint8Array(pixels.length);
  for (let d = 0; d < pixels.length / PIXELS; d++) {
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out[d * PIXELS + x * 28 + (27 - y)] = pixels[d * PIXELS + y * 28 + x];
  }
  return out;
}

/** An IDX file: unsigned bytes of the dimensions `dims`. */
export function idx(values, dims) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

export const idxImages = (pixels) => idx(pixels, [pixels.length / PIXELS, 28, 28]);
export const idxLabels = (labels) => idx(labels, [labels.length]);
export const gzip = (bytes) => gzipSync(bytes);

/**
 * A PNG of grey levels (`width × height`, row-major): the signature, IHDR (8-bit greyscale),
 * one IDAT of the rows each with filter 0, and IEND.
 */
export function png(grey, width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  const rows = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) rows.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A digit on light paper, `scale` times larger: a PNG. */
export function digitOnPaper(pixels, index, scale = 2) {
  const side = 28 * scale;
  const grey = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) grey[y * side + x] = 255 - pixels[index * PIXELS + Math.floor(y / scale) * 28 + Math.floor(x / scale)];
  return png(grey, side, side);
}

/** `count` digits on light paper in a sheet of `columns` cells of 28×28 a row; cells left over are blank paper. */
export function spriteSheet(pixels, count, columns, rows) {
  const width = 28 * columns;
  const grey = new Uint8Array(width * 28 * rows).fill(255);
  for (let i = 0; i < count; i++) {
    const [cx, cy] = [i % columns, Math.floor(i / columns)];
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) grey[(cy * 28 + y) * width + cx * 28 + x] = 255 - pixels[i * PIXELS + y * 28 + x];
  }
  return png(grey, width, 28 * rows);
}
