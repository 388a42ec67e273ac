// What the browser tests and the benchmark read, written here and nowhere else: `data-*`
// attributes (on the body unless said) and `window.latentLab`. The page never reads them back:
// its own state is in its objects' fields.

const publish = (name, value) => {
  document.body.dataset[name] = String(value);
};

/**
 * `data-state`: ready / training / paused once the worker has answered every command sent,
 * starting / pausing / switching before; no-data when the dataset could not be read.
 */
export const publishState = (state) => publish('state', state);

/** `data-backend`: the kind of backend training now, 'webgpu' or 'cpu'. */
export const publishBackend = (kind) => publish('backend', kind);

/** `data-model`: the settings of the model being trained, as JSON. */
export const publishModel = (settings) => publish('model', JSON.stringify(settings));

/** `data-weights-step`: the step of the weights on screen. */
export const publishWeightsStep = (step) => publish('weightsStep', step);

/** `data-saved-step`: the step the autosave holds. */
export const publishSavedStep = (step) => publish('savedStep', step);

/**
 * `data-training-worker`: the blob: address the training worker was started from, which tells
 * it apart from the threads of its CPU pool (workers too, whose code never yields to be asked).
 */
export const publishTrainingWorker = (url) => publish('trainingWorker', url);

/** `data-recoveries`: how many times a new worker replaced a crashed or lost one. */
export const publishRecoveries = (count) => publish('recoveries', count);

/** `data-count` on the reconstructions strip: how many held-out images it shows. */
export const publishReconstructions = (canvas, count) => {
  canvas.dataset.count = String(count);
};

/** `data-dataset` on the body: the name of the data the model trains on. */
export const publishDataset = (name) => publish('dataset', name);

/** `data-active` on the active-units plot: how many units are active. */
export const publishActiveUnits = (container, active) => {
  container.dataset.active = String(active);
};

/**
 * `window.latentLab`: the plots and views as objects, the step log, the backend and latent size
 * now, and the memory in use.
 * @param {{plot: object, gapPlot: object, views: object, stepLog: object,
 *          latentSize: () => number, memory: () => Promise<object>}} lab
 */
export function publishLab({ plot, gapPlot, views, stepLog, latentSize, memory }) {
  window.latentLab = {
    plot,
    gapPlot,
    views,
    stepLog,
    get backend() {
      return document.body.dataset.backend;
    },
    get latentSize() {
      return latentSize();
    },
    /** For the soak test: the worker's wasm memory and WebGPU buffers, and this page's wasm. */
    memory,
  };
}
