// A dataset drawn on the pad: each drawing (as the encoder sees it, 28×28) added with an optional
// label, shown as a thumbnail that a click removes; trained on once there are enough, and
// exported as IDX files, which the data panel reads back. The drawings are kept in this tab's
// sessionStorage (12.5 KB for 16), so a reload does not lose them and another tab has its own.

import { DatasetBuilder, idxImagesFile, idxLabelsFile } from '../../pkg/latent_lab.js';
import { $ } from './dom.js';
import { paintDigit } from './digit.js';

const PIXELS = 784;
const KEPT = 'latent-lab/drawings';

/** The drawings this tab kept, or none where storage is refused or holds something else. */
function keptDrawings() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(KEPT) ?? '[]');
    return kept
      .map(({ pixels, label }) => ({ pixels: Uint8Array.from(atob(pixels), (c) => c.charCodeAt(0)), label }))
      .filter(({ pixels, label }) => pixels.length === PIXELS && (label === null || (Number.isInteger(label) && label >= 0 && label <= 255)));
  } catch {
    return [];
  }
}

export class DrawnSet {
  /**
   * @param {{drawing: () => Float32Array | null, train: (builder: DatasetBuilder, name: string) => void,
   *          error: (message: string) => void}} actions
   * @param {number} minimum images a dataset needs
   */
  constructor(actions, minimum) {
    this.actions = actions;
    this.minimum = minimum;
    /** @type {{pixels: Uint8Array, label: number | null}[]} */
    this.drawings = keptDrawings();
    this.thumbs = $('drawn-set');
    this.label = $('drawing-label');
    $('add-drawing').addEventListener('click', () => this.add());
    $('train-drawn').addEventListener('click', () => this.train());
    $('export-drawn').addEventListener('click', () => this.exportIdx());
    $('clear-drawn').addEventListener('click', () => {
      if (this.drawings.length && !confirm(`Remove all ${this.drawings.length} drawings from your dataset?`)) return;
      this.drawings = [];
      this.render();
    });
    this.render();
  }

  /** Adds the pad's drawing, with the label entered (none when the field is blank). */
  add() {
    const drawing = this.actions.drawing();
    if (!drawing) {
      this.actions.error('Draw something on the pad first, then add it to your dataset.');
      return;
    }
    const text = this.label.value.trim();
    const label = text === '' ? null : Number(text);
    if (label !== null && !(Number.isInteger(label) && label >= 0 && label <= 255)) {
      this.actions.error(`A label is a whole number from 0 to 255, or blank for none (got “${text}”). The drawing was not added.`);
      return;
    }
    const pixels = Uint8Array.from(drawing, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
    this.drawings.push({ pixels, label });
    this.render();
  }

  render() {
    try {
      const kept = this.drawings.map(({ pixels, label }) => ({ pixels: btoa(String.fromCharCode(...pixels)), label }));
      sessionStorage.setItem(KEPT, JSON.stringify(kept));
    } catch {
      // Storage refused or full: the drawings stay on the page until it closes.
    }
    this.thumbs.replaceChildren(
      ...this.drawings.map(({ pixels, label }, i) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'thumb';
        button.title = `Drawing ${i + 1}${label === null ? '' : `, label ${label}`}: click to remove it`;
        button.setAttribute('aria-label', button.title);
        const canvas = Object.assign(document.createElement('canvas'), { width: 28, height: 28, className: 'digit tiny' });
        paintDigit(canvas, Float32Array.from(pixels, (v) => v / 255));
        button.append(canvas);
        if (label !== null) button.append(Object.assign(document.createElement('span'), { textContent: String(label) }));
        button.addEventListener('click', () => {
          this.drawings.splice(i, 1);
          this.render();
        });
        return button;
      }),
    );
    const n = this.drawings.length;
    const more = Math.max(0, this.minimum - n);
    $('drawn-count').textContent = `${n} drawing${n === 1 ? '' : 's'} in your dataset${more ? `; ${more} more to train on them` : ''}.`;
    $('train-drawn').disabled = more > 0;
    $('export-drawn').disabled = n === 0;
    $('clear-drawn').disabled = n === 0;
  }

  /** The drawings as a dataset builder; labelled only when every drawing has a label. */
  builder() {
    const builder = new DatasetBuilder('my drawings');
    try {
      for (const { pixels, label } of this.drawings) builder.addDrawing(pixels, label ?? undefined);
    } catch (e) {
      builder.free();
      throw e;
    }
    return builder;
  }

  train() {
    let builder;
    try {
      builder = this.builder();
      // `train` reads the builder before it returns: it is freed just after.
      this.actions.train(builder, 'my drawings');
    } catch (e) {
      this.actions.error(e.message);
    } finally {
      builder?.free();
    }
  }

  /** Downloads the drawings as an IDX images file and, when every one has a label, a labels file. */
  exportIdx() {
    const pixels = new Uint8Array(this.drawings.length * PIXELS);
    this.drawings.forEach((d, i) => pixels.set(d.pixels, i * PIXELS));
    download(idxImagesFile(pixels), 'my-drawings-images-idx3-ubyte');
    if (this.drawings.every((d) => d.label !== null)) {
      download(idxLabelsFile(Uint8Array.from(this.drawings, (d) => d.label)), 'my-drawings-labels-idx1-ubyte');
    }
  }
}

function download(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  Object.assign(document.createElement('a'), { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
