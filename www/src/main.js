// Wires the page: loads the wasm, puts a CPU viewer on the main thread for the sliders and the
// drawing pad, and starts the training worker on WebGPU or the CPU.

import init, { Viewer } from '../../pkg/latent_lab.js';
import { DrawingPad } from './canvas.js';
import { clearDigit, paintDigit } from './digit.js';
import { chooseBackend, describeBackend, detectWebGpu } from './gpu.js';
import { compileWasm, loadBytes } from './loader.js';
import { ElboPlot } from './plot.js';
import { TrainingSession } from './session.js';
import { LatentSliders, samplePrior } from './sliders.js';
import { TrainingControls } from './training.js';

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

async function main() {
  showStatus('Loading the model…');
  const gpu = detectWebGpu();
  const module = await compileWasm();
  await init({ module_or_path: module });

  const viewer = new Viewer(20);
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
    if (moveSliders) sliders.set(out.subarray(0, size));
  };
  const pad = new DrawingPad($('pad'), (pixels) => {
    drawing = pixels;
    showDrawing(true);
  });
  $('clear').addEventListener('click', () => pad.clear());

  const plot = new ElboPlot($('plot'));
  const gpuSupport = await gpu;
  const backend = chooseBackend(gpuSupport);
  showStatus('Loading 10,000 MNIST digits…');
  const dataset = await loadBytes('dataset');
  const weights = await viewer.exportWeights();
  const epochOf = (progress) => progress.epoch + progress.epochFraction;
  /** When each chunk of steps ended, for the benchmark. */
  const stepLog = [];

  let trainingOn = null;
  let stepsOnBackend = 0;
  const showTrainingStatus = () => {
    const training = document.body.dataset.state === 'training';
    const compiling = training && trainingOn.kind === 'webgpu' && !stepsOnBackend;
    showStatus(`Training on ${trainingOn.label}. ${training ? 'Training…' : 'Press Train to start.'}${compiling ? ' The first WebGPU step compiles its shaders and can take several seconds.' : ''}`);
  };

  const controls = new TrainingControls({
    train: () => {
      alertLine.hidden = true;
      session.train();
    },
    pause: () => session.pause(),
    reset: (latentSize) => {
      plot.clear();
      session.reset(latentSize);
    },
    switchBackend: (kind) => session.switchBackend(kind),
  });
  controls.setState('starting');
  controls.showLatentSize(viewer.latentSize);

  const session = new TrainingSession(module, { dataset, backend, latentSize: viewer.latentSize, weights }, {
    status(state, info) {
      controls.setState(state);
      controls.showBackend(info.kind, info.label, gpuSupport.available);
      $('backend-note').textContent = describeBackend(gpuSupport, info.kind);
      document.body.dataset.backend = info.kind;
      document.body.dataset.state = state;
      if (trainingOn?.kind !== info.kind) stepsOnBackend = 0;
      trainingOn = info;
      showTrainingStatus();
    },
    steps(stats, stepsPerSecond) {
      stepLog.push({ at: performance.now(), step: stats.progress.step });
      if (++stepsOnBackend === 1) showTrainingStatus();
      controls.showSteps(stats.progress, stepsPerSecond);
      plot.add('train', epochOf(stats.progress), stats.train);
    },
    heldout(progress, stats) {
      controls.showHeldout(stats);
      plot.add('heldout', epochOf(progress), stats);
    },
    weights(bytes, progress) {
      if (!attempt('Loading the trained weights', () => (viewer.loadWeights(bytes), true))) return;
      controls.showProgress(progress);
      controls.showLatentSize(viewer.latentSize);
      // The digits on screen follow the training model; the sliders stay where the person put
      // them (at 0 when the latent size changed).
      sliders.setSize(viewer.latentSize);
      showDrawing(false);
      sliders.redraw();
    },
    error(message) {
      showError(message);
    },
  });

  // What the browser tests read.
  window.latentLab = {
    plot,
    stepLog,
    get backend() { return document.body.dataset.backend; },
    get latentSize() { return viewer.latentSize; },
  };
}

$('dismiss').addEventListener('click', () => (alertLine.hidden = true));
main().catch((e) => showError(`The page could not start: ${e.message}`));
