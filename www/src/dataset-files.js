// A person's files made into a dataset, in the dataset worker (dataset-worker.js), so the page
// never waits on them: IDX files (gzipped or not) are read by the wasm; images (PNG, JPEG, WebP)
// are decoded by the browser's own decoders (createImageBitmap, then an OffscreenCanvas for their
// RGBA pixels) and converted by the wasm (src/data/convert.rs says how). Every limit is checked
// before the work it guards (src/data/bounds.rs): a file's size before it is read, a folder's
// count before anything is decoded, and an image's pixels and its conversion's cost, read from
// its header, before the browser decodes it.

import { DatasetBuilder, datasetSummary, idxRank, imageSize, settingLimits } from '../../pkg/latent_lab.js';
import { DatasetRefused, isImage, nothingChanged } from './dataset-rules.js';
import { megabytes, thousands } from './quantities.js';

/** Images decoded at once: enough to keep the decoders busy without holding a folder in memory. */
const DECODING_AT_ONCE = 16;
/** Enough of a file to hold its header: an IDX header, or a JPEG's size after its EXIF block. */
const HEAD_BYTES = 256 * 1024;

/**
 * The files of a drop or a folder picker, with the folder each came from (for labels).
 * @typedef {{file: File, folder: string}} BroughtFile
 */

/**
 * Reads `files` into a dataset builder.
 * @param {BroughtFile[]} files
 * @param {{cell: {width: number, height: number} | null,
 *          progress: (done: number, total: number) => void}} options a sprite sheet's cell size
 *   when one was entered, and where to say how far decoding got
 * @returns {Promise<{builder: DatasetBuilder, name: string, ignored?: number, folders?: string[] | null}>}
 *   the images, the dataset's name, how many files were not images, and the folders whose
 *   order gave the labels (null: no labels from folders)
 */
export async function readDataset(files, { cell, progress }) {
  const limits = settingLimits();
  const maxBytes = limits.datasetFileBytes.max;
  const maxImages = limits.datasetImages.max;
  if (!files.length) throw new DatasetRefused(nothingChanged('No files were given.'));
  const images = files.filter(({ file }) => isImage(file));
  const others = files.filter(({ file }) => !isImage(file));
  for (const { file } of others) checkSize(file, maxBytes);
  const heads = await Promise.all(others.map(({ file }) => head(file)));
  const idx = others.map((brought, i) => ({ ...brought, rank: idxRank(heads[i]) })).filter((b) => b.rank !== undefined);
  const ignored = files.length - idx.length - images.length;
  if (idx.length && images.length) throw new DatasetRefused(nothingChanged('Bring either IDX files or images, not both at once.'));
  if (idx.length) return readIdx(idx);
  if (!images.length) throw new DatasetRefused(nothingChanged(`None of the ${thousands(files.length)} files is an IDX file or a PNG, JPEG or WebP image.`));
  if (images.length > maxImages) throw new DatasetRefused(nothingChanged(`${thousands(images.length)} images; the page trains on at most ${thousands(maxImages)}.`));
  if (images.length === 1 && !cell) {
    throw new DatasetRefused(nothingChanged(`One image, ${images[0].file.name}: a dataset needs at least ${thousands(limits.datasetImages.min)}. If it is a sprite sheet, enter its cell size and bring it again.`));
  }
  const name = folderName(images) ?? (images.length === 1 ? stem(images[0].file.name) : `${thousands(images.length)} images`);
  if (images.length === 1 && cell) return { builder: await readSheet(images[0].file, stem(images[0].file.name), cell, maxBytes), name, ignored, folders: null };
  return { ...(await readImages(images, folderName(images) ?? 'images', limits, progress)), name, ignored };
}

/** The first bytes of a file: enough for any header the page reads. */
async function head(file) {
  return new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
}

const RANKS = { 3: 'an IDX images file', 1: 'an IDX labels file' };

/**
 * An images file and at most one labels file, told apart by the dimensions their headers
 * declare, so that a refusal gives the fault itself, whichever order they came in.
 * @param {(BroughtFile & {rank: number})[]} files
 */
async function readIdx(files) {
  const names = files.map((b) => b.file.name);
  if (files.length > 2) throw new DatasetRefused(nothingChanged(`${thousands(files.length)} IDX files: bring one images file, and its labels file if you have it.`));
  const images = files.find((b) => b.rank === 3) ?? (files.length === 1 ? files[0] : undefined);
  const labels = files.find((b) => b !== images);
  if (!images || (labels && labels.rank !== 1)) {
    const what = files.map((b) => `${b.file.name} is ${RANKS[b.rank] ?? `an IDX file of ${b.rank} dimensions`}`).join(' and ');
    throw new DatasetRefused(nothingChanged(`${what}: bring one images file (three dimensions: count, rows, columns), and its labels file (one dimension) if you have it.`));
  }
  const [imageBytes, labelBytes] = await Promise.all([images, labels].map(async (b) => b && new Uint8Array(await b.file.arrayBuffer())));
  const what = labels ? `${names[files.indexOf(images)]} with ${labels.file.name}` : images.file.name;
  try {
    return { builder: DatasetBuilder.fromIdx(stem(images.file.name), imageBytes, labelBytes), name: stem(images.file.name) };
  } catch (e) {
    throw new DatasetRefused(nothingChanged(`${what}: ${e.message}.`));
  }
}

