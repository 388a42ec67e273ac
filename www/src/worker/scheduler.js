// When the work beside training (held-out evaluation, the gap estimate, weights to the page) may
// run: one rule for all of it, with each kind's share and floor as data.

/**
 * @typedef {object} Budget
 * @property {number} share the most of the training time this work may take
 * @property {number} [floorMs] whatever the share, it runs again once it is this old
 * @property {number} [everyMs] at least this long between two runs, whatever the share
 * @property {number} [everyImages] at least this many training images between two runs
 */

/**
 * Shares keep a slow backend (a software WebGPU adapter, the convolutional model on a CPU)
 * training most of the time, at the cost of seeing its plot points and fresh sliders less often
 * (measured in BENCHMARKS.md); floors keep the plot and the sliders from ever going stale.
 * @type {Readonly<Record<'heldout' | 'gap' | 'weights', Budget>>}
 */
export const BESIDE_TRAINING = Object.freeze({
  /** The held-out evaluation: a point of the plot. */
  heldout: { share: 0.1, floorMs: 20_000, everyImages: 1024 },
  /** The gap estimate, considered after each held-out evaluation (it has no floor). */
  gap: { share: 0.15 },
  /** Weights to the page's viewer: fresh sliders. */
  weights: { share: 0.05, floorMs: 5_000, everyMs: 500 },
});

/** Decides, for one trainer, when each kind of work beside its training is due. */
export class BudgetScheduler {
  /**
   * @param {Record<string, Budget>} [budgets]
   * @param {() => number} [now] the clock, in milliseconds
   */
  constructor(budgets = BESIDE_TRAINING, now = () => performance.now()) {
    this.budgets = budgets;
    this.now = now;
    this.reset(0);
  }

  /** A new trainer, which has seen `images` images: nothing spent, every kind just done. */
  reset(images) {
    const at = this.now();
    this.trainingMs = 0;
    /** @type {Record<string, {spentMs: number, lastAt: number, lastImages: number}>} */
    this.work = Object.fromEntries(Object.keys(this.budgets).map((kind) => [kind, { spentMs: 0, lastAt: at, lastImages: images }]));
  }

  /** Training took `ms` more: the time the shares are taken of. */
  trained(ms) {
    this.trainingMs += ms;
  }

  /**
   * Whether `kind` may run now, the trainer having seen `images` images: it is spaced out from
   * its last run, and it has taken at most its share of the training time or is older than its
   * floor.
   */
  due(kind, images) {
    const { share, floorMs = Infinity, everyMs = 0, everyImages = 0 } = this.budgets[kind];
    const work = this.work[kind];
    const age = this.now() - work.lastAt;
    if (age < everyMs || (everyImages > 0 && images - work.lastImages < everyImages)) return false;
    return work.spentMs <= share * this.trainingMs || age >= floorMs;
  }

  /**
   * Runs `task` as `kind`, its time counted against the share; its floor and spacing start again
   * from its end (and from `images`, when given, as soon as it starts).
   * @param {string} kind
   * @param {() => Promise<unknown>} task
   * @param {number} [images] how many images the trainer has seen
   */
  async run(kind, task, images) {
    if (images !== undefined) this.work[kind].lastImages = images;
    const started = this.now();
    await task();
    const ended = this.now();
    // Looked up after the task: a reset while it ran starts the new trainer's count with it.
    this.work[kind].spentMs += ended - started;
    this.work[kind].lastAt = ended;
  }

  /** `kind` was just done outside its budget (a Pause's weights): its floor starts again. */
  ran(kind) {
    this.work[kind].lastAt = this.now();
  }
}
