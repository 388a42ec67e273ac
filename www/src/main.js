// Wires the page: loads the wasm, puts a CPU viewer on the main thread for the sliders and the
// drawing pad, starts the training worker on WebGPU or the CPU, and keeps the work: the model
// and plot are autosaved, and restored on the next visit.

import init, { Viewer } from '../../pkg/latent_lab.js';
import { OtherAutosaves } from './autosaves.js';
import { datasetOf, shippedDataset } from './data-panel.js';
import { $, showError, showStatus } from './dom.js';
import { detectWebGpu, memoryBudgets } from './gpu.js';
import { compileWasm, loadBytes, loadShippedModel } from './loader.js';
import { ModelKeeper, openAutosave, restorable } from './keeper.js';
import { ModelView } from './model-view.js';
import { ElboPlot, GapPlot, epochOf } from './plot.js';
import { ReconstructionStrip } from './reconstructions.js';
import { publishLab, publishState } from './test-hooks.js';
import { chooseThreadCount, threadSupport } from './threads.js';
import { TrainingPage } from './training-page.js';
import { ActiveUnits } from './units.js';
import { LatentViews } from './views.js';

const timeOf = (ms) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

async function main() {
  showStatus('Loading the model…');
  const gpu = detectWebGpu();
  const threads = startThreads();
  const [module, storage] = await Promise.all([compileWasm(), openAutosave()]);
  const { autosave, saved } = storage;
  const { memory: wasmMemory } = await init({ module_or_path: module });
  const restored = restorable(saved);
  const startWeights = restored?.weights ?? (await loadShippedModel(20));
  const modelView = new ModelView(new Viewer(startWeights));

  const plots = {
    plot: new ElboPlot($('plot')),
    gapPlot: new GapPlot($('gap-plot')),
    units: new ActiveUnits($('units'), $('units-summary')),
    reconstructions: new ReconstructionStrip($('reconstructions'), (z) => modelView.showLatent(z)),
  };
  if (restored) {
    plots.plot.restore(restored.history);
    plots.gapPlot.restore(restored.history.gap);
    $('model-note').textContent = {
      own: `Restored the model you were training, autosaved ${timeOf(restored.savedAt)}.`,
      adopted: `Restored the model you were training in a tab since closed, autosaved ${timeOf(restored.savedAt)}.`,
      copied: `Started from a copy of the model another open tab is training (autosaved ${timeOf(restored.savedAt)}); training here never changes that tab's model.`,
    }[autosave.origin];
  } else {
    $('model-note').textContent = 'A model trained natively ships with the page; press Train to go on training it here, or start from scratch.';
  }

  if (!autosave) showError(`Autosave is off: ${storage.problem}. Training works; export the weights to keep them.`);
  const gpuSupport = await gpu;
  let dataset = restored?.dataset ? await ownDataset(autosave, restored.dataset) : null;
  try {
    if (!dataset) {
      showStatus('Loading 10,000 MNIST digits…');
      dataset = shippedDataset(await loadBytes('dataset'));
    }
  } catch (e) {
    // The model on screen still works: the sliders and the drawing pad need no data.
    showError(`The training data could not be read (${e.message}). Training is off; the sliders and the drawing pad still use the model. Rebuild the page with scripts/demo.sh.`);
    showStatus('Training is unavailable: the dataset is damaged.');
    publishState('no-data');
    return;
  }
  const views = new LatentViews(
    {
      viewer: () => modelView.viewer,
      drawing: () => modelView.drawing,
      showLatent: (z) => modelView.showLatent(z),
      error: showError,
    },
    dataset.summary.labelled ? dataset.summary.heldoutLabels : null,
  );
  views.modelChanged(modelView.latentSize);

  const keeper = new ModelKeeper(autosave, (progress) => {
    const epoch = epochOf(progress);
    return { ...plots.plot.historyUntil(epoch), gap: plots.gapPlot.historyUntil(epoch) };
  }, dataset.builtIn ? null : dataset);
  const training = new TrainingPage({
    module,
    threads: await threads,
    dataset,
    gpu: gpuSupport,
    budgets: memoryBudgets(gpuSupport),
    startWeights,
    restored,
    modelView,
    plots,
    views,
    keeper,
  });

  // A drop anywhere: a weights file is imported, anything else read as a dataset.
  training.files.onDrop = (drop) => training.dataPanel.bringDropped(drop);

  if (autosave) {
    const others = new OtherAutosaves($('autosaves'), autosave, {
      open: (bytes, note) => training.loadModel(bytes, 'Opening the autosave', note),
      error: showError,
    });
    others.refresh();
  }

  publishLab({
    plot: plots.plot,
    gapPlot: plots.gapPlot,
    views,
    stepLog: training.events.stepLog,
    latentSize: () => modelView.latentSize,
    memory: async () => ({ page: { wasmBytes: wasmMemory.buffer.byteLength }, worker: await training.session.memory() }),
  });
}

/**
 * The person's own dataset an autosave trained on, read back from storage; null (and said) when
 * it is gone or damaged, and the page trains on the shipped digits instead.
 * @returns {Promise<import('./data-panel.js').Dataset | null>}
 */
async function ownDataset(autosave, saved) {
  try {
    const kept = await autosave.readDataset(saved.hash);
    if (!kept) throw new Error(saved.kept === false ? 'it did not fit in this browser\'s storage when it was brought' : 'it is no longer in storage');
    return datasetOf(kept.bytes, { blob: kept.blob, description: kept.description, split: kept.split });
  } catch (e) {
    showError(`The dataset “${saved.name}” the autosaved model was training on could not be restored (${e.message}); the page trains on the MNIST digits instead. Bring the dataset again to go on with it.`);
    return null;
  }
}

/**
 * Whether the CPU path trains on a pool of threads here, and the threaded build and pool size it
 * starts with (threads.js); a threaded build that does not load leaves one thread, and says why.
 * @returns {Promise<{support: import('./threads.js').ThreadSupport, pool: import('./protocol.js').Threads | null}>}
 */
async function startThreads() {
  const support = threadSupport();
  if (!support.available) return { support, pool: null };
  try {
    return { support, pool: { module: await compileWasm('threaded-wasm'), count: chooseThreadCount(support) } };
  } catch (e) {
    return { support: { available: false, cores: support.cores, reason: `the threaded build did not load (${e.message})` }, pool: null };
  }
}

$('dismiss').addEventListener('click', () => ($('alert').hidden = true));
main().catch((e) => showError(`The page could not start: ${e.message}`));
