// The training panel's controls and figures: Train / Pause / Train from scratch, backend, CPU threads, and
// the step, epoch, speed, progress and active-unit read-outs.

import { $, showError } from './dom.js';
import { publishState } from './test-hooks.js';

export class TrainingControls {
  /**
   * @param {{train: () => void, pause: () => void, reset: () => void,
   *          switchBackend: (backend: string) => void, setThreads: (count: number) => void,
   *          busy: (busy: boolean) => void}} actions
   * @param {import('./threads.js').ThreadSupport} threadSupport
   * @param {number} threadCount the pool's size at the start (1 without threads)
   */
  constructor(actions, threadSupport, threadCount) {
    this.actions = actions;
    this.buttons = { train: $('train'), pause: $('pause'), reset: $('reset') };
    this.backend = $('backend');
    this.threads = $('threads');
    this.threadSupport = threadSupport;
    this.threadCount = threadCount;
    this.threads.max = String(threadSupport.cores);
    this.threads.value = String(threadCount);
    this.threads.title = threadSupport.available
      ? `Threads the CPU path trains on, 1 to ${threadSupport.cores} (this machine's cores); changing it moves the model to a new pool`
      : `One thread only: ${threadSupport.reason}`;
    /** Whether the model was trained in this tab (or restored from its autosave). */
    this.trained = false;
    /** What the page shows: see `setState`. */
    this.state = null;
    this.buttons.train.addEventListener('click', () => {
      this.setState('starting');
      actions.train();
    });
    this.buttons.pause.addEventListener('click', () => {
      this.setState('pausing');
      actions.pause();
    });
    this.buttons.reset.addEventListener('click', () => {
      if (!this.confirmReplace()) return;
      this.setState('switching');
      actions.reset();
    });
    this.backend.addEventListener('change', () => {
      this.setState('switching');
      actions.switchBackend(this.backend.value);
    });
    this.threads.addEventListener('change', () => {
      const count = Number(this.threads.value);
      if (!Number.isInteger(count) || count < 1 || count > threadSupport.cores) {
        this.threads.value = String(this.threadCount);
        showError(`The CPU path can train on 1 to ${threadSupport.cores} threads here (this machine's cores); it stays on ${this.threadCount}.`);
        return;
      }
      if (count === this.threadCount) return;
      this.threadCount = count;
      actions.setThreads(count);
    });
  }

  /** Another model took over: it was not trained here, and its figures wait for its reports. */
  forgetModel() {
    this.trained = false;
    this.forgetFigures();
  }

  /** The held-out figures no longer describe the model on its data (new data). */
  forgetFigures() {
    for (const id of ['fig-heldout', 'fig-gap', 'fig-active']) $(id).textContent = '–';
  }

  /** Asks before the model trained in this tab is replaced (export it first to keep it). */
  confirmReplace() {
    return !this.trained || confirm('Replace the model trained here? Export it first to keep it.');
  }

  /**
   * What the page shows, also as `data-state` on the body (for the tests): busy from a click
   * until the worker has answered every command sent, then its state.
   * @param {'starting' | 'pausing' | 'switching' | 'ready' | 'training' | 'paused'} state
   */
  setState(state) {
    this.state = state;
    publishState(state);
    const busy = state === 'starting' || state === 'pausing' || state === 'switching';
    this.buttons.train.disabled = busy || state === 'training';
    this.buttons.pause.disabled = state !== 'training';
    this.buttons.reset.disabled = busy;
    this.backend.disabled = busy;
    this.threads.disabled = busy || !this.threadSupport.available;
    this.actions.busy(busy);
  }

  /**
   * Reflects the pool the CPU path trains on, as the training worker was started with it: after a
   * change that did not happen (the worker crashed first), the field goes back.
   */
  showThreads(count) {
    this.threadCount = count;
    this.threads.value = String(count);
  }

  /** Reflects which backend runs, and which are available. */
  showBackend(kind, label, webgpuAvailable) {
    this.backend.value = kind;
    this.backend.querySelector('option[value=webgpu]').disabled = !webgpuAvailable;
    this.backend.title = `Training on ${label}`;
  }

  showSteps(progress, stepsPerSecond) {
    this.trained = true;
    this.showProgress(progress);
    $('fig-rate').textContent = stepsPerSecond >= 10 ? stepsPerSecond.toFixed(0) : stepsPerSecond.toFixed(2);
  }

  showProgress(progress) {
    $('fig-step').textContent = progress.step.toLocaleString('en');
    $('fig-epoch').textContent = (progress.epoch + progress.epochFraction).toFixed(2);
    $('epoch-progress').value = progress.epochFraction;
    if (progress.step === 0) $('fig-rate').textContent = '–';
  }

  /** @param {{negativeElbo: number}} elbo @param {number} [active] @param {number} [latent] */
  showHeldout(elbo, active, latent) {
    $('fig-heldout').textContent = `${elbo.negativeElbo.toFixed(1)} nats`;
    if (active != null) $('fig-active').textContent = `${active} / ${latent}`;
  }

  /** @param {{k: number, digits: number, gap: number, negativeIwBound: number}} report */
  showGap(report) {
    $('fig-gap').textContent = `${report.gap.toFixed(2)} nats`;
    $('fig-gap').title = `−ELBO − (−IW-${report.k}) on ${report.digits} held-out digits; −IW-${report.k} = ${report.negativeIwBound.toFixed(1)} nats`;
  }
}
