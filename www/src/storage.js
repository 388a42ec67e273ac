// Autosave: the model being trained, its step count and the plot, kept in IndexedDB (through
// idb-keyval) so a reload, a crash or a closed tab loses at most a few seconds of training.

import { del, get, set } from 'idb-keyval';

const KEY = 'latent-lab/session/v1';

/**
 * @typedef {{
 *   weights: Uint8Array,
 *   history: {train: object[], heldout: object[]},
 *   savedAt: number,
 * }} SavedSession
 */

/** @param {SavedSession} session */
export function saveSession(session) {
  return set(KEY, session);
}

/** @returns {Promise<SavedSession | undefined>} the last autosave, if any */
export async function loadSession() {
  const session = await get(KEY);
  const valid = session && session.weights instanceof Uint8Array && session.history && Number.isFinite(session.savedAt);
  return valid ? session : undefined;
}

export function clearSession() {
  return del(KEY);
}
