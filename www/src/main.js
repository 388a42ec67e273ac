// Wires the page: loads the wasm, puts a CPU viewer on the main thread for the sliders and the
// drawing pad, starts the training worker on WebGPU or the CPU, and keeps the work: the model
// and plot are autosaved, and restored on the next visit.

import init, { Viewer, heldoutLabels } from '../../pkg/latent_lab.js';
import { DrawingPad } from './canvas.js';
import { clearDigit, paintDigit } from './digit.js';
import { WeightsFiles } from './files.js';
import { chooseBackend, describeBackend, detectWebGpu } from './gpu.js';
import { SHIPPED_LATENT_SIZES, compileWasm, loadBytes, loadShippedModel } from './loader.js';
import { ElboPlot, GapPlot } from './plot.js';
import { TrainingSession } from './session.js';
import { DEFAULT_SETTINGS, SettingsPanel, describeSettings, isDefault } from './settings.js';
import { LatentSliders, samplePrior } from './sliders.js';
import { clearSession, loadSession, saveSession } from './storage.js';
import { TrainingControls } from './training.js';
import { ActiveUnits } from './units.js';
import { LatentViews } from './views.js';

/** How often the model being trained is autosaved. */
const AUTOSAVE_MS = 3000;

const $ = (id) => document.getElementById(id);
const statusLine = $('status');
const alertLine = $('alert');

function showStatus(message) {
  statusLine.textContent = message;
}

/** Errors stay on screen until the person dismisses them or acts again. */
function showError(message) {
  alertLine.querySelector('span').textContent = message;
  alertLine.hidden = false;
}

/** Runs a viewer call; bad input shows a message and changes nothing. */
function attempt(what, call) {
  try {
    return call();
  } catch (e) {
    showError(`${what} failed: ${e.message}`);
    return undefined;
  }
}

const epochOf = (progress) => progress.epoch + progress.epochFraction;
const timeOf = (ms) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The autosave, if it still loads; a damaged one is reported and set aside. */
function restorable(saved) {
  if (!saved) return undefined;
  try {
    new Viewer(saved.weights).free();
    return saved;
  } catch (e) {
    showError(`The autosaved model could not be restored (${e.message}); starting from the shipped model.`);
    return undefined;
  }
}

