// A person's files made into a dataset, in this tab and nowhere else: IDX files (gzipped or not)
// are read by the wasm; images (PNG, JPEG, WebP) are decoded by the browser's own decoders
// (createImageBitmap, then an OffscreenCanvas for their RGBA pixels) and converted by the wasm
// (src/data/convert.rs says how). Every limit is checked before the work it guards: a file's
// size before it is read, a folder's count before anything is decoded.

import { DatasetBuilder, looksLikeIdx } from '../../pkg/latent_lab.js';

const IMAGE_TYPES = /\.(png|jpe?g|webp)$/i;
/** Images decoded at once: enough to keep the decoders busy without holding a folder in memory. */
const DECODING_AT_ONCE = 16;

const count = (n) => n.toLocaleString('en');
const megabytes = (bytes) => `${Math.round(bytes / 1e6).toLocaleString('en')} MB`;

/** A refusal to show as it is: the message says what was wrong and what the limit is. */
export class DatasetRefused extends Error {}

/**
 * Whether a file is an IDX file (or gzipped), from its first bytes.
 * @param {File} file
 */
export async function isIdx(file) {
  return looksLikeIdx(new Uint8Array(await file.slice(0, 4).arrayBuffer()));
}

export const isImage = (file) => IMAGE_TYPES.test(file.name) || /^image\/(png|jpeg|webp)$/.test(file.type);

/**
 * The files of a drop or a folder picker, with the folder each came from (for labels).
 * @typedef {{file: File, folder: string}} BroughtFile
 */

/**
 * Reads `files` into a dataset builder.
 * @param {BroughtFile[]} files
 * @param {{limits: object, cell: {width: number, height: number} | null,
 *          progress: (message: string) => void}} options the page's limits (settingLimits()),
 *   a sprite sheet's cell size when one was entered, and where to say how far decoding got
 * @returns {Promise<{builder: DatasetBuilder, name: string, ignored?: number, folders?: string[] | null}>}
 *   the images, the dataset's name, how many files were not images, and the folders whose
 *   order gave the labels (null: no labels from folders)
 */
export async function readDataset(files, { limits, cell, progress }) {
  const maxBytes = limits.datasetFileBytes.max;
  const maxImages = limits.datasetImages.max;
  if (!files.length) throw new DatasetRefused('No files were given.');
  const images = files.filter(({ file }) => isImage(file));
  // The first read of a picked file's size asks the file system (about 0.2 ms a file in
  // Chromium: 1.1 s for a folder of 6,000, all in one task), so images are checked a batch at a
  // time as they are decoded, and only the other files here.
  const others = files.filter(({ file }) => !isImage(file));
  for (const { file } of others) checkSize(file, maxBytes);
  const idx = [];
  for (const brought of others) if (await isIdx(brought.file)) idx.push(brought);
  const ignored = files.length - idx.length - images.length;
  if (idx.length && images.length) throw new DatasetRefused('Bring either IDX files or images, not both at once. Nothing was changed.');
  if (idx.length) return readIdx(idx.map((b) => b.file));
  if (!images.length) throw new DatasetRefused(`None of the ${count(files.length)} files is an IDX file or a PNG, JPEG or WebP image. Nothing was changed.`);
  if (images.length > maxImages) throw new DatasetRefused(`${count(images.length)} images; the page trains on at most ${count(maxImages)}. Nothing was changed.`);
  if (images.length === 1 && !cell) throw new DatasetRefused(`One image, ${images[0].file.name}: a dataset needs at least ${count(limits.datasetImages.min)}. If it is a sprite sheet, enter its cell size and bring it again. Nothing was changed.`);
  const name = folderName(images) ?? (images.length === 1 ? stem(images[0].file.name) : `${count(images.length)} images`);
  if (images.length === 1 && cell) return { builder: await readSheet(images[0].file, stem(images[0].file.name), cell, maxBytes), name, ignored, folders: null };
  return { ...(await readImages(images, folderName(images) ?? 'images', limits, progress)), name, ignored };
}

/**
 * An images file and at most one labels file, told apart by their dimensions (the wasm says
 * which is which when it refuses one).
 * @param {File[]} files
 */
