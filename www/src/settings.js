// The model and objective panel: latent size, likelihood, posterior, architecture, Monte-Carlo
// samples, β and KL warm-up, each a switch that restarts training after a confirm, and the
// importance samples k of the gap estimate, which changes only the measurement.

const $ = (id) => document.getElementById(id);

/** burn's Config enums as serde writes them. */
const LIKELIHOODS = {
  bernoulli: () => 'Bernoulli',
  gaussian: (sigma) => ({ Gaussian: { sigma } }),
  'gaussian-learned': () => 'GaussianLearned',
};

/** What the page trains when nothing else is asked for: what the shipped models were trained as. */
export const DEFAULT_SETTINGS = Object.freeze({
  model: { latentSize: 20, likelihood: 'Bernoulli', covariance: 'Diagonal', architecture: 'Mlp' },
  objective: { samples: 1, beta: 1, warmup_steps: 0 },
});

/** Whether `settings` are those of the shipped models, apart from the latent size. */
export function isDefault(settings) {
  const { model, objective } = settings;
  const d = DEFAULT_SETTINGS;
  return (
    model.likelihood === d.model.likelihood &&
    model.covariance === d.model.covariance &&
    model.architecture === d.model.architecture &&
    objective.samples === d.objective.samples &&
    objective.beta === d.objective.beta &&
    objective.warmup_steps === d.objective.warmup_steps
  );
}

/** Reads a number input, or explains what it accepts. */
function numberIn(input, low, high, what) {
  const value = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(value) || value < low || value > high) {
    throw new Error(`${what} must be a number from ${low} to ${high}`);
  }
  return value;
}

export class SettingsPanel {
  /**
   * @param {{restart: (settings: object) => void, gapK: (k: number) => void,
   *          confirmReplace: () => boolean, error: (message: string) => void}} actions
   */
  constructor(actions) {
    this.actions = actions;
    this.inputs = {
      latentSize: $('latent-size'),
      likelihood: $('likelihood'),
      sigma: $('sigma'),
      covariance: $('covariance'),
      architecture: $('architecture'),
      samples: $('samples'),
      beta: $('beta'),
      warmup: $('warmup'),
    };
    this.gapInput = $('gap-k');
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

  /** @returns {{model: object, objective: object}} what the controls ask for */
  read() {
    const i = this.inputs;
    const sigma = numberIn(i.sigma, 0.001, 10, 'The Gaussian σ');
    return {
      model: {
        latentSize: Number(i.latentSize.value),
        likelihood: LIKELIHOODS[i.likelihood.value](sigma),
        covariance: i.covariance.value,
        architecture: i.architecture.value,
      },
      objective: {
        samples: numberIn(i.samples, 1, 16, 'Monte-Carlo samples'),
        beta: numberIn(i.beta, 0, 100, 'β'),
        warmup_steps: Math.round(numberIn(i.warmup, 0, 1e6, 'KL warm-up')),
      },
    };
  }

  changed() {
    this.showSamples();
    this.showSigma();
    let next;
    try {
      next = this.read();
    } catch (e) {
      this.actions.error(`${e.message}; nothing was changed.`);
      this.show(this.current);
      return;
    }
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    if (!this.actions.confirmReplace()) {
      this.show(this.current);
      return;
    }
    this.current = next;
    this.actions.restart(next);
  }

  /** Reflects the model being trained: `config` is the trainer's (burn's field names). */
  showConfig(config) {
    this.show({
      model: {
        latentSize: config.model.latent_size,
        likelihood: config.model.likelihood,
        covariance: config.model.covariance,
        architecture: config.model.architecture,
      },
      objective: { ...config.objective },
    });
  }

  show(settings) {
    this.current = structuredClone(settings);
    const { model, objective } = settings;
    const i = this.inputs;
    i.latentSize.value = String(model.latentSize);
    if (model.likelihood?.Gaussian) {
      i.likelihood.value = 'gaussian';
      i.sigma.value = String(model.likelihood.Gaussian.sigma);
    } else {
      i.likelihood.value = model.likelihood === 'GaussianLearned' ? 'gaussian-learned' : 'bernoulli';
    }
    i.covariance.value = model.covariance;
    i.architecture.value = model.architecture;
    i.samples.value = String(objective.samples);
    i.beta.value = String(objective.beta);
    i.warmup.value = String(objective.warmup_steps);
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
  const likelihood = model.likelihood?.Gaussian
    ? `Gaussian σ=${model.likelihood.Gaussian.sigma}`
    : model.likelihood === 'GaussianLearned' ? 'Gaussian, learned σ' : 'Bernoulli';
  const parts = [
    `latent ${model.latentSize}`,
    likelihood,
    model.covariance === 'Full' ? 'full covariance' : 'diagonal',
    model.architecture === 'Conv' ? 'conv' : 'MLP',
    `L=${objective.samples}`,
    `β=${objective.beta}`,
  ];
  if (objective.warmup_steps) parts.push(`warm-up ${objective.warmup_steps} steps`);
  return parts.join(' · ');
}