async function main() {
  showStatus('Loading the model…');
  const gpu = detectWebGpu();
  const [module, saved] = await Promise.all([compileWasm(), loadSession().catch(() => undefined)]);
  const { memory: wasmMemory } = await init({ module_or_path: module });
  const restored = restorable(saved);
  const startWeights = restored?.weights ?? (await loadShippedModel(20));

  let viewer = new Viewer(startWeights);
  let drawing = null;
  const decoded = $('decoded');
  const sliders = new LatentSliders($('sliders'), (z) => {
    const pixels = attempt('Decoding', () => viewer.decode(z));
    if (pixels) paintDigit(decoded, pixels);
  });
  sliders.setSize(viewer.latentSize);
  sliders.redraw();
  performance.mark('latent-lab:first-digit');

  $('sample-prior').addEventListener('click', () => sliders.set(samplePrior(viewer.latentSize)));
  $('zero-latent').addEventListener('click', () => sliders.set(new Float32Array(viewer.latentSize)));

  const reconstruction = $('reconstruction');
  const preprocessed = $('preprocessed');
  clearDigit(reconstruction);
  clearDigit(preprocessed);
  /** Reconstructs the drawing; a new drawing also moves the sliders to its μ. */
  const showDrawing = (moveSliders) => {
    if (!drawing) {
      clearDigit(reconstruction);
      clearDigit(preprocessed);
      return;
    }
    paintDigit(preprocessed, drawing);
    const out = attempt('Reconstruction', () => viewer.reconstruct(drawing));
    if (!out) return;
    const size = viewer.latentSize;
    paintDigit(reconstruction, out.subarray(size));
    // The sliders (and their own decode) follow a frame later: the reconstruction, which is
    // what the stroke asked for, is painted before the handler returns (BENCHMARKS.md).
    if (moveSliders) requestAnimationFrame(() => sliders.set(out.subarray(0, size)));
  };
  const pad = new DrawingPad($('pad'), (pixels) => {
    drawing = pixels;
    showDrawing(true);
  });
  $('clear').addEventListener('click', () => pad.clear());

  const plot = new ElboPlot($('plot'));
  const gapPlot = new GapPlot($('gap-plot'));
  const units = new ActiveUnits($('units'), $('units-summary'));
  const modelNote = $('model-note');
  if (restored) {
    plot.restore(restored.history);
    gapPlot.restore(restored.history.gap);
    modelNote.textContent = `Restored the model you were training, autosaved ${timeOf(restored.savedAt)}.`;
  } else {
    modelNote.textContent = 'A model trained natively ships with the page; press Train to go on training it here, or start from scratch.';
  }

  const gpuSupport = await gpu;
  showStatus('Loading 10,000 MNIST digits…');
  const dataset = await loadBytes('dataset');
  let labels;
  try {
    labels = heldoutLabels(dataset);
  } catch (e) {
    // The model on screen still works: the sliders and the drawing pad need no data.
    showError(`The training data could not be read (${e.message}). Training is off; the sliders and the drawing pad still use the model. Rebuild the page with scripts/demo.sh.`);
    showStatus('Training is unavailable: the dataset is damaged.');
    document.body.dataset.state = 'no-data';
    return;
  }
  const views = new LatentViews(
    {
      viewer: () => viewer,
      drawing: () => drawing,
      showLatent: (z) => sliders.set(z),
      error: showError,
    },
    labels,
  );
  views.modelChanged(viewer.latentSize);
  /** When the first and the latest chunk of steps ended, and how many chunks there were: for
   * the benchmark and the tests. Two entries, not a log, because a tab may train for hours. */
  const stepLog = { count: 0, first: null, last: null };

  let trainingOn = null;
  let stepsOnBackend = 0;
  const showTrainingStatus = () => {
    const training = document.body.dataset.state === 'training';
    const compiling = training && trainingOn.kind === 'webgpu' && !stepsOnBackend;
    showStatus(`Training on ${trainingOn.label}. ${training ? 'Training…' : 'Press Train to start.'}${compiling ? ' The first WebGPU step compiles its shaders and can take several seconds.' : ''}`);
  };

  // Autosave: the latest weights from the worker with the plot up to their step, every few
  // seconds while training and whenever training pauses.
  let latest = null;
  let unsaved = false;
  let saveNextWeights = false;
  const autosave = async () => {
    if (!unsaved || !latest) return;
    unsaved = false;
    const epoch = epochOf(latest.progress);
    const history = { ...plot.historyUntil(epoch), gap: gapPlot.historyUntil(epoch) };
    try {
      await saveSession({ weights: latest.bytes, history, savedAt: Date.now() });
      document.body.dataset.savedStep = String(latest.progress.step);
    } catch (e) {
      showError(`Autosave failed (${e.message}); export the weights to keep them.`);
    }
  };
  setInterval(autosave, AUTOSAVE_MS);

  let controls;
  const files = new WeightsFiles({
    async exportWeights() {
      const bytes = await session.exportWeights();
      if (!bytes) throw new Error('training restarted before the weights could be read; export again');
      return { bytes, name: `latent-lab-latent${viewer.latentSize}-step${latest?.progress.step ?? 0}.bpk` };
    },
    importWeights(bytes, name) {
      // Checked here first, so a bad file changes nothing, not even the training state.
      const candidate = attempt(`Importing ${name}`, () => new Viewer(bytes));
      if (!candidate) return;
      candidate.free();
      if (!controls.confirmReplace()) return;
      controls.setState('switching');
      session.load(bytes);
      modelNote.textContent = `Loaded ${name}.`;
    },
    error: showError,
  });

  /** Fresh weights as `settings` ask, training at once when `train`. */
  const reset = async (settings, train = false) => {
    try {
      await clearSession();
    } catch (e) {
      // Nothing is lost: until the fresh model is trained and autosaved, a reload restores the old one.
      showError(`The autosave could not be cleared (${e.message}).`);
    }
    unsaved = false;
    modelNote.textContent = `Training from fresh weights: ${describeSettings(settings)}.`;
    session.reset(settings, train);
  };
  controls = new TrainingControls({
    train: () => {
      alertLine.hidden = true;
      session.train();
    },
    pause: () => session.pause(),
    reset: () => reset(settings.current),
    switchBackend: (kind) => session.switchBackend(kind),
    busy: (busy) => settings.setEnabled(!busy),
  });
  const settings = new SettingsPanel({
    // The shipped models' settings with a shipped latent size load that model; anything else
    // trains from fresh weights at once.
    restart: async (next) => {
      const size = next.model.latentSize;
      controls.setState('switching');
      if (isDefault(next) && SHIPPED_LATENT_SIZES.includes(size)) {
        try {
          session.load(await loadShippedModel(size));
          modelNote.textContent = `The shipped model with latent size ${size}.`;
          return undefined;
        } catch (e) {
          showError(`The shipped model with latent size ${size} could not be read (${e.message}); training one from fresh weights instead.`);
        }
      }
      return reset(next, true);
    },
    optimizer: (optimizer, rebuild) => {
      if (rebuild) controls.setState('switching');
      session.setOptimizer(optimizer, rebuild);
    },
    gapK: (k) => session.setGapK(k),
    confirmReplace: () => controls.confirmReplace(),
    error: showError,
  });
  settings.show(DEFAULT_SETTINGS);
  controls.setState('starting');
  controls.trained = Boolean(restored);
  const lastHeldout = restored?.history.heldout.at(-1);
  if (lastHeldout) controls.showHeldout(lastHeldout);
  const lastGap = restored?.history.gap?.at(-1);
  if (lastGap) controls.showGap(lastGap);

  const session = new TrainingSession(
    module,
    {
      dataset,
      backend: chooseBackend(gpuSupport),
      weights: startWeights,
      evaluate: !restored,
      gapK: settings.gapK(),
      optimizer: settings.current.optimizer,
    },
    {
      started(reason, config) {
        if (reason === 'load' || reason === 'reset') {
          plot.clear();
          gapPlot.clear();
          units.clear();
          controls.trained = false;
          for (const id of ['fig-heldout', 'fig-gap', 'fig-active']) $(id).textContent = '–';
        }
        // An imported or shipped model is kept once it arrives; after a reset, once trained.
        saveNextWeights = reason === 'load';
        settings.showConfig(config);
        $('model-description').textContent = describeSettings(settings.current);
        document.body.dataset.model = JSON.stringify(settings.current);
      },
      status(state, info) {
        controls.setState(state);
        controls.showBackend(info.kind, info.label, gpuSupport.available);
        files.setEnabled(true);
        $('backend-note').textContent = describeBackend(gpuSupport, info.kind);
        document.body.dataset.backend = info.kind;
        if (trainingOn?.kind !== info.kind) stepsOnBackend = 0;
        trainingOn = info;
        showTrainingStatus();
        if (state === 'paused') autosave();
      },
      steps(stats, stepsPerSecond) {
        stepLog.last = { at: performance.now(), step: stats.progress.step };
        stepLog.first ??= stepLog.last;
        stepLog.count++;
        if (++stepsOnBackend === 1) showTrainingStatus();
        controls.showSteps(stats.progress, stepsPerSecond);
        plot.add('train', epochOf(stats.progress), stats.train);
        unsaved = true;
      },
      heldout(progress, report) {
        controls.showHeldout(report.elbo, report.activeUnits, report.unitVariances.length);
        plot.add('heldout', epochOf(progress), report.elbo);
        units.show(report.unitVariances);
        views.showReport(report.means, report.unitVariances.length);
      },
      gap(progress, report) {
        controls.showGap(report);
        gapPlot.add(epochOf(progress), report);
      },
      weights(bytes, progress) {
        const next = attempt('Loading the trained weights', () => new Viewer(bytes));
        if (!next) return;
        viewer.free();
        viewer = next;
        latest = { bytes, progress };
        document.body.dataset.weightsStep = String(progress.step);
        if (saveNextWeights) {
          saveNextWeights = false;
          unsaved = true;
        }
        // Weights newer than the last save: an autosave may have caught the steps before them.
        if (controls.trained && String(progress.step) !== document.body.dataset.savedStep) unsaved = true;
        controls.showProgress(progress);
        // The digits on screen follow the training model; the sliders stay where the person
        // put them (at 0 when the latent size changed).
        sliders.setSize(viewer.latentSize);
        showDrawing(false);
        sliders.redraw();
        views.modelChanged(viewer.latentSize);
      },
      diverged(divergence, progress) {
        // The worker is back at its last finite snapshot: so is the plot.
        plot.truncate(epochOf(progress));
        gapPlot.truncate(epochOf(progress));
        const what = divergence.weightsNotFinite ? 'the weights' : 'the loss';
        showError(
          `Training diverged at step ${divergence.atStep.toLocaleString('en')}: ${what} became NaN or infinite. ` +
            `Rolled back to step ${divergence.rolledBackTo.toLocaleString('en')}, the last finite snapshot, and paused. ` +
            `Lower the learning rate (now ${settings.current.optimizer.learningRate}) and press Train.`,
        );
      },
      deviceLost(message, wasTraining) {
        // The worker's wasm and its device are gone; a new worker gets a new device and
        // carries on from the last weights the page received, with the plot up to them.
        const from = latest ?? { bytes: startWeights, progress: null };
        if (from.progress) {
          plot.truncate(epochOf(from.progress));
          gapPlot.truncate(epochOf(from.progress));
        }
        controls.setState('switching');
        session.restart(from.bytes, trainingOn?.kind ?? 'webgpu', wasTraining);
        const step = from.progress?.step ?? 0;
        showError(`The GPU device was lost (${message}). Training restarted on a new device from step ${step.toLocaleString('en')}, with the weights the page last had.`);
        document.body.dataset.recoveries = String(Number(document.body.dataset.recoveries ?? 0) + 1);
      },
      error(message) {
        showError(message);
      },
    },
  );

  // What the browser tests and the benchmark read.
  window.latentLab = {
    plot,
    gapPlot,
    views,
    stepLog,
    get backend() { return document.body.dataset.backend; },
    get latentSize() { return viewer.latentSize; },
    /** For the soak test: the worker's wasm memory and WebGPU buffers, and this page's wasm. */
    async memory() {
      return { page: { wasmBytes: wasmMemory.buffer.byteLength }, worker: await session.memory() };
    },
  };
}

$('dismiss').addEventListener('click', () => (alertLine.hidden = true));
main().catch((e) => showError(`The page could not start: ${e.message}`));
