// The training data panel: which data the model trains on (the shipped MNIST digits, or a
// dataset the person brought or drew), the files and folders they bring, the held-out share and
// the seed that fixes the split, and the way back to MNIST. A dataset is made whole (read,
// converted, split) before the page is asked to use it, so a refused file changes nothing.

import { datasetSummary } from '../../pkg/latent_lab.js';
import { DatasetRefused, droppedFiles, pickedFiles, readDataset } from './dataset-files.js';
import { $ } from './dom.js';

const count = (n) => n.toLocaleString('en');

/**
 * The data a model trains on, as the page holds it.
 * @typedef {{bytes: Uint8Array, summary: object, description: string, builtIn: boolean,
 *            split?: {percent: number, seed: number}}} Dataset
 */

/**
 * A dataset file with what the page shows of it; throws when the wasm refuses the file.
 * @returns {Dataset}
 */
export function datasetOf(bytes, { description, builtIn = false, split } = {}) {
  const summary = datasetSummary(bytes);
  return { bytes, summary, description: description ?? '', builtIn, split };
}

/** The MNIST digits shipped with the page. */
export const shippedDataset = (bytes) => datasetOf(bytes, {
  builtIn: true,
  description: 'The 10,000 MNIST digits shipped with the page (LeCun et al.), 28×28 grey levels, taken as they are.',
});

/** One line on the data: its name, its split and its labels. */
export function describeDataset({ summary, split, builtIn }) {
  const how = split ? ` (${split.percent} %, split by seed ${split.seed})` : builtIn ? ' (a fixed split)' : '';
  return `${summary.name}: ${count(summary.trainingImages)} training and ${count(summary.heldoutImages)} held-out images${how}, ${summary.labelled ? 'labelled' : 'no labels'}.`;
}

export class DataPanel {
  /**
   * @param {{use: (dataset: Dataset) => void, backToMnist: () => void,
   *          error: (message: string) => void, status: (message: string) => void}} actions
   * @param {object} limits settingLimits(): the dataset's image count, file size and held-out share
   */
  constructor(actions, limits) {
    this.actions = actions;
    this.limits = limits;
    this.percent = $('heldout-percent');
    this.seed = $('split-seed');
    Object.assign(this.percent, { min: limits.heldoutPercent.min, max: limits.heldoutPercent.max });
    this.seed.value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
    const files = $('data-files');
    const folder = $('data-folder');
    $('data-files-button').addEventListener('click', () => files.click());
    $('data-folder-button').addEventListener('click', () => folder.click());
    for (const picker of [files, folder]) {
      picker.addEventListener('change', () => {
        const brought = pickedFiles(picker.files);
        picker.value = '';
        if (brought.length) this.bring(() => brought);
      });
    }
    $('data-mnist').addEventListener('click', () => this.actions.backToMnist());
    this.busy = false;
  }

  /** Shows the data the model trains on now. */
  show(dataset) {
    $('data-now').textContent = describeDataset(dataset);
    $('data-conversion').textContent = dataset.description;
    $('data-mnist').disabled = dataset.builtIn;
  }

  /** The files of a drop onto the page (walked into its folders). */
  bringDropped(drop) {
    return this.bring(() => droppedFiles(drop, this.limits.datasetImages.max));
  }

  /**
   * Reads the files `list()` gives into a dataset and asks the page to train on it; anything
   * refused is said, and nothing changes.
   */
  async bring(list) {
    if (this.busy) {
      this.actions.error('A dataset is still being read; wait for it before bringing another.');
      return;
    }
    this.busy = true;
    let read;
    try {
      const split = this.split();
      const cell = this.cell();
      this.actions.status('Reading the dataset…');
      read = await readDataset(await list(), { limits: this.limits, cell, progress: this.actions.status });
      if ($('transpose').checked) read.builder.transpose();
      this.finish(read.builder, read.name, { split, ignored: read.ignored, folders: read.folders });
    } catch (e) {
      this.actions.error(e instanceof DatasetRefused ? e.message : `The dataset could not be read: ${e.message}. Nothing was changed.`);
    } finally {
      read?.builder.free();
      this.busy = false;
    }
  }

  /**
   * Splits a builder's images and asks the page to train on them.
   * @param {import('../../pkg/latent_lab.js').DatasetBuilder} builder
   * @param {{split?: {percent: number, seed: number}, ignored?: number, folders?: string[] | null}} [read]
   *   the split (else the one entered), the files that were not images, and the folders whose
   *   order gave the labels
   */
  finish(builder, name, { split = this.split(), ignored = 0, folders = null } = {}) {
    let bytes;
    try {
      bytes = builder.finish(split.percent, split.seed);
    } catch (e) {
      throw new DatasetRefused(`${name}: ${e.message}. Nothing was changed.`);
    }
    const labels = folders ? ` Labels from the folders: ${folders.map((f, i) => `${f.split('/').at(-1)} = ${i}`).slice(0, 12).join(', ')}${folders.length > 12 ? ', …' : ''}.` : '';
    const skipped = ignored ? ` ${count(ignored)} files that are not images were left out.` : '';
    const description = `Converted: ${builder.description()}. Binarised or not as the data setting says, at training time.${labels}${skipped}`;
    this.actions.use(datasetOf(bytes, { description, split }));
  }

  /** The held-out share and seed entered, checked. */
  split() {
    const { min, max } = this.limits.heldoutPercent;
    const percent = Number(this.percent.value);
    if (this.percent.value.trim() === '' || !(percent >= min && percent <= max)) {
      throw new DatasetRefused(`The held-out share must be a number from ${min} to ${max} % (got “${this.percent.value}”). Nothing was changed.`);
    }
    const seed = Number(this.seed.value);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new DatasetRefused(`The split seed must be a whole number from 0 to 4294967295 (got “${this.seed.value}”). Nothing was changed.`);
    }
    return { percent, seed };
  }

  /** A sprite sheet's cell size, when both fields are filled. */
  cell() {
    const [w, h] = ['cell-width', 'cell-height'].map((id) => $(id).value.trim());
    if (!w && !h) return null;
    const width = Number(w);
    const height = Number(h);
    if (![width, height].every((v) => Number.isInteger(v) && v >= 1 && v <= 4096)) {
      throw new DatasetRefused(`A sprite sheet's cell is a width and a height in whole pixels from 1 to 4096 (got “${w}” × “${h}”). Nothing was changed.`);
    }
    return { width, height };
  }
}
