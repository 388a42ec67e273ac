// The benchmark's peer: latent-lab's default VAE written with TensorFlow.js 4.22 (784-400-400-20,
// LeakyReLU 0.2, Bernoulli decoder with the cross-entropy on logits in the same stable form, one
// reparameterised sample of z, Adam 1e-3, batch 128, weights and biases uniform in ±1/√fan-in as
// burn's Linear), trained on the same dataset file with the training set on the device, and
// timed as latent-lab's page trains: chunks of steps, each ending in one readback of the loss.

/* global tf */

/** The training images of www/data/mnist-10k.bin (format in src/data.rs), as [T, 784] in [0, 1]. */
async function loadTrainImages(url) {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const view = new DataView(bytes.buffer);
  const count = view.getUint32(12, true);
  const train = view.getUint32(16, true);
  const pixels = bytes.subarray(24 + count, 24 + count + train * 784);
  return tf.tidy(() => tf.tensor2d(pixels, [train, 784], 'int32').toFloat().div(255));
}

function dense(from, to) {
  const bound = 1 / Math.sqrt(from);
  return {
    w: tf.variable(tf.randomUniform([from, to], -bound, bound)),
    b: tf.variable(tf.randomUniform([to], -bound, bound)),
  };
}

const apply = (layer, x) => tf.add(tf.matMul(x, layer.w), layer.b);
const act = (x) => tf.leakyRelu(x, 0.2);

function makeVae(latent = 20, hidden = 400) {
  return {
    e1: dense(784, hidden), e2: dense(hidden, hidden),
    mean: dense(hidden, latent), logVar: dense(hidden, latent),
    d1: dense(latent, hidden), d2: dense(hidden, hidden), out: dense(hidden, 784),
  };
}

/** −ELBO averaged over the batch, in nats per image. */
function negativeElbo(m, x) {
  const h = act(apply(m.e2, act(apply(m.e1, x))));
  const mean = apply(m.mean, h);
  const logVar = apply(m.logVar, h);
  const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), tf.randomNormal(mean.shape)));
  const logits = apply(m.out, act(apply(m.d2, act(apply(m.d1, z)))));
  // max(ℓ, 0) − ℓx + log(1 + e^−|ℓ|), as src/elbo.rs.
  const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  const reconstruction = tf.sum(bce, 1);
  const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(mean), tf.exp(logVar)), tf.add(logVar, 1)), 1), 0.5);
  return tf.mean(tf.add(reconstruction, kl));
}

/**
 * Trains from fresh weights and reports the pace.
 * @param {{backend: string, seconds: number, batchSize?: number, threads?: number, data?: string}} options
 *   `threads`: the wasm backend's thread count, in a cross-origin isolated page
 * @returns {Promise<{backend: string, firstStep: number, stepsPerSecond: number, imagesPerSecond: number, loss: number}>}
 */
async function runPeer({ backend, seconds, batchSize = 128, threads, data = '../www/data/mnist-10k.bin' }) {
  if (backend === 'wasm') {
    tf.wasm.setWasmPaths('node_modules/@tensorflow/tfjs-backend-wasm/dist/');
    // Its threaded build loads only where the page is cross-origin isolated.
    if (threads) tf.wasm.setThreadsCount(threads);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js backend ${backend} is not available`);
  await tf.ready();
  const images = await loadTrainImages(data);
  const model = makeVae();
  const optimizer = tf.train.adam(1e-3);
  const count = images.shape[0];
  let step = 0;
  /** n steps, then the chunk's one readback. */
  const steps = async (n) => {
    let loss = null;
    for (let i = 0; i < n; i++) {
      const start = (step * batchSize) % (count - batchSize);
      loss?.dispose();
      loss = optimizer.minimize(() => negativeElbo(model, images.slice([start, 0], [batchSize, 784])), true);
      step++;
    }
    const [value] = await loss.data();
    loss.dispose();
    return value;
  };
  const started = performance.now();
  await steps(1);
  const firstStep = (performance.now() - started) / 1000;
  const warm = performance.now();
  while (performance.now() - warm < Math.max((seconds * 1000) / 4, 1000)) await steps(10);
  // The GPU work of the measured steps, when the benchmark counts it (bench/gpu-work.mjs).
  globalThis.benchGpu?.reset([]);
  const measuring = performance.now();
  let done = 0;
  let loss = NaN;
  while (performance.now() - measuring < seconds * 1000) {
    loss = await steps(10);
    done += 10;
  }
  const elapsed = (performance.now() - measuring) / 1000;
  globalThis.benchGpu?.take('steps', done);
  return {
    gpu: globalThis.benchGpu?.totals().steps,
    backend: tf.getBackend(),
    threads: backend === 'wasm' ? tf.wasm.getThreadsCount() : undefined,
    firstStep,
    stepsPerSecond: done / elapsed,
    imagesPerSecond: (done * batchSize) / elapsed,
    loss,
  };
}
