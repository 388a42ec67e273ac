// The drawing pad: Pointer Events (mouse, touch and pen alike), coalesced for smooth strokes,
// and `touch-action: none` in CSS so a finger draws instead of scrolling.

import { preprocess } from './preprocess.js';

/** Stroke width as a share of the pad's side: about MNIST's stroke once scaled to 20×20. */
const STROKE = 0.075;

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(pixels: Float32Array | null) => void} onDrawing the preprocessed 28×28 drawing,
   *   at most once per animation frame while drawing, and null when cleared
   */
  constructor(canvas, onDrawing) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.onDrawing = onDrawing;
    this.last = null;
    this.pending = false;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel']) canvas.addEventListener(type, () => this.up());
  }

  /** Canvas pixel coordinates of a pointer event, whatever the CSS size. */
  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    return [
      ((e.clientX - rect.left) / rect.width) * this.canvas.width,
      ((e.clientY - rect.top) / rect.height) * this.canvas.height,
    ];
  }

  down(e) {
    if (e.button !== 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.last = this.point(e);
    this.segment(this.last, this.last);
  }

  move(e) {
    if (!this.last) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const event of events.length ? events : [e]) {
      const p = this.point(event);
      this.segment(this.last, p);
      this.last = p;
    }
  }

  up() {
    if (!this.last) return;
    this.last = null;
    this.report();
  }

  segment([x0, y0], [x1, y1]) {
    const ctx = this.ctx;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#000';
    ctx.lineWidth = STROKE * this.canvas.width;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => this.report());
    }
  }

  report() {
    this.pending = false;
    this.onDrawing(this.pixels());
  }

  /** The drawing, preprocessed like MNIST; null when the pad is empty. */
  pixels() {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i + 3] / 255;
    return preprocess(ink, width, height);
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.last = null;
    this.onDrawing(null);
  }
}
