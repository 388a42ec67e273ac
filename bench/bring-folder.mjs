// How the page holds up while a person brings a large folder of images: a folder of PNGs
// (digits on light paper, 56×56, a subfolder per class) brought through *Bring a folder…*, and
// every main-thread task over 50 ms the browser reports (PerformanceObserver 'longtask') from the
// picker's change event until the page trains on the data. Run by scripts/bench.mjs (--data-images).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digitOnPaper, shippedDigits } from '../tests/browser/datasets.mjs';
import { launch, openPage, waitForState } from '../tests/browser/harness.mjs';

/**
 * Brings a folder of `count` PNGs into the page at `url`.
 * @returns {Promise<{count: number, handOverSeconds: number, readSeconds: number, longTasks: {ms: number, scripts: string}[], conversion: string}>}
 *   `longTasks`: each main-thread task of 50 ms or more, with the scripts its frame ran
 */
export async function bringFolder(url, count) {
  const folder = mkdtempSync(join(tmpdir(), 'latent-lab-bench-data-'));
  const browser = await launch({ webgpu: false });
  try {
    const { pixels, labels } = shippedDigits(10_000);
    for (const name of ['even', 'odd']) mkdirSync(join(folder, 'digits', name), { recursive: true });
    for (let i = 0; i < count; i++) {
      const at = i % 10_000;
      writeFileSync(join(folder, 'digits', labels[at] % 2 ? 'odd' : 'even', `${i}.png`), digitOnPaper(pixels, at, 2));
    }
    const { page } = await openPage(browser, `${url}?backend=cpu`);
    await waitForState(page, 'ready', 240_000);
    await page.evaluate(() => {
      window.benchTasks = [];
      new PerformanceObserver((list) => window.benchTasks.push(...list.getEntries().map((e) => [e.startTime, e.duration]))).observe({ type: 'longtask' });
      // Long animation frames name the scripts that ran in them, which a long task does not.
      window.benchFrames = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const scripts = e.scripts.filter((s) => s.duration >= 5).map((s) => `${s.invoker} ${Math.round(s.duration)} ms`);
          window.benchFrames.push([e.startTime, e.startTime + e.duration, scripts.join(', ') || 'no script of 5 ms']);
        }
      }).observe({ type: 'long-animation-frame' });
      document.getElementById('data-folder').addEventListener('change', () => (window.benchPicked = performance.now()), { capture: true, once: true });
    });
    const start = Date.now();
    await page.setInputFiles('#data-folder', join(folder, 'digits'));
    const picked = Date.now();
    await page.waitForFunction(() => document.body.dataset.dataset === 'digits' && ['ready', 'paused'].includes(document.body.dataset.state), null, { timeout: 1_800_000, polling: 500 });
    const done = Date.now();
    // Tasks the last frames queued are reported a moment later.
    await page.waitForTimeout(1000);
    return {
      count,
      handOverSeconds: (picked - start) / 1000,
      readSeconds: (done - picked) / 1000,
      // Playwright sets the files and fires the change event in one task: only what the page did
      // from the change event on is the page's.
      longTasks: await page.evaluate(() =>
        window.benchTasks
          .map(([start, duration]) => {
            const frame = window.benchFrames.find(([from, to]) => from <= start + 1 && to >= start + duration - 1);
            return { ms: start + duration - Math.max(start, window.benchPicked), scripts: frame?.[2] ?? 'not in a long animation frame' };
          })
          .filter(({ ms }) => ms >= 50),
      ),
      conversion: await page.textContent('#data-conversion'),
    };
  } finally {
    await browser.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
