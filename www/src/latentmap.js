// The latent map: the held-out digits' posterior means μ projected on two axes, coloured by
// label, with the prior's 1σ and 2σ circles. If the aggregated posterior matches the prior (the
// VAE's self-consistency: averaged over the data, q(z|x) is p(z)), the cloud fills those circles. Axes are two latent dimensions,
// or the two principal components of the means (computed in the worker with each held-out
// report): an orthonormal projection, under which the prior N(0, I) is still N(0, I₂), so the
// same circles hold.

/** One colour per digit class (Tableau 10). */
export const LABEL_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#79706e'];

/** A label's colour; the first colour for data without labels. */
export const colorOf = (label) => LABEL_COLORS[(label ?? 0) % LABEL_COLORS.length];

/** Unit vector along dimension `i` of `d`. */
const basis = (i, d) => Float32Array.from({ length: d }, (_, j) => (j === i ? 1 : 0));
const dot = (a, b) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * The principal axes of a report (computed with it in the worker), each turned to point the way
 * `previous` did, so that the map does not flip as training moves it.
 */
function followSigns(axes, previous) {
  return axes.map((axis, k) => {
    const v = Float32Array.from(axis);
    if (previous?.[k]?.length === v.length && dot(v, previous[k]) < 0) v.forEach((x, j) => { v[j] = -x; });
    return v;
  });
}

