// Reads brought files into a dataset in a worker of their own (dataset-worker.js), one dataset at
// a time: the page's main thread only posts the files and hears how far decoding got, and a
// Cancel ends the worker, so nothing of a cancelled read is left behind or taken.

/* global __DATASET_WORKER_SOURCE__ */

import { DatasetRefused } from './dataset-rules.js';

/** Files posted to the worker in one message. */
const FILES_AT_ONCE = 5_000;

export class DatasetReader {
  /** @param {WebAssembly.Module} module the page's compiled wasm, which the worker instantiates */
  constructor(module) {
    this.module = module;
    /** The read under way: its worker and how to end it. */
    this.job = null;
  }

  get busy() {
    return this.job !== null;
  }

  /**
   * Reads `files` into a dataset (data-panel.js: Dataset).
   * @param {{files: import('./brought-files.js').BroughtFile[], cell: {width: number, height: number} | null,
   *          split: {percent: number, seed: number}, transpose: boolean}} request
   * @param {(done: number, total: number) => void} progress
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
      this.job = { cancel: () => end(resolve, null) };
      worker.onmessage = ({ data }) => {
        if (data.type === 'progress') progress(data.done, data.total);
        else if (data.type === 'done') end(resolve, data.dataset);
        else end(reject, new DatasetRefused(data.message));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        end(reject, new DatasetRefused(`The dataset could not be read: ${e.message || 'the reader stopped'}. Nothing was changed.`));
      };
      // The files go in batches, each a task of its own: cloning 10,000 File handles takes about
      // 7 ms of the page's thread in Chromium, so a folder of 70,000 in one message would hold
      // it for about 50.
      const { files, ...rest } = request;
      for (let start = 0; start < files.length; start += FILES_AT_ONCE) {
        const batch = files.slice(start, start + FILES_AT_ONCE);
        setTimeout(() => this.job && worker.postMessage({ files: batch }));
      }
      setTimeout(() => this.job && worker.postMessage({ module: this.module, ...rest, count: files.length }));
    });
  }

  /** Ends the read under way; its promise answers null. */
  cancel() {
    this.job?.cancel();
  }
}

