// Shared by the browser tests: the static server, Chromium (Debian's, never a downloaded one)
// with or without WebGPU, and a page that fails the test on any console error, page error or
// request leaving 127.0.0.1.
import { mkdirSync, readFileSync } from 'node:fs';
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
 * @param {(context: import('playwright-core').BrowserContext) => Promise<void>} [prepare] runs
 *   before the page loads (the soak script serves its own app.js)
 * @returns {Promise<{page: import('playwright-core').Page, problems: string[]}>}
 */
export async function openPage(browser, url, contextOptions = {}, prepare = async () => {}) {
  const context = await browser.newContext(contextOptions);
  await prepare(context);
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

/**
 * The page's training worker, as Playwright sees it: the one started from the address the page
 * publishes (test-hooks.js), not a thread of its CPU pool, which is a worker too and never
 * answers `evaluate` (it runs rayon's loop without yielding).
 * @returns {Promise<import('playwright-core').Worker | undefined>}
 */
export async function trainingWorker(page) {
  const url = await page.evaluate(() => document.body.dataset.trainingWorker);
  return page.workers().find((worker) => worker.url() === url);
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

/**
 * Waits until canvas `id` shows something other than `before` (its `canvasPixels`): the views
 * decode in slices, each in a task of its own, so a redraw lands a few tasks after its click.
 */
export function canvasChanged(page, id, before, timeout = 10_000) {
  return page.waitForFunction(
    ([id, before]) => {
      const c = document.getElementById(id);
      const now = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return now.length !== before.length || now.some((v, i) => v !== before[i]);
    },
    [id, before],
    { timeout, polling: 50 },
  );
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

/** A CBOR text string: the header for its byte length, then the bytes. */
function cborText(text) {
  const bytes = Buffer.from(text, 'utf8');
  const n = bytes.length;
  const header = n < 24 ? [0x60 + n] : n < 256 ? [0x78, n] : n < 65536 ? [0x79, n >> 8, n & 255] : null;
  if (!header) throw new Error('metadata value too long for this helper');
  return Buffer.concat([Buffer.from(header), bytes]);
}

/** The byte length of the CBOR text string starting at `at` (its header included). */
function cborTextLength(bytes, at) {
  const first = bytes[at];
  if (first >= 0x60 && first < 0x78) return 1 + first - 0x60;
  if (first === 0x78) return 2 + bytes[at + 1];
  if (first === 0x79) return 3 + bytes.readUInt16BE(at + 1);
  throw new Error(`no CBOR text string at ${at}`);
}

/**
 * A weights file with the metadata entry `key` (`config`, `progress`, `objective`, …) set to the
 * text `value`, everything else as it was: burnpack keeps its metadata as a CBOR map of strings
 * after a 10-byte header, and its tensors in a data section aligned to 256 bytes whose offsets
 * are relative to that section.
 */
export function withMetadata(bytes, key, value) {
  const file = Buffer.from(bytes);
  const length = file.readUInt32LE(6);
  const metadata = file.subarray(10, 10 + length);
  const keyBytes = cborText(key);
  const at = metadata.indexOf(keyBytes);
  if (at < 0) throw new Error(`no metadata entry ${key}`);
  const valueAt = at + keyBytes.length;
  const rewritten = Buffer.concat([metadata.subarray(0, valueAt), cborText(value), metadata.subarray(valueAt + cborTextLength(metadata, valueAt))]);
  const dataStart = (n) => Math.ceil((10 + n) / 256) * 256;
  const out = Buffer.alloc(dataStart(rewritten.length) + (file.length - dataStart(length)));
  file.copy(out, 0, 0, 10);
  out.writeUInt32LE(rewritten.length, 6);
  rewritten.copy(out, 10);
  file.copy(out, dataStart(rewritten.length), dataStart(length));
  return out;
}

/** The text of the metadata entry `key` of a weights file. */
export function metadataOf(bytes, key) {
  const file = Buffer.from(bytes);
  const metadata = file.subarray(10, 10 + file.readUInt32LE(6));
  const keyBytes = cborText(key);
  const at = metadata.indexOf(keyBytes);
  if (at < 0) return undefined;
  const valueAt = at + keyBytes.length;
  const total = cborTextLength(metadata, valueAt);
  const headerLength = metadata[valueAt] === 0x79 ? 3 : metadata[valueAt] === 0x78 ? 2 : 1;
  return metadata.subarray(valueAt + headerLength, valueAt + total).toString('utf8');
}

/**
 * Within a `describe`: a server, a browser and one page on it for the tests that follow,
 * ready to train (`ready: null` does not wait), with dialogs accepted unless `acceptDialogs` is
 * false (Playwright then dismisses them); closed after them. `query` is appended to the page's
 * address. Read the page through the returned object (`page`, `problems`), once `before` has run.
 */
export function usePage({ webgpu = false, query = '', ready = 'ready', acceptDialogs = true, readyTimeout = 240_000, ...contextOptions } = {}, hooks) {
  const opened = {};
  hooks.before(async () => {
    opened.server = await serve(0);
    opened.browser = await launch({ webgpu });
    Object.assign(opened, await openPage(opened.browser, opened.server.url + query, { viewport: { width: 1280, height: 1000 }, ...contextOptions }));
    if (acceptDialogs) opened.page.on('dialog', (d) => d.accept());
    if (ready) await waitForState(opened.page, ready, readyTimeout);
  });
  hooks.after(async () => {
    await opened.browser?.close();
    await opened.server?.close();
  });
  return opened;
}

/**
 * Helpers over one page: its digit, plot and state, settings typed as a person would, the
 * alert, export and import.
 */
export function on(page, timeout = 240_000) {
  const decoded = () => canvasPixels(page, 'decoded');
  return {
    decoded,
    history: () => page.evaluate(() => ({ elbo: window.latentLab.plot.history, gap: window.latentLab.gapPlot.history })),
    state: () => page.evaluate(() => document.body.dataset.state),
    /** The step the figures show. */
    step: () => page.evaluate(() => Number(document.getElementById('fig-step').textContent.replace(/,/g, ''))),
    /** Every settings field's value. */
    settings: () => page.evaluate(() => Array.from(document.querySelectorAll('#settings-panel input, #settings-panel select')).map((i) => `${i.id}=${i.value}`)),
    /** Types a value into an input and commits it, as a person would. */
    setValue: (id, value) =>
      page.evaluate(([id, value]) => {
        const input = document.getElementById(id);
        input.value = value;
        input.dispatchEvent(new Event('change'));
      }, [id, value]),
    /** The alert's text once it shows, then dismissed. */
    async alert(wait = timeout) {
      await page.waitForSelector('#alert:not([hidden])', { timeout: wait });
      const text = await page.textContent('#alert span');
      await page.click('#dismiss');
      return text;
    },
    /** Resolves once the decoded digit equals `pixels`. */
    decodedBecomes: (pixels) =>
      page.waitForFunction(
        (want) => {
          const c = document.getElementById('decoded');
          return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).join() === want.join();
        },
        pixels,
        { timeout },
      ),
    async exportFile() {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
      return { bytes: readFileSync(await download.path()), name: download.suggestedFilename() };
    },
    importFile: (buffer, name = 'model.bpk') => page.setInputFiles('#import', { name, mimeType: 'application/octet-stream', buffer }),
  };
}

/**
 * A new tab in `context` (tabs of one browser share their storage and Web Locks), as a person
 * opens one: dialogs accepted, page and console errors added to `problems`, ready to train.
 */
export async function openTab(context, url, problems, timeout = 240_000) {
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  await page.goto(url);
  await waitForState(page, 'ready', timeout);
  return page;
}
