// Weights files in and out of the page: Export downloads the model being trained; Import takes
// one from the file picker or dropped anywhere on the page. A drop that is not one weights file
// (IDX files, images, a folder) goes to `onDrop`, the data panel.

import { captureDrop, isIdx } from './brought-files.js';
import { isImage } from './dataset-rules.js';

/** Names IDX files go by: `train-images-idx3-ubyte`, `t10k-labels.idx1-ubyte.gz`, `x.idx`. */
const IDX_NAME = /(idx\d?|ubyte)(\.gz)?$|\.gz$/i;

/** Larger than any model the page can build (64-dimensional latent, hidden 2048: ~45 MB). */
const MAX_BYTES = 64 * 1024 * 1024;

export class WeightsFiles {
  /**
   * @param {{
   *   exportWeights: () => Promise<{bytes: Uint8Array, name: string}>,
   *   importWeights: (bytes: Uint8Array, name: string) => void,
   *   error: (message: string) => void,
   * }} actions
   */
  constructor(actions) {
    this.actions = actions;
    /** @type {(drop: import('./brought-files.js').Drop) => void} where a dropped dataset goes */
    this.onDrop = () => {};
    this.exportButton = document.getElementById('export');
    const picker = document.getElementById('import');
    this.exportButton.addEventListener('click', () => this.download());
    document.getElementById('import-button').addEventListener('click', () => picker.click());
    picker.addEventListener('change', () => {
      if (picker.files[0]) this.read(picker.files[0]);
      picker.value = '';
    });
    let depth = 0;
    const carriesFiles = (e) => e.dataTransfer?.types.includes('Files');
    document.addEventListener('dragenter', (e) => {
      if (!carriesFiles(e)) return;
      depth++;
      document.body.classList.add('dropping');
    });
    document.addEventListener('dragleave', (e) => {
      if (carriesFiles(e) && --depth <= 0) document.body.classList.remove('dropping');
    });
    document.addEventListener('dragover', (e) => carriesFiles(e) && e.preventDefault());
    document.addEventListener('drop', (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth = 0;
      document.body.classList.remove('dropping');
      this.route(captureDrop(e.dataTransfer));
    });
  }

  /**
   * One `.bpk` file, or one that is neither named nor made like IDX or an image, is imported as
   * weights; the rest is a dataset.
   */
  async route(drop) {
    const [first] = drop.files;
    if (!first) return;
    const single = drop.files.length === 1 && !drop.hasFolder;
    const weights = single && (/\.bpk$/i.test(first.name) || !(isImage(first) || IDX_NAME.test(first.name) || (await isIdx(first))));
    if (weights) {
      this.read(first);
      return;
    }
    this.onDrop(drop);
  }

  setEnabled(enabled) {
    this.exportButton.disabled = !enabled;
  }

  async download() {
    this.exportButton.disabled = true;
    try {
      const { bytes, name } = await this.actions.exportWeights();
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const link = Object.assign(document.createElement('a'), { href: url, download: name });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      this.actions.error(`Export failed: ${e.message}`);
    } finally {
      this.exportButton.disabled = false;
    }
  }

  /** @param {File} file */
  async read(file) {
    if (file.size > MAX_BYTES) {
      this.actions.error(`${file.name} is ${(file.size / 1e6).toFixed(0)} MB, too large to be a latent-lab weights file.`);
      return;
    }
    try {
      this.actions.importWeights(new Uint8Array(await file.arrayBuffer()), file.name);
    } catch (e) {
      this.actions.error(`Could not read ${file.name}: ${e.message}`);
    }
  }
}
