// The training data panel: which data the model trains on (the shipped MNIST digits, or a
// dataset the person brought or drew), the files and folders they bring, the held-out share and
// the seed that fixes the split, and the way back to MNIST. Every change of data goes through
// `change` here, under one rule: while a dataset is being read, any other change is refused with
// a message. A dataset is made whole (read, converted, split, in the dataset worker) before the
// page is asked to use it, so a refused or cancelled read changes nothing.

import { datasetSummary } from '../../pkg/latent_lab.js';
import { droppedFiles, pickedFiles } from './brought-files.js';
import { finishDataset } from './dataset-files.js';
import { DatasetRefused, nothingChanged } from './dataset-rules.js';
import { $ } from './dom.js';
import { megabytes, thousands } from './quantities.js';

/**
 * The data a model trains on, as the page holds it: the dataset file as a Blob, which workers and
 * storage take as a handle (a 70,000-image file is 55 MB: copying it into each message held the
 * page's main thread for about 80 ms in bench/bring-folder.mjs), and what the page shows of it.
 * @typedef {{blob: Blob, summary: object, description: string, builtIn: boolean,
 *            split?: {percent: number, seed: number}}} Dataset
 */

/**
 * A dataset file with what the page shows of it; throws when the wasm refuses the file.
 * @param {Uint8Array} bytes
 * @param {{blob?: Blob}} [options] `blob`: the same bytes as a Blob already (from storage)
 * @returns {Dataset}
 */
export function datasetOf(bytes, { blob, description, builtIn = false, split } = {}) {
  const summary = datasetSummary(bytes);
  return { blob: blob ?? new Blob([bytes]), summary, description: description ?? '', builtIn, split };
}

/** The MNIST digits shipped with the page. */
export const shippedDataset = (bytes) => datasetOf(bytes, {
  builtIn: true,
  description: 'The 10,000 MNIST digits shipped with the page (LeCun et al.), 28×28 grey levels, taken as they are.',
});

/** One line on the data: its name, its split and its labels. */
export function describeDataset({ summary, split, builtIn }) {
  const how = split ? ` (${split.percent} %, split by seed ${split.seed})` : builtIn ? ' (a fixed split)' : '';
  return `${summary.name}: ${thousands(summary.trainingImages)} training and ${thousands(summary.heldoutImages)} held-out images${how}, ${summary.labelled ? 'labelled' : 'no labels'}.`;
}

