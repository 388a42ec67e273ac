// What the page does with the training worker's events, and the state they leave: which backend
// trains and how fast, the notes waiting for a model being loaded, and the recovery from a lost
// device or a crashed worker. The worker's model reaches the screen here: each new model and
// each new set of weights replaces the viewer, and the plots, figures and views follow.

import { Viewer, figureMeaning } from '../../pkg/latent_lab.js';
import { $, attempt, showError, showStatus } from './dom.js';
import { describeBackend, rememberRace } from './gpu.js';
import { describeThreads } from './threads.js';
import { epochOf } from './plot.js';
import { TO_WORKER } from './protocol.js';
import { TrainingSession } from './session.js';
import { FIGURE_NOTES, describeSettings } from './settings.js';
import { publishBackend, publishModel, publishRecoveries, publishWeightsStep } from './test-hooks.js';

export class TrainingEvents {
  /**
   * Starts the training worker (a TrainingSession whose events are this object's methods).
   * @param {{module: WebAssembly.Module, start: object, startWeights: Uint8Array, gpu: object,
   *          threads: import('./threads.js').ThreadSupport,
   *          modelView: import('./model-view.js').ModelView, plots: {plot: object,
   *          gapPlot: object, units: object}, views: object, keeper: object, controls: object,
   *          settings: object, files: object, data: {taken: () => void,
   *          current: () => import('./data-panel.js').Dataset}}} page the session's start options
   *   (TrainingSession's `start`), the weights the page opened with, WebGPU's and threads'
   *   support, and the
   *   parts of the page that show the model being trained; `data` follows the dataset the worker
   *   took (the session's) and gives the one trained on now
   */
  constructor({ module, start, startWeights, gpu, threads, modelView, plots, views, keeper, controls, settings, files, data }) {
    this.data = data;
    this.reconstructions = plots.reconstructions;
    this.startWeights = startWeights;
    this.gpu = gpu;
    /** Whether the CPU path may train on threads here (threads.js: ThreadSupport). */
    this.threads = threads;
    this.modelView = modelView;
    this.plot = plots.plot;
    this.gapPlot = plots.gapPlot;
    this.units = plots.units;
    this.views = views;
    this.keeper = keeper;
    this.controls = controls;
    this.settings = settings;
    this.files = files;
    /** The backend training now, `{kind, label}`, from the worker's last status. */
    this.trainingOn = null;
    /** Chunks of steps since training moved to that backend. */
    this.stepsOnBackend = 0;
    this.secondsPerStep = 0;
    /** Recoveries started since the worker last answered: a second starts from the model the page opened with. */
    this.unansweredRecoveries = 0;
    /** New workers started after a crash or a lost device. */
    this.recoveries = 0;
    /** When the first and the latest chunk of steps ended, and how many chunks there were: for
     * the benchmark and the tests. Two entries, not a log, because a tab may train for hours. */
    this.stepLog = { count: 0, first: null, last: null };
    this.session = new TrainingSession(module, start, this);
  }

  /**
   * Trains the model of a weights file from now on, saying `note` once it is loaded. Checked
   * here first, so a bad file changes nothing, not even the training state; the worker checks
   * it again and takes it all or not at all, and only its `started` changes the page. The
   * viewer built by the check is the one shown then: the file is parsed once on each thread.
   */
  loadModel(bytes, what, note) {
    const candidate = attempt(what, () => new Viewer(bytes));
    if (!candidate) return;
    if (!this.controls.confirmReplace()) {
      candidate.free();
      return;
    }
    this.controls.setState('switching');
    this.load(bytes, note, candidate);
  }

  /**
   * Sends the worker a weights file to train, with the note to show once its model arrives and
   * the viewer the page already built of the file while checking it.
   */
  load(bytes, text, viewer = undefined) {
    this.session.load(bytes, { text, viewer });
  }

  /** Commands the worker answered: a load that brought no model was refused, its viewer unused. */
  answered(commands) {
    for (const command of commands) if (!command.brought) command.note?.viewer?.free();
  }

  /** Puts a model (its viewer, weights file and progress) on screen: sliders, drawing, views. */
  showModel(next, bytes, progress, blob) {
    this.modelView.replaceViewer(next);
    this.keeper.weightsShown(bytes, progress, this.controls.trained, blob);
    publishWeightsStep(progress.step);
    this.controls.showProgress(progress);
    this.views.modelChanged(next.latentSize);
  }

  showTrainingStatus() {
    const training = this.controls.state === 'training';
    const compiling = training && this.trainingOn.kind === 'webgpu' && !this.stepsOnBackend;
    showStatus(`Training on ${this.trainingOn.label}. ${training ? 'Training…' : 'Press Train to start.'}${compiling ? ' The first WebGPU step compiles its shaders and can take several seconds.' : ''}`);
  }

