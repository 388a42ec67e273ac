// What the page's plots share: a uPlot chart as wide as its container, resized with it, drawn at
// most once per animation frame however many points arrive; and, for the plots against epochs,
// every plotted point kept by list (for the autosave), bounded by halving.

import uPlot from 'uplot';
import { MAX_POINTS, halve } from './downsample.js';

const emptyColumns = (count) => Array.from({ length: count }, () => []);

export class Chart {
  /**
   * @param {HTMLElement} container
   * @param {number} height in CSS pixels; the width is the container's
   * @param {object} options uPlot's options, less the size; one column of data per series
   */
  constructor(container, height, options) {
    this.container = container;
    this.columns = options.series.length;
    this.data = emptyColumns(this.columns);
    this.scheduled = false;
    this.plot = new uPlot({ ...options, width: this.width(), height }, this.data, container);
    new ResizeObserver(() => this.plot.setSize({ width: this.width(), height })).observe(container);
  }

  width() {
    return Math.max(200, this.container.clientWidth);
  }

  /** Empties the chart at once. */
  clear() {
    this.data = emptyColumns(this.columns);
    this.plot.setData(this.data);
  }

  /** Replaces every column, drawn at the next frame. */
  set(data) {
    this.data = data;
    this.draw();
  }

  /** Appends one value to each column, drawn at the next frame. */
  push(row) {
    row.forEach((value, i) => this.data[i].push(value));
    this.draw();
  }

  /** Draws the data at the next frame: a burst of points costs one draw. */
  draw() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.plot.setData(this.data);
    });
  }
}

/**
 * A chart against epochs that keeps every point it plots, by list, for the autosave; a list
 * past MAX_POINTS is halved by averaging neighbours, so a long run keeps its curve at a bounded
 * cost.
 */
export class EpochChart extends Chart {
  /**
   * @param {HTMLElement} container
   * @param {number} height
   * @param {object} options uPlot's options, less the size
   * @param {string[]} lists the names of the point lists
   * @param {(list: string, point: {epoch: number}) => number[]} row a point's values, one per
   *   column (the epoch first)
   */
  constructor(container, height, options, lists, row) {
    super(container, height, options);
    this.lists = lists;
    this.row = row;
    /** @type {Record<string, object[]>} every plotted point, by list */
    this.points = this.emptyPoints();
  }

  emptyPoints() {
    return Object.fromEntries(this.lists.map((list) => [list, []]));
  }

  clear() {
    this.points = this.emptyPoints();
    super.clear();
  }

  /**
   * Replaces the chart with saved points (missing lists are empty). The lists of several are
   * plotted together in epoch order; a single list keeps its own order.
   */
  restorePoints(points) {
    this.clear();
    const all = this.lists.flatMap((list) => (points[list] ?? []).map((point) => [list, point]));
    if (this.lists.length > 1) all.sort((a, b) => a[1].epoch - b[1].epoch);
    for (const [list, point] of all) this.addPoint(list, point);
  }

  /** The points up to `epoch`, by list: what an autosave of the weights at that epoch goes with. */
  pointsUntil(epoch) {
    return Object.fromEntries(this.lists.map((list) => [list, this.points[list].filter((p) => p.epoch <= epoch)]));
  }

  /** Drops the points after `epoch`: the model went back there (a divergence, a lost device). */
  truncate(epoch) {
    this.restorePoints(this.pointsUntil(epoch));
  }

  /** Adds one point to `list` and plots it. */
  addPoint(list, point) {
    this.points[list].push(point);
    if (this.points[list].length > MAX_POINTS) {
      this.restorePoints({ ...this.points, [list]: halve(this.points[list]) });
      return;
    }
    this.push(this.row(list, point));
  }
}