export class DataPanel {
  /**
   * @param {{use: (dataset: Dataset) => void, shipped: () => Promise<Dataset>,
   *          error: (message: string) => void, status: (message: string) => void}} actions
   *   `shipped` gives the MNIST digits
   * @param {object} limits settingLimits(): the dataset's image count, file size, held-out share,
   *   seed and sheet cell
   * @param {import('./dataset-reader.js').DatasetReader} reader
   */
  constructor(actions, limits, reader) {
    this.actions = actions;
    this.limits = limits;
    this.reader = reader;
    this.percent = $('heldout-percent');
    this.seed = $('split-seed');
    Object.assign(this.percent, { min: limits.heldoutPercent.min, max: limits.heldoutPercent.max });
    Object.assign(this.seed, { min: limits.splitSeed.min, max: limits.splitSeed.max });
    for (const id of ['cell-width', 'cell-height']) Object.assign($(id), { min: limits.cellSide.min, max: limits.cellSide.max });
    this.seed.value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
    const { datasetImages, datasetFileBytes } = limits;
    $('data-bounds').textContent = `From ${thousands(datasetImages.min)} to ${thousands(datasetImages.max)} images, files of at most ${megabytes(datasetFileBytes.max)}.`;
    const files = $('data-files');
    const folder = $('data-folder');
    $('data-files-button').addEventListener('click', () => files.click());
    $('data-folder-button').addEventListener('click', () => folder.click());
    for (const picker of [files, folder]) {
      picker.addEventListener('change', () => {
        const list = picker.files;
        if (!list.length) return;
        // Cleared (so that the same folder can be picked again) only once listed: clearing the
        // picker empties its list.
        const listed = pickedFiles(list).finally(() => (picker.value = ''));
        this.bring(() => listed);
      });
    }
    $('data-mnist').addEventListener('click', () => this.backToMnist());
    $('data-cancel').addEventListener('click', () => this.reader.cancel());
    /** The change under way (null: none), with how far its read got, for the refusal of another. */
    this.changing = null;
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
   * Reads the files `list()` gives into a dataset, in the dataset worker, and asks the page to
   * train on it; anything refused is said, and nothing changes.
   */
  bring(list) {
    return this.change(async () => {
      const request = { split: this.split(), cell: this.cell(), transpose: $('transpose').checked };
      this.showReading('listing', 0, 0);
      try {
        const files = await list();
        const dataset = await this.reader.read({ ...request, files }, (stage, done, total) => this.showReading(stage, done, total));
        if (!dataset) {
          this.actions.status('Reading the dataset was cancelled; the model trains on as before.');
          return null;
        }
        return dataset;
      } finally {
        this.showReading(null);
      }
    });
  }

  /** The shipped digits again. */
  backToMnist() {
    return this.change(async () => {
      try {
        return await this.actions.shipped();
      } catch (e) {
        throw new DatasetRefused(`The MNIST digits could not be loaded (${e.message}); the model trains on as it was.`);
      }
    });
  }

  /**
   * A builder's images (the drawn set), split as entered, to train on.
   * @param {import('../../pkg/latent_lab.js').DatasetBuilder} builder
   */
  useBuilt(builder, name) {
    return this.change(async () => finishDataset(builder, name, this.split()));
  }

  /**
   * The one way the data changes: `make` gives the next dataset (null: none after all), unless a
   * dataset is still being read, when the change is refused and said.
   * @param {() => Promise<Dataset | null>} make
   */
  async change(make) {
    if (this.changing) {
      const { done, total } = this.changing;
      const far = total ? ` (${thousands(done)} of ${thousands(total)} images)` : '';
      this.actions.error(nothingChanged(`A dataset is still being read${far}; wait for it, or press Cancel beside its progress.`));
      return;
    }
    this.changing = { done: 0, total: 0 };
    try {
      const dataset = await make();
      if (dataset) this.actions.use(dataset);
    } catch (e) {
      this.actions.error(e instanceof DatasetRefused ? e.message : nothingChanged(`The dataset could not be read: ${e.message}.`));
    } finally {
      this.changing = null;
    }
  }

  /**
   * The progress of a read: the files listed, handed to the dataset worker, then decoded there
   * (`stage` null: no read under way).
   * @param {'listing' | 'handing' | 'decoding' | null} stage
   */
  showReading(stage, done = 0, total = 0) {
    $('data-reading').hidden = stage === null;
    if (stage === null) return;
    if (stage === 'decoding') Object.assign(this.changing ?? {}, { done, total });
    const bar = $('data-progress');
    if (total) Object.assign(bar, { max: total, value: done });
    else bar.removeAttribute('value');
    const far = `${thousands(done)} of ${thousands(total)}`;
    $('data-reading-note').textContent = { listing: 'Reading the dataset…', handing: `Handing the files to the reader: ${far}…`, decoding: total ? `Decoding images: ${far}…` : 'Reading the dataset…' }[stage];
  }

  /** The held-out share and seed entered, checked. */
  split() {
    const { min, max } = this.limits.heldoutPercent;
    const percent = Number(this.percent.value);
    if (this.percent.value.trim() === '' || !(percent >= min && percent <= max)) {
      throw new DatasetRefused(nothingChanged(`The held-out share must be a number from ${min} to ${max} % (got “${this.percent.value}”).`));
    }
    const seeds = this.limits.splitSeed;
    const seed = Number(this.seed.value);
    if (this.seed.value.trim() === '' || !Number.isInteger(seed) || seed < seeds.min || seed > seeds.max) {
      throw new DatasetRefused(nothingChanged(`The split seed must be a whole number from ${seeds.min} to ${seeds.max} (got “${this.seed.value}”).`));
    }
    return { percent, seed };
  }

  /** A sprite sheet's cell size, when both fields are filled. */
  cell() {
    const [w, h] = ['cell-width', 'cell-height'].map((id) => $(id).value.trim());
    if (!w && !h) return null;
    const { min, max } = this.limits.cellSide;
    const width = Number(w);
    const height = Number(h);
    if (![width, height].every((v) => Number.isInteger(v) && v >= min && v <= max)) {
      throw new DatasetRefused(nothingChanged(`A sprite sheet's cell is a width and a height in whole pixels from ${min} to ${max} (got “${w}” × “${h}”).`));
    }
    return { width, height };
  }
}