/** Refuses a file over the page's limit, before it is read. */
function checkSize(file, maxBytes) {
  if (file.size > maxBytes) throw new DatasetRefused(nothingChanged(`${file.name} is ${megabytes(file.size)}; the page reads files of at most ${megabytes(maxBytes)}.`));
}

/** Runs a wasm call on `file`, naming the file in its refusal. */
function named(file, call) {
  try {
    return call();
  } catch (e) {
    throw new DatasetRefused(nothingChanged(`${file.name}: ${e.message}.`));
  }
}

/**
 * The width and height an image's header declares: read before anything is decoded, so that an
 * image too large to decode or convert is refused first.
 * @returns {Promise<{width: number, height: number}>}
 */
async function declaredSize(file) {
  let size;
  try {
    size = imageSize(await head(file));
  } catch (first) {
    // A header past the first bytes (a JPEG with a long EXIF block): the whole file.
    if (file.size <= HEAD_BYTES) throw new DatasetRefused(nothingChanged(`${file.name}: ${first.message}.`));
    const whole = new Uint8Array(await file.arrayBuffer());
    size = named(file, () => imageSize(whole));
  }
  return { width: size[0], height: size[1] };
}

/** @param {File} file @returns {Promise<{rgba: Uint8ClampedArray, width: number, height: number}>} */
async function decode(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new DatasetRefused(nothingChanged(`${file.name} could not be decoded as an image (damaged, or not what its name says).`));
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
  const maxFolders = limits.labelFolders.max;
  if (labelled && folders.length > maxFolders) throw new DatasetRefused(nothingChanged(`The images are in ${thousands(folders.length)} folders; labels from folders go up to ${thousands(maxFolders)}.`));
  const builder = new DatasetBuilder(name);
  try {
    for (let start = 0; start < images.length; start += DECODING_AT_ONCE) {
      const batch = images.slice(start, start + DECODING_AT_ONCE);
      for (const { file } of batch) checkSize(file, maxBytes);
      const sizes = await Promise.all(batch.map((b) => declaredSize(b.file)));
      // The whole set's cost from the first header, before any image is decoded.
      if (start === 0) named(batch[0].file, () => builder.planImages(images.length, sizes[0].width, sizes[0].height));
      sizes.forEach(({ width, height }, i) => named(batch[i].file, () => builder.checkImage(width, height)));
      const decoded = await Promise.all(batch.map((b) => decode(b.file)));
      decoded.forEach(({ rgba, width, height }, i) => {
        const label = labelled ? folders.indexOf(batch[i].folder) : undefined;
        named(batch[i].file, () => builder.addImage(new Uint8Array(rgba.buffer), width, height, label));
      });
      progress(Math.min(start + DECODING_AT_ONCE, images.length), images.length);
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
  const { width, height } = await declaredSize(file);
  const builder = new DatasetBuilder(name);
  try {
    named(file, () => builder.checkSheet(width, height, cell.width, cell.height));
    const decoded = await decode(file);
    named(file, () => builder.addSheet(new Uint8Array(decoded.rgba.buffer), decoded.width, decoded.height, cell.width, cell.height));
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
 * Splits a builder's images into the dataset file the trainer reads, with what the page shows of
 * it (data-panel.js: Dataset).
 * @param {DatasetBuilder} builder
 * @param {string} name the dataset's name, for a refusal
 * @param {{percent: number, seed: number}} split
 * @param {{ignored?: number, folders?: string[] | null}} [read] the files that were not images,
 *   and the folders whose order gave the labels
 */
export function finishDataset(builder, name, split, { ignored = 0, folders = null } = {}) {
  let bytes;
  try {
    bytes = builder.finish(split.percent, split.seed);
  } catch (e) {
    throw new DatasetRefused(nothingChanged(`${name}: ${e.message}.`));
  }
  const labels = folders ? ` Labels from the folders: ${folders.map((f, i) => `${f.split('/').at(-1)} = ${i}`).slice(0, 12).join(', ')}${folders.length > 12 ? ', …' : ''}.` : '';
  const skipped = ignored ? ` ${thousands(ignored)} files that are not images were left out.` : '';
  const description = `Converted: ${builder.description()}. Binarised or not as the data setting says, at training time.${labels}${skipped}`;
  return { blob: new Blob([bytes]), summary: datasetSummary(bytes), description, builtIn: false, split };
}
