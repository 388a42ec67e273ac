// Weights files in and out of the page: Export downloads the model being trained; Import takes
// one from the file picker or dropped anywhere on the page.

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
      const file = e.dataTransfer.files[0];
      if (file) this.read(file);
    });
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
