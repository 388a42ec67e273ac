// Keeps the person's work across reloads: opens this tab's autosave and checks what it holds
// before the page starts from it, then writes the model being trained (the latest weights from
// the worker, with the plot up to their step) every few seconds while it changes and whenever
// training pauses; and, after the model and apart from it, the person's own dataset when it
// trains on one, so that a dataset the storage cannot hold never costs the model its save.

import { Viewer } from '../../pkg/latent_lab.js';
import { showError } from './dom.js';
import { megabytes } from './quantities.js';
import { Autosave, isQuotaError, roomLeft, storageProblem } from './storage.js';
import { publishSavedStep } from './test-hooks.js';

/** How often the model being trained is autosaved. */
const AUTOSAVE_MS = 3000;

/**
 * This tab's autosave and the saved model it starts from (or the Error reading it), or null with
 * the reason where the browser gives the page no storage.
 * @returns {Promise<{autosave: Autosave | null, saved?: object | Error, problem?: string}>}
 */
export async function openAutosave() {
  let autosave;
  try {
    autosave = await Autosave.open();
  } catch (e) {
    return { autosave: null, problem: e.message };
  }
  // A slot that cannot be read is reported by `restorable`, and this tab still autosaves.
  return { autosave, saved: await autosave.restorable().catch((e) => e) };
}

/** The autosaved model, if it still loads; a damaged one is reported and set aside. */
export function restorable(saved) {
  if (!saved) return undefined;
  try {
    if (saved instanceof Error) throw saved;
    new Viewer(saved.weights).free();
    const points = (series) => series === undefined || (Array.isArray(series) && series.every((p) => p && Number.isFinite(p.epoch)));
    const { history } = saved;
    if (!points(history.train) || !points(history.heldout) || !points(history.gap)) throw new Error('its plot history is damaged');
    return saved;
  } catch (e) {
    showError(`The autosaved model could not be restored (${e.message}); starting from the shipped model.`);
    return undefined;
  }
}

export class ModelKeeper {
  /**
   * @param {Autosave | null} autosave this tab's slot, or null where storage is off
   * @param {(progress: object) => object} historyAt the plot's history up to a step's progress
   * @param {import('./data-panel.js').Dataset | null} dataset the person's own data trained on,
   *   or null for the shipped digits
   */
  constructor(autosave, historyAt, dataset) {
    this.autosave = autosave;
    this.historyAt = historyAt;
    this.dataset = dataset;
    /** The hash of the dataset storage holds, once written (a restored one is there already). */
    this.storedDataset = dataset?.summary.hash ?? null;
    /** The hash of a dataset storage could not hold: not tried again while it is trained on. */
    this.unkeptDataset = null;
    /** The newest weights the page has, as a weights file, and their progress. */
    this.latest = null;
    /** Whether `latest` is newer than what the autosave holds. */
    this.unsaved = false;
    /** The step the autosave holds (also `data-saved-step`, for the tests). */
    this.savedStep = null;
    /** The save under way: saves run one after another, never two at once. */
    this.saving = Promise.resolve();
    autosave?.useDataset(this.storedDataset);
    if (autosave) setInterval(() => this.saveNow(), AUTOSAVE_MS);
  }

  /**
   * Weights now on screen. Kept when `trained` says this tab trained the model and they are
   * newer than the last save (an autosave may have caught the steps before them). `blob`: the
   * same file as a Blob, where the training worker made one.
   */
  weightsShown(bytes, progress, trained, blob) {
    this.latest = { bytes, blob, progress };
    if (trained && progress.step !== this.savedStep) this.unsaved = true;
  }

  /** The model changed since the last save (a step, an import): keep it at the next save. */
  changed() {
    this.unsaved = true;
  }

  /** The model trains on other data from now on (null: the shipped digits); kept at the next save. */
  dataChanged(dataset) {
    this.dataset = dataset;
    this.autosave?.useDataset(dataset?.summary.hash ?? null);
    this.unsaved = true;
    this.pruneDue = true;
  }

  /** Fresh weights: nothing to keep until they are trained; the old save is cleared. */
  async forget() {
    try {
      await this.autosave?.clear();
    } catch (e) {
      // Nothing is lost: until the fresh model is trained and autosaved, a reload restores the old one.
      showError(`The autosave could not be cleared (${await storageProblem(e)}).`);
    }
    this.unsaved = false;
  }

  /** Writes what changed since the last save, after any save under way. */
  saveNow() {
    this.saving = this.saving.then(() => this.save());
    return this.saving;
  }

  async save() {
    if (!this.unsaved || !this.latest || !this.autosave) return;
    this.unsaved = false;
    const { bytes, blob, progress } = this.latest;
    const dataset = this.dataset;
    const hash = dataset?.summary.hash;
    const data = dataset ? { hash, name: dataset.summary.name, ...(this.unkeptDataset === hash ? { kept: false } : {}) } : undefined;
    try {
      await this.autosave.save({ weights: blob ?? bytes, history: this.historyAt(progress), savedAt: Date.now(), step: progress.step, dataset: data });
    } catch (e) {
      showError(`Autosave failed: ${await storageProblem(e, bytes.byteLength)}; export the weights to keep them.`);
      return;
    }
    this.savedStep = progress.step;
    publishSavedStep(progress.step);
    if (dataset && this.storedDataset !== hash && this.unkeptDataset !== hash) await this.keepDataset(dataset);
    if (this.pruneDue) {
      this.pruneDue = false;
      await this.autosave.pruneDatasets().catch(() => {});
    }
  }

  /** Stores the dataset trained on, once; one that does not fit is said, and not tried again. */
  async keepDataset(dataset) {
    const { hash } = dataset.summary;
    try {
      await this.autosave.saveDataset(dataset);
      this.storedDataset = hash;
    } catch (e) {
      this.unkeptDataset = hash;
      const size = megabytes(dataset.blob.size);
      const why = isQuotaError(e) ? `did not fit in this browser's storage${await roomLeft(dataset.blob.size)}` : `could not be kept in this browser's storage (${await storageProblem(e)})`;
      showError(`The dataset (${size}) ${why}: the model is saved; after a reload, bring the data again.`);
    }
  }
}
