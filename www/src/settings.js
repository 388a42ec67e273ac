// The model and objective panel: latent size, likelihood, posterior, architecture, Monte-Carlo
// samples, β, KL warm-up and the data (binarised or grey levels), each a switch that restarts training after a confirm; Adam's
// learning rate and the batch size, which go on training the same model; and the importance
// samples k of the gap estimate, which changes only the measurement. A value out of range, or a
// combination that would not fit in memory, is refused with what the field accepts, and nothing
// changes. The ranges are the trainer's own (`settingLimits()` from the wasm), so the page, the
// trainer and the weights loader accept exactly the same values.

import { $ } from './dom.js';

/**
 * What the page trains when nothing else is asked for: what the shipped models were trained as.
 * The shape is the wasm's own (`TrainingSettings` in src/web/options.rs): the trainer reports
 * these and takes them back as they are.
 */
export const DEFAULT_SETTINGS = Object.freeze({
  model: { latentSize: 20, likelihood: { kind: 'bernoulli' }, covariance: 'Diagonal', architecture: 'Mlp' },
  objective: { samples: 1, beta: 1, warmupSteps: 0 },
  optimizer: { learningRate: 1e-3, batchSize: 128 },
  data: 'binarised',
});

/** Whether `settings` are those of the shipped models, apart from the latent size. */
export function isDefault(settings) {
  const { model, objective } = settings;
  const d = DEFAULT_SETTINGS;
  return (
    model.likelihood.kind === d.model.likelihood.kind &&
    model.covariance === d.model.covariance &&
    model.architecture === d.model.architecture &&
    objective.samples === d.objective.samples &&
    objective.beta === d.objective.beta &&
    objective.warmupSteps === d.objective.warmupSteps &&
    settings.data === d.data
  );
}

/**
 * Reads a number input, or explains what it accepts.
 * @param {{min: number, max: number, minExclusive?: boolean}} range
 */