  /** The worker's model changed: `reason` says why (load, reset, backend, optimizer, race). */
  started(reason, model, command) {
    // Everything about the new model changes together: it was built and read in full
    // before the worker announced it.
    const loaded = command?.note;
    const next = loaded?.viewer ?? attempt('Showing the new model', () => new Viewer(model.weights));
    if (!next) return;
    if (reason === 'load' || reason === 'reset' || reason === 'data') {
      // The plots' figures were of another model, or of the same model on other data.
      this.plot.clear();
      this.gapPlot.clear();
      this.units.clear();
      this.reconstructions.clear();
      this.views.forgetModel();
      if (reason === 'data') this.controls.forgetFigures();
      else this.controls.forgetModel();
    }
    if (reason === 'data') {
      this.data.taken();
      this.keeper.changed();
    }
    // An imported or shipped model is kept once it arrives; after a reset, once trained.
    if (reason === 'load') this.keeper.changed();
    if (loaded) $('model-note').textContent = loaded.text;
    // Not after a race ('race'), whose note is the backend's: it runs at the first Train in
    // the tab, before any step, so no Adam moments were lost in the move.
    if (reason === 'backend' || reason === 'optimizer' || reason === 'threads') {
      // burn's Adam state lives on the trainer's device and is not in the weights file.
      const what = reason === 'optimizer' ? 'New learning rate or batch size' : `Training moved to ${model.backend.label}`;
      $('model-note').textContent = `${what}: the weights and the step count carry over; Adam's moment estimates start again from zero, so the next few steps move further than usual.`;
    }
    const { settings } = this;
    settings.show(model.settings);
    this.session.optimizer = settings.current.optimizer;
    $('model-description').textContent = describeSettings(settings.current);
    $('figure-meaning').textContent = FIGURE_NOTES[figureMeaning(settings.current)];
    publishModel(settings.current);
    this.showModel(next, model.weights, model.progress, model.weightsBlob);
    if (reason === 'init' || reason === 'load') this.warnIfOtherData(next);
  }

  /**
   * Says so when a model was trained on other data than the page trains on now: its weights
   * file records the data's name, count and hash (none: the shipped digits).
   */
  warnIfOtherData(viewer) {
    const trainedOn = viewer.trainedOn();
    const now = this.data.current();
    const same = trainedOn ? trainedOn.hash === now.summary.hash : now.builtIn;
    if (same) return;
    const theirs = trainedOn ? `“${trainedOn.name}” (${trainedOn.images.toLocaleString('en')} images)` : 'the shipped MNIST digits';
    showError(`This model was trained on ${theirs}, not on the data the page trains on now (“${now.summary.name}”). Training goes on with the page's data; to train on theirs, bring it in the Training data panel${trainedOn ? '' : ' (Back to MNIST)'}.`);
  }

  status(state, info) {
    this.unansweredRecoveries = 0;
    this.controls.setState(state);
    this.controls.showBackend(info.kind, info.label, this.gpu.available);
    this.controls.showThreads(this.session.threads?.count ?? 1);
    this.files.setEnabled(true);
    this.showBackendNote(info.kind);
    publishBackend(info.kind);
    if (this.trainingOn?.kind !== info.kind) this.stepsOnBackend = 0;
    this.trainingOn = info;
    this.showTrainingStatus();
    if (state === 'paused') this.keeper.saveNow();
  }

  raced(race) {
    rememberRace(race);
    this.showBackendNote(race.chosen);
  }

  /** Why the backend is `kind`, and on the CPU, on how many threads. */
  showBackendNote(kind) {
    const threads = kind === 'cpu' ? ` ${describeThreads(this.threads, this.session.threads)}` : '';
    $('backend-note').textContent = describeBackend(this.gpu, kind) + threads;
  }

  steps(stats, stepsPerSecond) {
    const log = this.stepLog;
    log.last = { at: performance.now(), step: stats.progress.step };
    log.first ??= log.last;
    log.count++;
    if (++this.stepsOnBackend === 1) this.showTrainingStatus();
    this.secondsPerStep = 1 / stepsPerSecond;
    this.controls.showSteps(stats.progress, stepsPerSecond);
    this.plot.add('train', epochOf(stats.progress), stats.train);
    this.keeper.changed();
  }

