// Autosave: the model being trained, its step count and the plot, kept in IndexedDB (through
// idb-keyval) so a reload, a crash or a closed tab loses at most a few seconds of training; and
// the person's own dataset it trains on, kept once by its hash however many slots use it.
//
// One slot per tab, so two tabs never overwrite each other. A tab knows its slot across reloads
// by an id in sessionStorage (which a reload keeps and a new tab does not), and holds a Web Lock
// named after it for as long as it is open: that is how other tabs tell a live slot from one
// whose tab is gone, and how a duplicated tab (which copies sessionStorage) notices that its id
// is taken. A new tab starts from the most recent slot: one whose tab is gone becomes its own
// (as a reload of that tab would), one whose tab is open is copied, never taken away. Slots of
// closed tabs are kept until discarded.

import { del, entries, get, keys, set } from 'idb-keyval';
import { megabytes } from './quantities.js';

const TAB_ID = 'latent-lab/tab';
const SLOT = 'latent-lab/autosave/';
/** Where the single autosave of earlier versions lived: adopted as a slot of a closed tab. */
const LEGACY_KEY = 'latent-lab/session/v1';
const LOCK = 'latent-lab/tab/';
const DATASET = 'latent-lab/dataset/';
/** Held (shared) by every tab training on a kept dataset, named after its hash. */
const DATASET_LOCK = 'latent-lab/dataset-in-use/';

/**
 * A saved model (its weights, plot history and time) as the page uses it; in storage its weights
 * are a Blob (older versions stored the Uint8Array itself, still read).
 * @typedef {{
 *   weights: Uint8Array,
 *   history: {train: object[], heldout: object[], gap?: object[]},
 *   savedAt: number,
 *   step?: number,
 *   dataset?: {hash: string, name: string, kept?: false},
 * }} SavedModel
 *   `dataset`: the person's own data it trains on (absent: the shipped digits); `kept: false`
 *   when it did not fit in storage
 * @typedef {{id: string, savedAt: number, step: number | null, live: boolean}} SlotSummary
 */

const isSavedModel = (s) => s && (s.weights instanceof Uint8Array || s.weights instanceof Blob) && s.history && Number.isFinite(s.savedAt);

/**
 * The stored model with its weights read into memory.
 * @returns {Promise<SavedModel>}
 */
async function inMemory(saved) {
  if (!(saved.weights instanceof Blob)) return saved;
  try {
    return { ...saved, weights: new Uint8Array(await saved.weights.arrayBuffer()) };
  } catch (e) {
    throw new Error(`its weights could not be read back from storage (${e.message})`);
  }
}

/** How much this origin may still store, as the browser estimates it, or null where it says nothing. */
async function freeSpace() {
  try {
    const { quota, usage } = await navigator.storage.estimate();
    return Number.isFinite(quota) && Number.isFinite(usage) ? Math.max(0, quota - usage) : null;
  } catch {
    return null;
  }
}

/**
 * Whether a failed write failed for want of space: Chromium's QuotaExceededError comes with an
 * empty message, so it is told by its name.
 */
export const isQuotaError = (error) => error?.name === 'QuotaExceededError' || /quota/i.test(error?.message ?? '');

/**
 * The browser's estimate of the room left, as " (40 MB free)", said only where it agrees that
 * `bytes` did not fit: a quota set by policy or by DevTools is enforced without being estimated.
 */
export async function roomLeft(bytes) {
  const free = await freeSpace();
  return free !== null && free < bytes ? ` (${megabytes(free)} free)` : '';
}

/** What a failed write of `bytes` says to a person: never an empty pair of parentheses. */
export async function storageProblem(error, bytes = 0) {
  if (isQuotaError(error)) return `this browser's storage for the page is full${await roomLeft(bytes)}`;
  return error?.message || error?.name || String(error);
}

/** A fresh, unguessable tab id. */
const newId = () => crypto.randomUUID();