async function readIdx(files) {
  if (files.length > 2) throw new DatasetRefused(`${count(files.length)} IDX files: bring one images file, and its labels file if you have it. Nothing was changed.`);
  const bytes = await Promise.all(files.map(async (f) => new Uint8Array(await f.arrayBuffer())));
  const attempt = (images, labels) => DatasetBuilder.fromIdx(stem(files[images].name), bytes[images], labels === undefined ? undefined : bytes[labels]);
  if (files.length === 1) return { builder: named(files[0], () => attempt(0)), name: stem(files[0].name) };
  // Whichever order the person picked them in: the first reading that works.
  try {
    return { builder: attempt(0, 1), name: stem(files[0].name) };
  } catch (first) {
    try {
      return { builder: attempt(1, 0), name: stem(files[1].name) };
    } catch {
      throw new DatasetRefused(`${files[0].name} and ${files[1].name} are not an IDX images file and its labels: ${first.message}. Nothing was changed.`);
    }
  }
}

/** Refuses a file over the page's limit, before it is read. */
function checkSize(file, maxBytes) {
  if (file.size > maxBytes) throw new DatasetRefused(`${file.name} is ${megabytes(file.size)}; the page reads files of at most ${megabytes(maxBytes)}. Nothing was changed.`);
}

/** Runs a wasm call on `file`, naming the file in its refusal. */
function named(file, call) {
  try {
    return call();
  } catch (e) {
    throw new DatasetRefused(`${file.name}: ${e.message}. Nothing was changed.`);
  }
}

/** @param {File} file @returns {Promise<{rgba: Uint8ClampedArray, width: number, height: number}>} */
async function decode(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new DatasetRefused(`${file.name} could not be decoded as an image (damaged, or not what its name says). Nothing was changed.`);
  }
  const { width, height } = bitmap;
  const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { rgba: context.getImageData(0, 0, width, height).data, width, height };
}

/**
 * Images, labelled by their folders when they come from two or more (a folder per class, as
 * image-classification sets are laid out).
 * @param {BroughtFile[]} images
 * @returns {Promise<{builder: DatasetBuilder, folders: string[] | null}>}
 */
async function readImages(images, name, limits, progress) {
  const maxBytes = limits.datasetFileBytes.max;
  const folders = [...new Set(images.map((b) => b.folder))].sort();
  const labelled = folders.length >= 2;
  if (labelled && folders.length > 256) throw new DatasetRefused(`The images are in ${count(folders.length)} folders; labels from folders go up to 256. Nothing was changed.`);
  const builder = new DatasetBuilder(name);
  try {
    for (let start = 0; start < images.length; start += DECODING_AT_ONCE) {
      const batch = images.slice(start, start + DECODING_AT_ONCE);
      for (const { file } of batch) checkSize(file, maxBytes);
      const decoded = await Promise.all(batch.map((b) => decode(b.file)));
      decoded.forEach(({ rgba, width, height }, i) => {
        const label = labelled ? folders.indexOf(batch[i].folder) : undefined;
        named(batch[i].file, () => builder.addImage(new Uint8Array(rgba.buffer), width, height, label));
      });
      progress(`Decoding images: ${count(Math.min(start + DECODING_AT_ONCE, images.length))} of ${count(images.length)}…`);
    }
  } catch (e) {
    builder.free();
    throw e;
  }
  return { builder, folders: labelled ? folders : null };
}

/** One image cut into cells of the size entered. */
async function readSheet(file, name, cell, maxBytes) {
  checkSize(file, maxBytes);
  const { rgba, width, height } = await decode(file);
  const builder = new DatasetBuilder(name);
  try {
    named(file, () => builder.addSheet(new Uint8Array(rgba.buffer), width, height, cell.width, cell.height));
  } catch (e) {
    builder.free();
    throw e;
  }
  return builder;
}

/** The top folder the images came from, if they came from one. */
function folderName(images) {
  const tops = new Set(images.map((b) => b.folder.split('/')[0]).filter(Boolean));
  return tops.size === 1 ? [...tops][0] : null;
}

/** A file's name without its extensions: `train-images-idx3-ubyte.gz` → `train-images-idx3-ubyte`. */
const stem = (name) => name.replace(/(\.(gz|idx\d?|png|jpe?g|webp|bin))+$/i, '');

/**
 * The files of a picker (`webkitRelativePath` gives a folder's layout).
 * @param {FileList} list
 * @returns {BroughtFile[]}
 */
export function pickedFiles(list) {
  return [...list].map((file) => ({ file, folder: file.webkitRelativePath.split('/').slice(0, -1).join('/') }));
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
      if (IMAGE_TYPES.test(entry.name) && ++images > maxImages) throw new DatasetRefused(`The folder holds more than ${count(maxImages)} images; the page trains on at most ${count(maxImages)}. Nothing was changed.`);
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