  /** A held-out report; one not `plotted` (a restored model's) only refreshes the views. */
  heldout(progress, report, plotted = true) {
    this.units.show(report.unitVariances);
    this.views.showReport(report, report.unitVariances.length);
    this.reconstructions.show(report, report.unitVariances.length);
    if (!plotted) return;
    this.controls.showHeldout(report.elbo, report.activeUnits, report.unitVariances.length);
    this.plot.add('heldout', epochOf(progress), report.elbo);
  }

  gap(progress, report) {
    this.controls.showGap(report);
    this.gapPlot.add(epochOf(progress), report);
  }

  weights(bytes, progress, blob) {
    const next = attempt('Loading the trained weights', () => new Viewer(bytes));
    if (next) this.showModel(next, bytes, progress, blob);
  }

  diverged(divergence, progress) {
    // The worker is back at its last finite snapshot: so are the plots.
    this.truncatePlots(progress);
    const what = divergence.weightsNotFinite ? 'the weights' : 'the loss';
    showError(
      `Training diverged at step ${divergence.atStep.toLocaleString('en')}: ${what} became NaN or infinite. ` +
        `Rolled back to step ${divergence.rolledBackTo.toLocaleString('en')}, the last finite snapshot, and paused. ` +
        // No setting of the page diverges by itself (both log-variances are bounded): what is
        // left is a device computing wrongly, which a retry on another backend may avoid.
        'Press Train to try again, or switch the backend if it happens again.',
    );
  }

  deviceLost(message, wasTraining) {
    // The worker's wasm and its device are gone; a new worker gets a new device and
    // carries on from the last weights the page received, with the plot up to them.
    const step = this.recover(this.trainingOn?.kind ?? 'webgpu', wasTraining);
    showError(`The GPU device was lost (${message}). Training restarted on a new device from step ${step.toLocaleString('en')}, with the weights the page last had.`);
  }

  /**
   * @param {import('./session.js').Sent[]} lost the commands the worker never answered: not sent
   *   again, since one of them may be what crashed it, but named
   */
  crashed(message, wasTraining, lost) {
    // Whatever the worker was doing is lost, the model it held included: a new worker
    // starts from the last weights the page received. Training is not resumed, since the
    // same settings would likely crash it again.
    this.answered(lost);
    const notDone = lost.map(describeLost).filter(Boolean);
    const step = this.recover(this.trainingOn?.kind ?? 'cpu', false);
    const outOfMemory = /memory|unreachable/i.test(message);
    showError(
      `The training worker crashed${outOfMemory ? ', most likely out of memory' : ''} (${message}). ` +
        `The page started a new one from step ${step.toLocaleString('en')}, with the weights it last had` +
        `${notDone.length ? `; ${notDone.join('; ')}` : ''}. ` +
        (wasTraining && outOfMemory ? 'Lower the batch size or the samples L, then press Train to go on.' : 'Press Train to go on.'),
    );
  }

  /** The worker refused `command` (or failed a chunk of training, with none). */
  error(message, command) {
    if (command?.type !== TO_WORKER.data) {
      showError(message);
      return;
    }
    const why = message.replace(/\.?$/, '.');
    showError(`The dataset “${command.dataset.summary.name}” was not taken: ${why} The model trains on “${this.data.current().summary.name}” as before; nothing was changed.`);
  }

  /** Trains on a pool of `count` threads from now on (TrainingSession.setThreads). */
  async setThreads(count) {
    this.controls.setState('switching');
    await this.session.setThreads(count, this.trainingOn?.kind ?? 'cpu');
  }

  /**
   * Replaces the worker with a new one on `backend` from the last weights the page has, with the
   * plot cut back to them; a worker that fails again before answering starts from the model the
   * page opened with instead, in case those weights are what makes it fail.
   * @returns {number} the step it restarts from
   */
  recover(backend, train) {
    const opened = { bytes: this.startWeights, progress: null };
    const from = this.unansweredRecoveries++ > 0 ? opened : (this.keeper.latest ?? opened);
    if (from.progress) this.truncatePlots(from.progress);
    this.controls.setState('switching');
    this.session.restart(from.bytes, backend, train);
    publishRecoveries(++this.recoveries);
    return from.progress?.step ?? 0;
  }

  /** Drops the plotted points after `progress`: the model went back there. */
  truncatePlots(progress) {
    this.plot.truncate(epochOf(progress));
    this.gapPlot.truncate(epochOf(progress));
  }
}

/** What a crash left undone of a command, in the page's words (nothing for those that need no word). */
function describeLost(command) {
  if (command.type === TO_WORKER.load) return 'the file being imported was not loaded: import it again';
  if (command.type === TO_WORKER.data) return `the dataset “${command.dataset.summary.name}” was not taken: bring it again`;
  if (command.type === TO_WORKER.reset) return 'the fresh model was not built';
  return null;
}