/**
 * Takes the tab's lock `id` and keeps it until the tab closes.
 * @returns {Promise<boolean>} whether this tab now holds it (false: another tab does)
 */
function holdLock(id) {
  if (!navigator.locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    navigator.locks
      .request(LOCK + id, { ifAvailable: true }, (lock) => {
        resolve(Boolean(lock));
        // Held until the page goes away.
        return lock ? new Promise(() => {}) : undefined;
      })
      .catch(() => resolve(true));
  });
}

/** The ids of the tabs open now, or null where Web Locks are missing (then every slot counts as live). */
async function liveTabs() {
  if (!navigator.locks) return null;
  const { held = [] } = await navigator.locks.query();
  return new Set(held.map((l) => l.name).filter((n) => n?.startsWith(LOCK)).map((n) => n.slice(LOCK.length)));
}

export class Autosave {
  /**
   * Claims this tab's slot.
   * @returns {Promise<Autosave>}
   */
  static async open() {
    if (!globalThis.indexedDB) throw new Error('this browser gives the page no storage (IndexedDB is unavailable, as in some private windows)');
    const autosave = new Autosave();
    await autosave.claimId();
    await autosave.adoptLegacy();
    return autosave;
  }

  constructor() {
    this.id = null;
    /** Where the model this tab starts from came from: 'own' | 'adopted' | 'copied', or null. */
    this.origin = null;
    /** The kept dataset this tab trains on, and how to let go of its lock. */
    this.datasetInUse = null;
  }

  async claimId() {
    let id = null;
    try {
      id = sessionStorage.getItem(TAB_ID);
    } catch {
      // sessionStorage refused (storage blocked): a new id each load, so a reload starts from
      // the most recent slot, which is this tab's own once its lock is gone.
    }
    if (!id || !(await holdLock(id))) {
      id = newId();
      await holdLock(id);
    }
    this.setId(id);
  }

  setId(id) {
    this.id = id;
    try {
      sessionStorage.setItem(TAB_ID, id);
    } catch {
      // See claimId.
    }
  }

  async adoptLegacy() {
    const legacy = await get(LEGACY_KEY);
    if (!isSavedModel(legacy)) return;
    await set(SLOT + newId(), legacy);
    await del(LEGACY_KEY);
  }

  /**
   * The saved model this tab starts from: its own slot (a reload), else the most recent slot of any
   * tab: adopted when its tab is gone, copied when it is open.
   * @returns {Promise<SavedModel | undefined>}
   */
  async restorable() {
    const own = await get(SLOT + this.id);
    if (isSavedModel(own)) {
      this.origin = 'own';
      return inMemory(own);
    }
    const live = await liveTabs();
    const slots = (await this.slots()).filter(([id]) => id !== this.id);
    const latest = slots.sort((a, b) => b[1].savedAt - a[1].savedAt)[0];
    if (!latest) return undefined;
    const [id, saved] = latest;
    if (live && !live.has(id) && (await holdLock(id))) {
      this.setId(id);
      this.origin = 'adopted';
    } else {
      this.origin = 'copied';
    }
    return inMemory(saved);
  }

  /** @returns {Promise<Array<[string, SavedModel]>>} every valid slot */
  async slots() {
    const all = await entries();
    return all.filter(([key, value]) => typeof key === 'string' && key.startsWith(SLOT) && isSavedModel(value)).map(([key, value]) => [key.slice(SLOT.length), value]);
  }

  /** @returns {Promise<SlotSummary[]>} the other tabs' slots, most recent first */
  async others() {
    const live = await liveTabs();
    return (await this.slots())
      .filter(([id]) => id !== this.id)
      .map(([id, s]) => ({ id, savedAt: s.savedAt, step: s.step ?? null, live: !live || live.has(id) }))
      .sort((a, b) => b.savedAt - a.savedAt);
  }

  /** @param {string} id @returns {Promise<SavedModel | undefined>} */
  async read(id) {
    const saved = await get(SLOT + id);
    return isSavedModel(saved) ? inMemory(saved) : undefined;
  }