function numberIn(input, range, what, whole = false) {
  const value = Number(input.value);
  const { min, max, minExclusive } = range;
  const above = minExclusive ? value > min : value >= min;
  if (input.value.trim() === '' || !Number.isFinite(value) || !above || value > max || (whole && !Number.isInteger(value))) {
    const kind = whole ? 'a whole number' : 'a number';
    const span = minExclusive ? `above ${min} and at most ${max}` : `from ${min} to ${max}`;
    throw new Error(`${what} must be ${kind} ${span} (got “${input.value}”)`);
  }
  return value;
}

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export class SettingsPanel {
  /**
   * @param {{restart: (settings: object) => void, optimizer: (settings: object) => void,
   *          gapK: (k: number) => void, confirmReplace: () => boolean,
   *          check: (settings: object) => void, error: (message: string) => void}} actions
   *   `check` throws, with the reason, for settings the trainer would refuse (memory)
   * @param {object} limits every field's range, as `settingLimits()` gives them
   */
  constructor(actions, limits) {
    this.actions = actions;
    this.limits = limits;
    this.inputs = {
      latentSize: $('latent-size'),
      likelihood: $('likelihood'),
      sigma: $('sigma'),
      covariance: $('covariance'),
      architecture: $('architecture'),
      samples: $('samples'),
      beta: $('beta'),
      warmup: $('warmup'),
      learningRate: $('learning-rate'),
      batchSize: $('batch-size'),
      data: $('data'),
    };
    this.gapInput = $('gap-k');
    const fields = [
      ['latentSize', limits.latentSize],
      ['sigma', limits.sigma],
      ['samples', limits.samples],
      ['beta', limits.beta],
      ['warmup', limits.warmupSteps],
      ['learningRate', limits.learningRate],
      ['batchSize', limits.batchSize],
    ];
    for (const [name, range] of fields) Object.assign(this.inputs[name], { min: String(range.min), max: String(range.max) });
    /** The σ last accepted: the field keeps it while another likelihood is chosen. */
    this.validSigma = this.inputs.sigma.value;
    this.current = structuredClone(DEFAULT_SETTINGS);
    for (const input of Object.values(this.inputs)) {
      input.addEventListener('change', () => this.changed());
    }
    this.inputs.samples.addEventListener('input', () => this.showSamples());
    this.gapInput.addEventListener('change', () => actions.gapK(this.gapK()));
  }

  /** The importance samples per digit of the gap estimate. */
  gapK() {
    return Number(this.gapInput.value);
  }

  /** @returns {{model: object, objective: object, optimizer: object, data: string}} what the controls ask for */
  read() {
    const i = this.inputs;
    const l = this.limits;
    const sigma = numberIn(i.sigma, l.sigma, 'The Gaussian σ');
    this.validSigma = i.sigma.value;
    return {
      model: {
        latentSize: numberIn(i.latentSize, l.latentSize, 'The latent size', true),
        likelihood: i.likelihood.value === 'gaussian' ? { kind: 'gaussian', sigma } : { kind: i.likelihood.value },
        covariance: i.covariance.value,
        architecture: i.architecture.value,
      },
      objective: {
        samples: numberIn(i.samples, l.samples, 'Monte-Carlo samples', true),
        beta: numberIn(i.beta, l.beta, 'β'),
        warmupSteps: Math.round(numberIn(i.warmup, l.warmupSteps, 'KL warm-up')),
      },
      optimizer: {
        learningRate: numberIn(i.learningRate, l.learningRate, 'The learning rate'),
        batchSize: numberIn(i.batchSize, l.batchSize, 'The batch size', true),
      },
      data: i.data.value,
    };
  }

  changed() {
    this.showSamples();
    this.showSigma();
    let next;
    try {
      next = this.read();
      this.actions.check(next);
    } catch (e) {
      this.actions.error(`${e.message}; nothing was changed.`);
      this.show(this.current);
      return;
    }
    // New data restarts too: the plot's figures would change meaning halfway.
    const restarts = ['model', 'objective', 'data'].some((part) => !sameJson(next[part], this.current[part]));
    const optimizerChanged = !sameJson(next.optimizer, this.current.optimizer);
    if (!restarts && !optimizerChanged) return;
    if (restarts && !this.actions.confirmReplace()) {
      this.show(this.current);
      return;
    }
    this.current = next;
    // New optimizer settings alone go on training the same model; with a restart they apply
    // to the fresh one.
    if (optimizerChanged) this.actions.optimizer(next.optimizer, !restarts);
    if (restarts) this.actions.restart(next);
  }

  /** Reflects `settings`: the model being trained, as its trainer reports it, or the last accepted. */
  show(settings) {
    this.current = structuredClone(settings);
    const { model, objective } = settings;
    const i = this.inputs;
    i.latentSize.value = String(model.latentSize);
    i.likelihood.value = model.likelihood.kind;
    i.sigma.value = model.likelihood.kind === 'gaussian' ? String(model.likelihood.sigma) : this.validSigma;
    i.covariance.value = model.covariance;
    i.architecture.value = model.architecture;
    i.samples.value = String(objective.samples);
    i.beta.value = String(objective.beta);
    i.warmup.value = String(objective.warmupSteps);
    i.learningRate.value = String(settings.optimizer.learningRate);
    i.batchSize.value = String(settings.optimizer.batchSize);
    i.data.value = settings.data;
    this.showSamples();
    this.showSigma();
  }

  showSamples() {
    $('samples-value').textContent = this.inputs.samples.value;
  }

  showSigma() {
    this.inputs.sigma.closest('label').hidden = this.inputs.likelihood.value !== 'gaussian';
  }

  setEnabled(enabled) {
    for (const input of Object.values(this.inputs)) input.disabled = !enabled;
  }
}

/** A one-line description of the model being trained, for the figures. */
export function describeSettings(settings) {
  const { model, objective } = settings;
  const likelihood = {
    bernoulli: 'Bernoulli',
    'continuous-bernoulli': 'continuous Bernoulli',
    gaussian: `Gaussian σ=${model.likelihood.sigma}`,
    'gaussian-learned': 'Gaussian, learned σ',
  }[model.likelihood.kind];
  const parts = [
    `latent ${model.latentSize}`,
    likelihood,
    settings.data === 'grey-levels' ? 'grey levels' : 'binarised digits',
    model.covariance === 'Full' ? 'full covariance' : 'diagonal',
    model.architecture === 'Conv' ? 'conv' : 'MLP',
    `L=${objective.samples}`,
    `β=${objective.beta}`,
  ];
  if (objective.warmupSteps) parts.push(`warm-up ${objective.warmupSteps} steps`);
  if (settings.optimizer) parts.push(`Adam lr=${settings.optimizer.learningRate}`, `batch ${settings.optimizer.batchSize}`);
  return parts.join(' · ');
}

/**
 * What the figures of a run are, by the trainer's own rule (`figureMeaning()` from the wasm, which
 * knows which likelihoods are densities), in a sentence under the plots.
 */
export const FIGURE_NOTES = Object.freeze({
  'negative-log-likelihood':
    'These are true bounds, in expectation over the sampled z: −ELBO ≥ −IW-k ≥ −log p(x), the negative log-likelihood of the digits as the model scores them.',
  'binarised-expectation':
    'A Bernoulli decoder on grey levels: its cross-entropy is the expected −log-likelihood of a randomly binarised digit, not a density of the grey levels, so −ELBO and −IW-k are upper bounds on that expectation, not on any −log p(x).',
});
