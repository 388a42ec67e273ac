// Wires the page: loads the wasm, puts a CPU viewer on the main thread for the sliders and the
// drawing pad, starts the training worker on WebGPU or the CPU, and keeps the work: the model
// and plot are autosaved, and restored on the next visit.

import init, { Viewer, checkTrainingSettings, datasetSummary, settingLimits } from '../../pkg/latent_lab.js';
import { OtherAutosaves } from './autosaves.js';
import { DrawingPad } from './canvas.js';
import { $, attempt, showError, showStatus } from './dom.js';
import { clearDigit, paintDigit } from './digit.js';
import { WeightsFiles } from './files.js';
import { backendsToRace, chooseBackend, describeBackend, detectWebGpu, memoryBudgets, rememberRace } from './gpu.js';
import { SHIPPED_LATENT_SIZES, compileWasm, loadBytes, loadShippedModel } from './loader.js';
import { ModelKeeper, openAutosave, restorable } from './keeper.js';
import { ElboPlot, GapPlot } from './plot.js';
import { TrainingSession } from './session.js';
import { DEFAULT_SETTINGS, SettingsPanel, describeSettings, isDefault } from './settings.js';
import { LatentSliders, samplePrior } from './sliders.js';
import { TrainingControls } from './training.js';
import { ActiveUnits } from './units.js';
import { LatentViews } from './views.js';

const epochOf = (progress) => progress.epoch + progress.epochFraction;
const timeOf = (ms) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

