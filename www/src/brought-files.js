// The files a person brings, as the page's main thread takes them from a picker or a drop: each
// with the folder it came from (which gives labels). Reading them into a dataset is the dataset
// worker's (dataset-reader.js).

import { looksLikeIdx } from '../../pkg/latent_lab.js';
import { DatasetRefused, isImageName, nothingChanged } from './dataset-rules.js';
import { thousands } from './quantities.js';

/**
 * The files of a drop or a folder picker, with the folder each came from (for labels).
 * @typedef {{file: File, folder: string}} BroughtFile
 */

/**
 * Whether a file is an IDX file (or gzipped), from its first bytes.
 * @param {File} file
 */
export async function isIdx(file) {
  return looksLikeIdx(new Uint8Array(await file.slice(0, 4).arrayBuffer()));
}

/** How long one slice of listing a picker's files may hold the page's thread. */
const LISTING_SLICE_MS = 10;

/**
 * The files of a picker (`webkitRelativePath` gives a folder's layout), listed in slices that
 * give the page back its thread: all 70,000 of a folder at once held it for 133 ms.
 * @param {FileList} list
 * @returns {Promise<BroughtFile[]>}
 */
export async function pickedFiles(list) {
  const files = [];
  let sliceStart = performance.now();
  for (let i = 0; i < list.length; i++) {
    const file = list[i];
    files.push({ file, folder: file.webkitRelativePath.split('/').slice(0, -1).join('/') });
    if (i % 256 === 255 && performance.now() - sliceStart > LISTING_SLICE_MS) {
      await new Promise((resume) => setTimeout(resume));
      sliceStart = performance.now();
    }
  }
  return files;
}

/**
 * What a drop carries, taken while the drop event runs (its items are gone after it).
 * @typedef {{files: File[], entries: FileSystemEntry[], hasFolder: boolean}} Drop
 * @param {DataTransfer} transfer
 * @returns {Drop}
 */
export function captureDrop(transfer) {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  return { files: [...transfer.files], entries, hasFolder: entries.some((entry) => entry.isDirectory) };
}

/**
 * The files of a drop, folders walked (FileSystemEntry), counting images as it goes so a folder
 * of 100,000 is refused once past the limit rather than listed in full.
 * @param {Drop} drop
 * @param {number} maxImages
 * @returns {Promise<BroughtFile[]>}
 */
export async function droppedFiles({ files: dropped, entries, hasFolder }, maxImages) {
  if (!hasFolder) return dropped.map((file) => ({ file, folder: '' }));
  const files = [];
  let images = 0;
  const walk = async (entry, folder) => {
    if (entry.isFile) {
      if (isImageName(entry.name) && ++images > maxImages) {
        throw new DatasetRefused(nothingChanged(`The folder holds more than ${thousands(maxImages)} images; the page trains on at most ${thousands(maxImages)}.`));
      }
      files.push({ file: await new Promise((resolve, reject) => entry.file(resolve, reject)), folder });
      return;
    }
    const reader = entry.createReader();
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    for (;;) {
      // readEntries answers in batches (100 in Chromium) until it answers none.
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, path);
    }
  };
  for (const entry of entries) await walk(entry, '');
  return files;
}