  /** @param {SavedModel | (Omit<SavedModel, 'weights'> & {weights: Blob})} saved */
  save(saved) {
    // The weights as a Blob, which IndexedDB keeps beside the record: stored as the Uint8Array
    // itself, a 12 MB model was serialised on the main thread within the put, a 50 ms task every
    // autosave; listing the slots then also read every slot's weights. The training worker makes
    // the Blob where it can (worker/model.js: weightsBlob).
    const weights = saved.weights instanceof Blob ? saved.weights : new Blob([saved.weights]);
    return set(SLOT + this.id, { ...saved, weights });
  }

  /**
   * Keeps a dataset file (as a Blob, like the weights) with what the page says of it.
   * @param {import('./data-panel.js').Dataset} dataset
   */
  saveDataset({ blob, summary, description, split }) {
    return set(DATASET + summary.hash, { bytes: blob, name: summary.name, description, split });
  }

  /**
   * The dataset `hash` as storage keeps it, taken into use by this tab first (`useDataset`), so
   * that no other tab prunes it between the read and the use.
   * @param {string} hash
   * @returns {Promise<{bytes: Uint8Array, blob: Blob, description: string, split?: object} | undefined>}
   */
  async readDataset(hash) {
    await this.useDataset(hash);
    const kept = await get(DATASET + hash);
    if (!kept || !(kept.bytes instanceof Blob)) return undefined;
    return { bytes: new Uint8Array(await kept.bytes.arrayBuffer()), blob: kept.bytes, description: kept.description ?? '', split: kept.split };
  }

  /**
   * Marks the dataset `hash` (null: the shipped digits) as the one this tab trains on, for as
   * long as it does: a shared Web Lock named after it, which every tab's pruning respects, so a
   * dataset another tab is using stays in storage even before any slot names it.
   * @param {string | null} hash
   */
  useDataset(hash) {
    // One change at a time: two overlapping calls would each wait for a lock, and the first
    // granted would be overwritten and never released.
    const change = (this.datasetChange ?? Promise.resolve()).then(() => this.holdDataset(hash));
    // A failed change (Web Locks refusing the request) must not stop every later one.
    this.datasetChange = change.catch(() => {});
    return change;
  }

  async holdDataset(hash) {
    if (this.datasetInUse?.hash === hash) return;
    this.datasetInUse?.release();
    this.datasetInUse = null;
    if (!hash || !navigator.locks) return;
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await new Promise((granted) => {
      navigator.locks
        .request(DATASET_LOCK + hash, { mode: 'shared' }, () => {
          granted();
          return held;
        })
        .catch(granted);
    });
    this.datasetInUse = { hash, release };
  }

  /**
   * Drops the datasets that no slot trains on and no open tab uses. Where the browser has no Web
   * Locks, which tabs use what cannot be known, so nothing is dropped.
   */
  async pruneDatasets() {
    if (!navigator.locks) return;
    const { held = [], pending = [] } = await navigator.locks.query();
    const inUse = [...held, ...pending].map((l) => l.name).filter((n) => n?.startsWith(DATASET_LOCK)).map((n) => n.slice(DATASET_LOCK.length));
    const used = new Set([...inUse, ...(await this.slots()).map(([, s]) => s.dataset?.hash).filter(Boolean)]);
    const stored = (await keys()).filter((key) => typeof key === 'string' && key.startsWith(DATASET));
    await Promise.all(stored.filter((key) => !used.has(key.slice(DATASET.length))).map((key) => del(key)));
  }

  /** Clears this tab's slot only. */
  clear() {
    return del(SLOT + this.id);
  }

  /** Discards another tab's slot, unless that tab is open. */
  async discard(id) {
    const live = await liveTabs();
    if (live?.has(id)) throw new Error('that tab is still open: discard its model there, with Train from scratch');
    await del(SLOT + id);
  }
}
