// The training panel and what it asks of the training worker: the model and objective settings,
// Train / Pause / Train from scratch and the backend, the weights files in and out, and the data
// it trains on (the data panel and the drawn dataset). The worker's answers are TrainingEvents'
// (training-events.js).

import { checkTrainingSettings, settingLimits } from '../../pkg/latent_lab.js';
import { DataPanel, shippedDataset } from './data-panel.js';
import { DatasetReader } from './dataset-reader.js';
import { $, showError, showStatus } from './dom.js';
import { DrawnSet } from './drawn-set.js';
import { WeightsFiles } from './files.js';
import { backendsToRace, chooseBackend } from './gpu.js';
import { SHIPPED_LATENT_SIZES, loadBytes, loadShippedModel } from './loader.js';
import { DEFAULT_SETTINGS, SettingsPanel, describeSettings, isDefault } from './settings.js';
import { TrainingControls } from './training.js';
import { TrainingEvents } from './training-events.js';
import { publishDataset } from './test-hooks.js';

export class TrainingPage {
  /**
   * Builds the panel, then starts the worker from the model on screen. The panel's parts are
   * built before what uses them; their actions are this object's methods, which a part calls
   * only on the person's input, never while it is being built.
   * @param {{module: WebAssembly.Module, threads: {support: import('./threads.js').ThreadSupport,
   *          pool: import('./protocol.js').Threads | null}, dataset: import('./data-panel.js').Dataset,
   *          gpu: object, budgets: object, startWeights: Uint8Array, restored?: object,
   *          modelView: import('./model-view.js').ModelView, plots: object, views: object,
   *          keeper: import('./keeper.js').ModelKeeper}} page the compiled wasm, the dataset
   *   (data-panel.js: Dataset), WebGPU's support and the memory budgets by backend,
   *   the weights the page opened with and the autosave they came from (if any), and the parts
   *   of the page that show the model; `threads` says whether the CPU path may train on a pool
   *   of threads here, and the threaded build and pool size it starts with (null: one thread)
   */
  constructor({ module, threads, dataset, gpu, budgets, startWeights, restored, modelView, plots, views, keeper }) {
    this.gpu = gpu;
    this.budgets = budgets;
    this.views = views;
    this.modelView = modelView;
    this.keeper = keeper;
    this.settings = new SettingsPanel(
      {
        restart: (next) => this.restart(next),
        optimizer: (optimizer, rebuild) => this.setOptimizer(optimizer, rebuild),
        gapK: (k) => this.session.setGapK(k),
        confirmReplace: () => this.controls.confirmReplace(),
        check: (settings) => this.check(settings),
        error: showError,
      },
      settingLimits(),
    );
    /** The shipped digits, once read: what Back to MNIST trains on. */
    this.shipped = dataset.builtIn ? dataset : null;
    this.dataPanel = new DataPanel({
      use: (next) => this.useDataset(next),
      shipped: async () => (this.shipped ??= shippedDataset(await loadBytes('dataset'))),
      error: showError,
      status: showStatus,
    }, settingLimits(), new DatasetReader(module));
    this.drawnSet = new DrawnSet({
      drawing: () => modelView.drawing,
      train: (builder, name) => this.dataPanel.useBuilt(builder, name),
      error: showError,
    }, settingLimits().datasetImages.min);
    this.dataPanel.show(dataset);
    publishDataset(dataset.summary.name);
    this.controls = new TrainingControls({
      train: () => this.train(),
      pause: () => this.pause(),
      reset: () => this.reset(this.settings.current),
      switchBackend: (kind) => this.session.switchBackend(kind),
      setThreads: (count) => this.events.setThreads(count),
      busy: (busy) => this.settings.setEnabled(!busy),
    }, threads.support, threads.pool?.count ?? 1);
    this.files = new WeightsFiles({
      exportWeights: () => this.exportWeights(),
      importWeights: (bytes, name) => this.loadModel(bytes, `Importing ${name}`, `Loaded ${name}.`),
      error: showError,
    });
    this.settings.show(DEFAULT_SETTINGS);
    this.controls.setState('starting');
    this.controls.trained = Boolean(restored);
    const lastHeldout = restored?.history.heldout.at(-1);
    if (lastHeldout) this.controls.showHeldout(lastHeldout);
    const lastGap = restored?.history.gap?.at(-1);
    if (lastGap) this.controls.showGap(lastGap);

    const start = {
      dataset,
      backend: chooseBackend(gpu),
      weights: startWeights,
      // A restored model's plot already ends at its step: its first report is for the views.
      evaluate: restored ? 'views' : true,
      gapK: this.settings.gapK(),
      optimizer: this.settings.current.optimizer,
      memoryBudgets: budgets,
      threads: threads.pool,
    };
    const { controls, settings, files } = this;
    const data = { taken: () => this.dataTaken(), current: () => this.session.dataset };
    this.events = new TrainingEvents({ module, start, startWeights, gpu, threads: threads.support, modelView, plots, views, keeper, controls, settings, files, data });
    this.session = this.events.session;
  }

