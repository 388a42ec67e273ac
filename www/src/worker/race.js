// The backend race: which backend trains this model faster, timed on throwaway copies of it.

/**
 * Warm-up steps on each backend until a step is no faster than the one before (the first
 * compiles the WebGPU shaders, and fusion compiles more on the next), at most this many and
 * this long; then steps timed for at least RACE_TIMED_MS.
 */
const RACE_WARMUP_STEPS = 4;
const RACE_WARMUP_MS = 20_000;
const RACE_TIMED_MS = 1_500;

/**
 * Times training on each of `backends` with a throwaway copy of the model being trained (same
 * weights and settings; the model itself does not move), and names the faster. A backend that
 * fails to start or to train loses, with the reason.
 * @param {import('./model.js').Model} model
 * @param {string[]} backends
 * @returns {Promise<import('../protocol.js').RaceResult>}
 */
export async function race(model, backends) {
  const { trainer, optimizer } = model;
  const weights = await trainer.exportWeights();
  const speeds = {};
  for (const kind of backends) {
    let candidate = null;
    try {
      candidate = await model.newTrainer(kind, { optimizer }, weights);
      speeds[kind] = await paceOf(candidate, optimizer.batchSize);
    } catch (e) {
      speeds[kind] = { error: e?.message ?? String(e) };
    } finally {
      candidate?.free();
    }
  }
  const pace = (kind) => (Number.isFinite(speeds[kind].imagesPerSecond) ? speeds[kind].imagesPerSecond : -1);
  const chosen = backends.reduce((best, kind) => (pace(kind) > pace(best) ? kind : best));
  return { speeds, chosen: pace(chosen) > 0 ? chosen : trainer.backend().kind };
}

/** Images per second of `candidate`'s warmed training steps (RACE_* above). */
async function paceOf(candidate, batch) {
  const warmupStarted = performance.now();
  let last = Infinity;
  for (let i = 0; i < RACE_WARMUP_STEPS && performance.now() - warmupStarted < RACE_WARMUP_MS; i++) {
    const started = performance.now();
    await candidate.trainSteps(1);
    const ms = performance.now() - started;
    if (ms >= 0.9 * last) break;
    last = ms;
  }
  let steps = 0;
  let chunk = 1;
  const started = performance.now();
  while (performance.now() - started < RACE_TIMED_MS) {
    const stats = await candidate.trainSteps(chunk);
    if (stats.divergence) throw new Error('the copy diverged while being timed');
    steps += stats.steps;
    chunk = Math.min(32, chunk * 2);
  }
  return { imagesPerSecond: (steps * batch * 1000) / (performance.now() - started) };
}
