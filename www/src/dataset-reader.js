// Reads brought files into a dataset in a worker of their own (dataset-worker.js), one dataset at
// a time: the page's main thread only posts the files and hears how far decoding got, and a
// Cancel ends the worker, so nothing of a cancelled read is left behind or taken.

/* global __DATASET_WORKER_SOURCE__ */

import { DatasetRefused } from './dataset-rules.js';

/**
 * How long one posting of files may hold the page's main thread. Each File handle a folder picker
 * gives costs about 0.2–0.3 ms of it to clone into a message in Chromium (measured with
 * bench/bring-folder.mjs: 5,000 in one message held it for 1.4 s), so the files go in batches
 * sized to stay near this, each in a task of its own. A batch can take three times its budget
 * when the machine is busy (a 62 ms posting against a budget of 20, 70,000 images on two cores),
 * so the budget is well under 50 ms.
 */
const POST_BUDGET_MS = 12;
/** The first batch, before any posting was timed. */
const FIRST_BATCH = 50;

export class DatasetReader {
  /** @param {WebAssembly.Module} module the page's compiled wasm, which the worker instantiates */
  constructor(module) {
    this.module = module;
    /** The read under way: its worker and how to end it. */
    this.job = null;
  }

  /**
   * Reads `files` into a dataset (data-panel.js: Dataset).
   * @param {{files: import('./brought-files.js').BroughtFile[], cell: {width: number, height: number} | null,
   *          split: {percent: number, seed: number}, transpose: boolean}} request
   * @param {(stage: 'handing' | 'decoding', done: number, total: number) => void} progress how
   *   many files went to the worker, then how many images it decoded
   * @returns {Promise<import('./data-panel.js').Dataset | null>} null when cancelled; rejects with
   *   the refusal's message (a DatasetRefused) when the files cannot be a dataset
   */
  read(request, progress) {
    if (this.job) throw new Error('a dataset is already being read');
    const url = URL.createObjectURL(new Blob([__DATASET_WORKER_SOURCE__], { type: 'text/javascript' }));
    const worker = new Worker(url, { name: 'latent-lab dataset reader' });
    URL.revokeObjectURL(url);
    return new Promise((resolve, reject) => {
      const end = (settle, value) => {
        worker.terminate();
        this.job = null;
        settle(value);
      };
      const job = { cancel: () => end(resolve, null) };
      this.job = job;
      worker.onmessage = ({ data }) => {
        if (data.type === 'progress') progress('decoding', data.done, data.total);
        else if (data.type === 'done') end(resolve, data.dataset);
        else end(reject, new DatasetRefused(data.message));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        end(reject, new DatasetRefused(`The dataset could not be read: ${e.message || 'the reader stopped'}. Nothing was changed.`));
      };
      const { files, ...rest } = request;
      let sent = 0;
      let batch = FIRST_BATCH;
      const postSome = () => {
        if (this.job !== job) return;
        if (sent === files.length) {
          worker.postMessage({ module: this.module, ...rest, count: files.length });
          return;
        }
        const started = performance.now();
        const some = files.slice(sent, sent + batch);
        worker.postMessage({ files: some });
        sent += some.length;
        const took = performance.now() - started;
        // The next batch sized from this one's pace, never more than doubling at once.
        batch = Math.max(1, Math.min(2 * batch, Math.floor((batch * POST_BUDGET_MS) / Math.max(took, 1))));
        progress('handing', sent, files.length);
        setTimeout(postSome);
      };
      postSome();
    });
  }

  /** Ends the read under way; its promise answers null. */
  cancel() {
    this.job?.cancel();
  }
}

