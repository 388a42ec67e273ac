// The dataset worker: reads one set of brought files into a dataset (dataset-files.js) away from
// the page's main thread, which a folder of 6,000 images would otherwise hold for seconds, and
// says how far it got. One worker reads one dataset and is then ended (dataset-reader.js), so a
// cancelled read leaves nothing behind.
//
// Page → worker: {files} batch after batch, then {module, count, cell, split, transpose}
// Worker → page: {type: 'progress', done, total} while images are decoded, then one of
//                {type: 'done', dataset} (data-panel.js: Dataset, its file a Blob) or
//                {type: 'refused', message}

import init from '../../pkg/latent_lab.js';
import { finishDataset, readDataset } from './dataset-files.js';
import { DatasetRefused, nothingChanged } from './dataset-rules.js';

const files = [];

self.onmessage = async ({ data }) => {
  if (data.files) {
    files.push(...data.files);
    return;
  }
  const { module, count, cell, split, transpose } = data;
  try {
    if (files.length !== count) throw new Error(`${files.length} of the ${count} files arrived`);
    await init({ module_or_path: module });
    const read = await readDataset(files, { cell, progress: (done, total) => postMessage({ type: 'progress', done, total }) });
    let dataset;
    try {
      if (transpose) read.builder.transpose();
      dataset = finishDataset(read.builder, read.name, split, read);
    } finally {
      read.builder.free();
    }
    postMessage({ type: 'done', dataset });
  } catch (e) {
    const message = e instanceof DatasetRefused ? e.message : nothingChanged(`The dataset could not be read: ${e.message}.`);
    postMessage({ type: 'refused', message });
  }
};
