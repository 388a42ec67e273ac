// Keeps the person's work across reloads: opens this tab's autosave and checks what it holds
// before the page starts from it, then writes the model being trained (the latest weights from
// the worker, with the plot up to their step, and the person's own dataset when it trains on
// one) every few seconds while it changes and whenever training pauses.

import { Viewer } from '../../pkg/latent_lab.js';
import { showError } from './dom.js';
import { Autosave } from './storage.js';
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
    /** The hash of the dataset storage holds, once written. */
    this.storedDataset = dataset?.summary.hash ?? null;
    /** The newest weights the page has, as a weights file, and their progress. */
    this.latest = null;
    /** Whether `latest` is newer than what the autosave holds. */
    this.unsaved = false;
    /** The step the autosave holds (also `data-saved-step`, for the tests). */
    this.savedStep = null;
    if (autosave) setInterval(() => this.saveNow(), AUTOSAVE_MS);
  }

  /**
   * Weights now on screen. Kept when `trained` says this tab trained the model and they are
   * newer than the last save (an autosave may have caught the steps before them).
   */
  weightsShown(bytes, progress, trained) {
    this.latest = { bytes, progress };
    if (trained && progress.step !== this.savedStep) this.unsaved = true;
  }

  /** The model changed since the last save (a step, an import): keep it at the next save. */
  changed() {
    this.unsaved = true;
  }

  /** The model trains on other data from now on (null: the shipped digits); kept at the next save. */
  dataChanged(dataset) {
    this.dataset = dataset;
    this.unsaved = true;
    this.pruneDue = true;
  }

  /** Fresh weights: nothing to keep until they are trained; the old save is cleared. */
  async forget() {
    try {
      await this.autosave?.clear();
    } catch (e) {
      // Nothing is lost: until the fresh model is trained and autosaved, a reload restores the old one.
      showError(`The autosave could not be cleared (${e.message}).`);
    }
    this.unsaved = false;
    // The slot that kept the dataset is gone: the next save keeps it again.
    this.storedDataset = null;
  }

  async saveNow() {
    if (!this.unsaved || !this.latest || !this.autosave) return;
    this.unsaved = false;
    const { bytes, progress } = this.latest;
    const dataset = this.dataset;
    try {
      // Every dataset the page accepts is kept (70,000 images at most: 55 MB), written once.
      if (dataset && this.storedDataset !== dataset.summary.hash) {
        await this.autosave.saveDataset(dataset);
        this.storedDataset = dataset.summary.hash;
      }
      const data = dataset ? { hash: dataset.summary.hash, name: dataset.summary.name } : undefined;
      await this.autosave.save({ weights: bytes, history: this.historyAt(progress), savedAt: Date.now(), step: progress.step, dataset: data });
      if (this.pruneDue) {
        this.pruneDue = false;
        await this.autosave.pruneDatasets();
      }
      this.savedStep = progress.step;
      publishSavedStep(progress.step);
    } catch (e) {
      showError(`Autosave failed (${e.message}); export the weights to keep them.`);
    }
  }
}