async function main() {
  showStatus('Loading the model…');
  const gpu = detectWebGpu();
  const [module, storage] = await Promise.all([compileWasm(), openAutosave()]);
  const { autosave, saved } = storage;
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
    paintDigit(reconstruction, out.pixels);
    // The sliders (and their own decode) follow a frame later: the reconstruction, which is
    // what the stroke asked for, is painted before the handler returns (BENCHMARKS.md).
    if (moveSliders) requestAnimationFrame(() => sliders.set(out.mean));
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
    modelNote.textContent = {
      own: `Restored the model you were training, autosaved ${timeOf(restored.savedAt)}.`,
      adopted: `Restored the model you were training in a tab since closed, autosaved ${timeOf(restored.savedAt)}.`,
      copied: `Started from a copy of the model another open tab is training (autosaved ${timeOf(restored.savedAt)}); training here never changes that tab's model.`,
    }[autosave.origin];
  } else {
    modelNote.textContent = 'A model trained natively ships with the page; press Train to go on training it here, or start from scratch.';
  }

  if (!autosave) showError(`Autosave is off: ${storage.problem}. Training works; export the weights to keep them.`);
  const gpuSupport = await gpu;
  showStatus('Loading 10,000 MNIST digits…');
  const dataset = await loadBytes('dataset');
  let summary;
  try {
    summary = datasetSummary(dataset);
  } catch (e) {
    // The model on screen still works: the sliders and the drawing pad need no data.
    showError(`The training data could not be read (${e.message}). Training is off; the sliders and the drawing pad still use the model. Rebuild the page with scripts/demo.sh.`);
    showStatus('Training is unavailable: the dataset is damaged.');
    document.body.dataset.state = 'no-data';
    return;
  }
  const { heldoutLabels: labels, trainingImages: trainingImageCount } = summary;
  const budgets = memoryBudgets(gpuSupport);
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
  let secondsPerStep = 0;
  const showTrainingStatus = () => {
    const training = document.body.dataset.state === 'training';
    const compiling = training && trainingOn.kind === 'webgpu' && !stepsOnBackend;
    showStatus(`Training on ${trainingOn.label}. ${training ? 'Training…' : 'Press Train to start.'}${compiling ? ' The first WebGPU step compiles its shaders and can take several seconds.' : ''}`);
  };

  const keeper = new ModelKeeper(autosave, (progress) => {
    const epoch = epochOf(progress);
    return { ...plot.historyUntil(epoch), gap: gapPlot.historyUntil(epoch) };
  });

  /** Notes to show when the load command with this seq brings its model: `seq → note`. */
  const loading = new Map();

  /** Puts a model (its viewer, weights file and progress) on screen: sliders, drawing, views. */
  function showModel(next, bytes, progress) {
    viewer.free();
    viewer = next;
    keeper.weightsShown(bytes, progress, controls.trained);
    document.body.dataset.weightsStep = String(progress.step);
    controls.showProgress(progress);
    // The digits on screen follow the training model; the sliders stay where the person
    // put them (at 0 when the latent size changed).
    sliders.setSize(viewer.latentSize);
    showDrawing(false);
    sliders.redraw();
    views.modelChanged(viewer.latentSize);
  }

  /**
   * Trains the model of a weights file from now on, saying `note` once it is loaded. Checked
   * here first, so a bad file changes nothing, not even the training state; the worker checks
   * it again and takes it all or not at all, and only its `started` changes the page.
   */
  function loadModel(bytes, what, note) {
    const candidate = attempt(what, () => new Viewer(bytes));
    if (!candidate) return;
    candidate.free();
    if (!controls.confirmReplace()) return;
    controls.setState('switching');
    loading.set(session.load(bytes), note);
  }

  let controls;
  const files = new WeightsFiles({
    async exportWeights() {
      const bytes = await session.exportWeights();
      if (!bytes) throw new Error('training restarted before the weights could be read; export again');
      return { bytes, name: `latent-lab-latent${viewer.latentSize}-step${keeper.latest?.progress.step ?? 0}.bpk` };
    },
    importWeights: (bytes, name) => loadModel(bytes, `Importing ${name}`, `Loaded ${name}.`),
    error: showError,
  });

  /** Fresh weights as `settings` ask, training at once when `train`. */
  const reset = async (settings, train = false) => {
    await keeper.forget();
    modelNote.textContent = `Training from fresh weights: ${describeSettings(settings)}.`;
    session.reset(settings, train);
  };
  controls = new TrainingControls({
    train: () => {
      $('alert').hidden = true;
      const backends = backendsToRace(gpuSupport);
      if (!backends) return session.train();
      controls.setState('switching');
      showStatus('Timing a few training steps on WebGPU and on the CPU, to train on the faster (the first WebGPU step compiles its shaders)…');
      return session.race(backends);
    },
    pause: () => {
      session.pause();
      // A chunk is at least one step, and one step of a large model can take many seconds.
      if (secondsPerStep > 1) showStatus(`Pausing after the step under way: one step takes about ${Math.round(secondsPerStep)} s on ${trainingOn.label}.`);
    },
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
          loading.set(session.load(await loadShippedModel(size)), `The shipped model with latent size ${size}.`);
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
    // Refuses, before anything changes, settings whose training step would not fit in memory
    // on the backend training now (the worker checks again when it builds the trainer).
    check: ({ model, objective, optimizer }) => {
      const backend = trainingOn?.kind ?? chooseBackend(gpuSupport);
      const options = { backend, model, objective, ...optimizer, memoryBudget: budgets[backend] };
      checkTrainingSettings(options, trainingImageCount);
    },
    error: showError,
  }, settingLimits());
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
      memoryBudgets: budgets,
    },
    {
      started(reason, model, seq) {
        // Everything about the new model changes together: it was built and read in full
        // before the worker announced it.
        const next = attempt('Showing the new model', () => new Viewer(model.weights));
        if (!next) return;
        if (reason === 'load' || reason === 'reset') {
          plot.clear();
          gapPlot.clear();
          units.clear();
          controls.trained = false;
          for (const id of ['fig-heldout', 'fig-gap', 'fig-active']) $(id).textContent = '–';
          views.forgetModel();
        }
        // An imported or shipped model is kept once it arrives; after a reset, once trained.
        if (reason === 'load') keeper.changed();
        if (loading.has(seq)) modelNote.textContent = loading.get(seq);
        loading.delete(seq);
        // Not after a race ('race'), whose note is the backend's: it runs at the first Train in
        // the tab, before any step, so no Adam moments were lost in the move.
        if (reason === 'backend' || reason === 'optimizer') {
          // burn's Adam state lives on the trainer's device and is not in the weights file.
          const what = reason === 'backend' ? `Training moved to ${model.backend.label}` : 'New learning rate or batch size';
          modelNote.textContent = `${what}: the weights and the step count carry over; Adam's moment estimates start again from zero, so the next few steps move further than usual.`;
        }
        settings.showConfig(model.config);
        session.optimizer = settings.current.optimizer;
        $('model-description').textContent = describeSettings(settings.current);
        document.body.dataset.model = JSON.stringify(settings.current);
        showModel(next, model.weights, model.progress);
      },
      status(state, info) {
        unansweredRecoveries = 0;
        controls.setState(state);
        controls.showBackend(info.kind, info.label, gpuSupport.available);
        files.setEnabled(true);
        $('backend-note').textContent = describeBackend(gpuSupport, info.kind);
        document.body.dataset.backend = info.kind;
        if (trainingOn?.kind !== info.kind) stepsOnBackend = 0;
        trainingOn = info;
        showTrainingStatus();
        if (state === 'paused') keeper.saveNow();
      },
      raced(race) {
        rememberRace(race);
        $('backend-note').textContent = describeBackend(gpuSupport, race.chosen);
      },
      steps(stats, stepsPerSecond) {
        stepLog.last = { at: performance.now(), step: stats.progress.step };
        stepLog.first ??= stepLog.last;
        stepLog.count++;
        if (++stepsOnBackend === 1) showTrainingStatus();
        secondsPerStep = 1 / stepsPerSecond;
        controls.showSteps(stats.progress, stepsPerSecond);
        plot.add('train', epochOf(stats.progress), stats.train);
        keeper.changed();
      },
      heldout(progress, report) {
        controls.showHeldout(report.elbo, report.activeUnits, report.unitVariances.length);
        plot.add('heldout', epochOf(progress), report.elbo);
        units.show(report.unitVariances);
        views.showReport(report, report.unitVariances.length);
      },
      gap(progress, report) {
        controls.showGap(report);
        gapPlot.add(epochOf(progress), report);
      },
      weights(bytes, progress) {
        const next = attempt('Loading the trained weights', () => new Viewer(bytes));
        if (next) showModel(next, bytes, progress);
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
        const step = recover(trainingOn?.kind ?? 'webgpu', wasTraining);
        showError(`The GPU device was lost (${message}). Training restarted on a new device from step ${step.toLocaleString('en')}, with the weights the page last had.`);
      },
      crashed(message, wasTraining) {
        // Whatever the worker was doing is lost, the model it held included: a new worker
        // starts from the last weights the page received. Training is not resumed, since the
        // same settings would likely crash it again.
        const importLost = loading.size > 0;
        const step = recover(trainingOn?.kind ?? 'cpu', false);
        const outOfMemory = /memory|unreachable/i.test(message);
        showError(
          `The training worker crashed${outOfMemory ? ', most likely out of memory' : ''} (${message}). ` +
            `The page started a new one from step ${step.toLocaleString('en')}, with the weights it last had` +
            `${importLost ? '; the file being imported was not loaded' : ''}. ` +
            (wasTraining && outOfMemory ? 'Lower the batch size or the samples L, then press Train to go on.' : 'Press Train to go on.'),
        );
      },
      error(message) {
        showError(message);
      },
    },
  );

  /**
   * Replaces the worker with a new one on `backend` from the last weights the page has, with the
   * plot cut back to them; a worker that fails again before answering starts from the model the
   * page opened with instead, in case those weights are what makes it fail.
   * @returns {number} the step it restarts from
   */
  let unansweredRecoveries = 0;
  function recover(backend, train) {
    const from = unansweredRecoveries++ > 0 ? { bytes: startWeights, progress: null } : (keeper.latest ?? { bytes: startWeights, progress: null });
    if (from.progress) {
      plot.truncate(epochOf(from.progress));
      gapPlot.truncate(epochOf(from.progress));
    }
    loading.clear();
    controls.setState('switching');
    session.restart(from.bytes, backend, train);
    document.body.dataset.recoveries = String(Number(document.body.dataset.recoveries ?? 0) + 1);
    return from.progress?.step ?? 0;
  }

  if (autosave) {
    const others = new OtherAutosaves($('autosaves'), autosave, {
      open: (bytes, note) => loadModel(bytes, 'Opening the autosave', note),
      error: showError,
    });
    others.refresh();
  }

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

$('dismiss').addEventListener('click', () => ($('alert').hidden = true));
main().catch((e) => showError(`The page could not start: ${e.message}`));
