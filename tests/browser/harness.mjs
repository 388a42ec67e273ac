// Shared by the browser tests: the static server, Chromium (Debian's, never a downloaded one)
// with or without WebGPU, and a page that fails the test on any console error, page error or
// request leaving 127.0.0.1.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const screenshots = join(root, 'target', 'screenshots');
mkdirSync(screenshots, { recursive: true });

const QUIET = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Without `--enable-unsafe-webgpu`, Chromium on Linux has navigator.gpu but no adapter.
 * @param {{webgpu: boolean, args?: string[]}} options
 */
export async function launch({ webgpu, args = [] }) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...QUIET, ...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...args],
  });
}

export { serve };

/**
 * A page that records what must never happen.
 * @returns {Promise<{page: import('playwright-core').Page, problems: string[]}>}
 */
export async function openPage(browser, url, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  context.on('request', (r) => {
    const u = new URL(r.url());
    const local = u.protocol === 'file:' || u.protocol === 'blob:' || u.protocol === 'data:' || u.hostname === '127.0.0.1';
    if (!local) problems.push(`request left the machine: ${r.url()}`);
  });
  await page.goto(url);
  return { page, problems };
}

/** Waits until the page shows `state`: ready / training / paused once the worker has answered
 * every command sent, starting / pausing / switching before. */
export function waitForState(page, state, timeout = 120_000) {
  return page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout });
}

/** A canvas's pixels, as an array of RGBA bytes. */
export function canvasPixels(page, id) {
  return page.evaluate((id) => {
    const c = document.getElementById(id);
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  }, id);
}

/** Number of pixels that are not white. */
export function inkedPixels(rgba) {
  let count = 0;
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] < 250) count++;
  return count;
}

/** Replaces the first occurrence of `from` with `to` (same length) in a weights file. */
export function patch(bytes, from, to) {
  const needle = Buffer.from(from, 'latin1');
  const at = Buffer.from(bytes).indexOf(needle);
  if (at < 0 || from.length !== to.length) throw new Error(`cannot patch ${from}`);
  const out = Buffer.from(bytes);
  out.write(to, at, 'latin1');
  return out;
}

/** A weights file with its first tensor value set to `value` (burnpack: 10-byte header, metadata, 256-aligned data). */
export function withNaN(bytes, value = NaN) {
  const out = Buffer.from(bytes);
  const metadata = out.readUInt32LE(6);
  out.writeFloatLE(value, Math.ceil((10 + metadata) / 256) * 256);
  return out;
}

/** A weights file whose header declares `length` bytes of metadata. */
export function withMetadataLength(bytes, length) {
  const out = Buffer.from(bytes);
  out.writeUInt32LE(length, 6);
  return out;
}