  /**
   * Trains the model on `dataset` from now on, weights and step count carried over; the worker
   * checks it again and keeps its old data if it refuses it.
   */
  useDataset(dataset) {
    $('alert').hidden = true;
    this.controls.setState('switching');
    this.session.setData(dataset);
  }

  /** The worker took new data (the session's dataset now): the page follows. */
  dataTaken() {
    const dataset = this.session.dataset;
    this.dataPanel.show(dataset);
    this.views.setLabels(dataset.summary.labelled ? dataset.summary.heldoutLabels : null);
    this.keeper.dataChanged(dataset.builtIn ? null : dataset);
    publishDataset(dataset.summary.name);
    $('model-note').textContent = `Training on ${dataset.summary.name} from now on: the model and its step count carry over (Adam's moment estimates start again from zero), and the plot starts again, since its figures were on other data. Train from scratch for a fresh model.`;
  }

  /** Trains the model of a weights file from now on (see TrainingEvents.loadModel). */
  loadModel(bytes, what, note) {
    this.events.loadModel(bytes, what, note);
  }

  /** Train: at the first in a tab with WebGPU, times both backends and trains on the faster. */
  train() {
    $('alert').hidden = true;
    const backends = backendsToRace(this.gpu);
    if (!backends) return this.session.train();
    this.controls.setState('switching');
    showStatus('Timing a few training steps on WebGPU and on the CPU, to train on the faster (the first WebGPU step compiles its shaders)…');
    return this.session.race(backends);
  }

  pause() {
    this.session.pause();
    // A chunk is at least one step, and one step of a large model can take many seconds.
    const { secondsPerStep, trainingOn } = this.events;
    if (secondsPerStep > 1) showStatus(`Pausing after the step under way: one step takes about ${Math.round(secondsPerStep)} s on ${trainingOn.label}.`);
  }

  /** Fresh weights as `settings` ask, training at once when `train`. */
  async reset(settings, train = false) {
    await this.keeper.forget();
    $('model-note').textContent = `Training from fresh weights: ${describeSettings(settings)}.`;
    this.session.reset(settings, train);
  }

  /**
   * New model or objective settings: the shipped models' settings with a shipped latent size
   * load that model; anything else trains from fresh weights at once.
   */
  async restart(next) {
    const size = next.model.latentSize;
    this.controls.setState('switching');
    if (isDefault(next) && SHIPPED_LATENT_SIZES.includes(size)) {
      try {
        this.events.load(await loadShippedModel(size), `The shipped model with latent size ${size}.`);
        return undefined;
      } catch (e) {
        showError(`The shipped model with latent size ${size} could not be read (${e.message}); training one from fresh weights instead.`);
      }
    }
    return this.reset(next, true);
  }

  /** New learning rate or batch size; with `rebuild`, the model being trained goes on under them. */
  setOptimizer(optimizer, rebuild) {
    if (rebuild) this.controls.setState('switching');
    this.session.setOptimizer(optimizer, rebuild);
  }

  /**
   * Refuses, before anything changes, settings whose training step would not fit in memory on
   * the backend training now (the worker checks again when it builds the trainer).
   */
  check({ model, objective, optimizer, data }) {
    const backend = this.events.trainingOn?.kind ?? chooseBackend(this.gpu);
    const options = { backend, model, objective, optimizer, data, memoryBudget: this.budgets[backend] };
    checkTrainingSettings(options, this.session.dataset.summary.trainingImages);
  }

  /** @returns {Promise<{bytes: Uint8Array, name: string}>} the exact current weights, to download */
  async exportWeights() {
    const bytes = await this.session.exportWeights();
    if (!bytes) throw new Error('training restarted before the weights could be read; export again');
    return { bytes, name: `latent-lab-latent${this.modelView.latentSize}-step${this.keeper.latest?.progress.step ?? 0}.bpk` };
  }
}