export class LatentMap {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLSelectElement} axisX
   * @param {HTMLSelectElement} axisY
   * @param {(index: number) => void} onPick called with the held-out digit clicked, or picked
   *   with the keyboard (arrow keys move a cursor among the digits, Enter or Space picks)
   * @param {() => void} onAxes called when the axes change
   * @param {HTMLElement} cursorNote where the keyboard cursor's digit is named (a live region)
   */
  constructor(canvas, axisX, axisY, onPick, onAxes, cursorNote) {
    this.canvas = canvas;
    this.selects = [axisX, axisY];
    this.means = null;
    this.labels = null;
    this.latent = 0;
    this.marks = {};
    /** The means' principal directions, computed once per report. */
    this.pca = null;
    for (const select of this.selects) {
      select.addEventListener('change', () => {
        this.draw();
        onAxes();
      });
    }
    canvas.addEventListener('click', (e) => {
      const index = this.nearest(e);
      if (index >= 0) onPick(index);
    });
    /** The held-out digit under the keyboard cursor, or −1. */
    this.cursor = -1;
    this.cursorNote = cursorNote;
    canvas.tabIndex = 0;
    const steps = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    canvas.addEventListener('keydown', (e) => {
      if (!this.projection) return;
      if (steps[e.key]) {
        e.preventDefault();
        this.moveCursor(steps[e.key]);
      } else if ((e.key === 'Enter' || e.key === ' ') && this.cursor >= 0) {
        e.preventDefault();
        onPick(this.cursor);
      }
    });
    canvas.addEventListener('focus', () => {
      if (this.cursor < 0 && this.projection) this.moveCursor(null);
      this.draw();
    });
    canvas.addEventListener('blur', () => this.draw());
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Rebuilds the axis choices for `latent` dimensions: PC1, PC2 and each zᵢ. */
  setLatentSize(latent) {
    if (latent === this.latent) return;
    this.latent = latent;
    const options = [['pc0', 'PC 1'], ['pc1', 'PC 2'], ...Array.from({ length: latent }, (_, i) => [`z${i}`, `z${i + 1}`])];
    // Two dimensions are shown as they are; more, through their principal components.
    const defaults = latent === 2 ? ['z0', 'z1'] : ['pc0', 'pc1'];
    this.selects.forEach((select, k) => {
      select.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
      select.value = defaults[k];
    });
    this.pca = null;
    this.means = null;
  }

  /** @returns {Float32Array[]} the two directions in z the map's axes show */
  axes() {
    const d = this.latent;
    const pca = this.pca ?? [basis(0, d), basis(Math.min(1, d - 1), d)];
    return this.selects.map((select) => {
      const v = select.value;
      return v.startsWith('pc') ? pca[Number(v.slice(2))] : basis(Number(v.slice(1)), d);
    });
  }

  /** Axis names, for captions. */
  axisNames() {
    return this.selects.map((s) => s.selectedOptions[0]?.text ?? '');
  }

  /**
   * Shows a report's means, or nothing (the prior's axes) when `means` is empty; draws once.
   * @param {Float32Array | number[]} means `n × latent` posterior means of the held-out digits
   * @param {Uint8Array | null} labels their classes, or null when the data has none
   * @param {{axes?: number[][], marks?: object}} [extra] the means' two principal directions,
   *   and rings around picked digits (`{A: index, B: index}`)
   */
  show(means, labels, { axes, marks } = {}) {
    this.means = means.length ? Float32Array.from(means) : null;
    this.labels = labels;
    this.pca = this.means && axes ? followSigns(axes, this.pca) : null;
    if (marks) this.marks = marks;
    this.projection = null;
    this.draw();
  }

  /** Rings around picked digits: `{A: index, B: index}`. */
  mark(marks) {
    this.marks = marks;
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const size = Math.round(canvas.clientWidth * devicePixelRatio) || 320;
    if (canvas.width !== size) Object.assign(canvas, { width: size, height: size });
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size, size);
    if (!this.means || !this.latent) return;
    const [u, v] = this.axes();
    const d = this.latent;
    const n = this.means.length / d;
    const xy = new Float32Array(2 * n);
    for (let r = 0; r < n; r++) {
      const row = this.means.subarray(r * d, (r + 1) * d);
      xy[2 * r] = dot(row, u);
      xy[2 * r + 1] = dot(row, v);
    }
    // Scale: at least the prior's 3σ, wide enough for all but the farthest 1% of points.
    const extent = [...xy].map(Math.abs).sort((a, b) => a - b)[Math.floor(0.99 * (xy.length - 1))];
    const range = Math.max(3, Math.ceil(extent * 1.1));
    const px = (t) => ((t + range) / (2 * range)) * size;
    const py = (t) => size - ((t + range) / (2 * range)) * size;
    this.projection = { xy, px, py };

    const scale = size / 320;
    ctx.strokeStyle = '#e3e6ec';
    ctx.lineWidth = scale;
    for (let t = -range; t <= range; t++) {
      ctx.beginPath(); ctx.moveTo(px(t), 0); ctx.lineTo(px(t), size); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, py(t)); ctx.lineTo(size, py(t)); ctx.stroke();
    }
    const dotSize = 2.2 * scale;
    for (let r = 0; r < n; r++) {
      ctx.fillStyle = colorOf(this.labels?.[r]);
      ctx.globalAlpha = 0.75;
      ctx.beginPath();
      ctx.arc(px(xy[2 * r]), py(xy[2 * r + 1]), dotSize, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    // The prior's 1σ and 2σ contours.
    ctx.strokeStyle = '#1d2330';
    ctx.font = `${11 * scale}px system-ui, sans-serif`;
    ctx.fillStyle = '#1d2330';
    for (const [radius, dash] of [[1, []], [2, [6 * scale, 4 * scale]]]) {
      ctx.setLineDash(dash);
      ctx.lineWidth = 1.5 * scale;
      ctx.beginPath();
      ctx.arc(px(0), py(0), (radius / (2 * range)) * size, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillText(`${radius}σ`, px(radius * 0.72) + 2 * scale, py(radius * 0.72) - 2 * scale);
    }
    ctx.setLineDash([]);
    for (const [name, index] of Object.entries(this.marks)) {
      if (index == null || index >= n) continue;
      const [x, y] = [px(xy[2 * index]), py(xy[2 * index + 1])];
      ctx.lineWidth = 2.5 * scale;
      ctx.strokeStyle = '#000';
      ctx.beginPath();
      ctx.arc(x, y, 7 * scale, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.font = `bold ${13 * scale}px system-ui, sans-serif`;
      ctx.fillStyle = '#000';
      ctx.fillText(name, x + 9 * scale, y - 6 * scale);
    }
    if (this.cursor >= 0 && this.cursor < n && document.activeElement === canvas) {
      const [x, y] = [px(xy[2 * this.cursor]), py(xy[2 * this.cursor + 1])];
      ctx.lineWidth = 2 * scale;
      ctx.strokeStyle = '#0b57d0';
      ctx.strokeRect(x - 6 * scale, y - 6 * scale, 12 * scale, 12 * scale);
    }
    ctx.font = `${11 * scale}px system-ui, sans-serif`;
    ctx.fillStyle = '#5b6475';
    const [nx, ny] = this.axisNames();
    ctx.fillText(`${nx} →  (±${range})`, 6 * scale, size - 6 * scale);
    ctx.save();
    ctx.translate(12 * scale, size - 80 * scale);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(`${ny} →`, 0, 0);
    ctx.restore();
  }

  /**
   * Moves the keyboard cursor to the nearest digit in direction `[dx, dy]` on the map (up is +y),
   * favouring digits straight ahead; `null` puts it on the digit nearest the centre.
   */
  moveCursor(direction) {
    const { xy } = this.projection;
    const n = xy.length / 2;
    const [x0, y0] = this.cursor >= 0 && direction ? [xy[2 * this.cursor], xy[2 * this.cursor + 1]] : [0, 0];
    let best = -1;
    let bestScore = Infinity;
    for (let r = 0; r < n; r++) {
      const [dx, dy] = [xy[2 * r] - x0, xy[2 * r + 1] - y0];
      const along = direction ? dx * direction[0] + dy * direction[1] : 0;
      const across = direction ? Math.abs(dx * direction[1] - dy * direction[0]) : Math.hypot(dx, dy);
      if (r === this.cursor || (direction && along <= 0)) continue;
      const score = along + 2 * across;
      if (score < bestScore) [best, bestScore] = [r, score];
    }
    if (best < 0) return;
    this.cursor = best;
    this.draw();
    this.cursorNote.textContent = `Cursor on held-out image #${best}${this.labels ? ` (label ${this.labels[best]})` : ''}; Enter picks it.`;
  }

  /** Index of the digit under a click, or −1 when none is within a few pixels. */
  nearest(event) {
    if (!this.projection) return -1;
    const rect = this.canvas.getBoundingClientRect();
    const ratio = this.canvas.width / rect.width;
    const [x, y] = [(event.clientX - rect.left) * ratio, (event.clientY - rect.top) * ratio];
    const { xy, px, py } = this.projection;
    let best = -1;
    let bestDistance = (12 * ratio) ** 2;
    for (let r = 0; r < xy.length / 2; r++) {
      const distance = (px(xy[2 * r]) - x) ** 2 + (py(xy[2 * r + 1]) - y) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [r, distance];
    }
    return best;
  }
}
