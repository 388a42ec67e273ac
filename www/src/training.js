// The training panel's controls and figures: Train / Pause / Train from scratch, latent size,
// backend, and the step, epoch, speed and progress read-outs.

const $ = (id) => document.getElementById(id);

export class TrainingControls {
  /**
   * @param {{train: () => void, pause: () => void, reset: (latentSize: number) => void,
   *          latentSize: (latentSize: number) => void, switchBackend: (backend: string) => void}} actions
   */
  constructor(actions) {
    this.buttons = { train: $('train'), pause: $('pause'), reset: $('reset') };
    this.latentSize = $('latent-size');
    this.backend = $('backend');
    /** Whether the model was trained in this tab (or restored from its autosave). */
    this.trained = false;
    this.buttons.train.addEventListener('click', () => {
      this.setState('starting');
      actions.train();
    });
    this.buttons.pause.addEventListener('click', () => {
      this.setState('pausing');
      actions.pause();
    });
    this.buttons.reset.addEventListener('click', () => this.confirmReplace() && actions.reset(this.size()));
    this.latentSize.addEventListener('change', () => {
      if (this.confirmReplace()) actions.latentSize(this.size());
      else this.latentSize.value = String(this.currentSize);
    });
    this.backend.addEventListener('change', () => {
      this.setState('switching');
      actions.switchBackend(this.backend.value);
    });
  }

  size() {
    return Number(this.latentSize.value);
  }

  /** Asks before the model trained in this tab is replaced (export it first to keep it). */
  confirmReplace() {
    return !this.trained || confirm('Replace the model trained here? Export it first to keep it.');
  }

  /** @param {'starting' | 'pausing' | 'switching' | 'ready' | 'training' | 'paused'} state */
  setState(state) {
    const busy = state === 'starting' || state === 'pausing' || state === 'switching';
    this.buttons.train.disabled = busy || state === 'training';
    this.buttons.pause.disabled = state !== 'training';
    this.buttons.reset.disabled = busy;
    this.latentSize.disabled = busy;
    this.backend.disabled = busy;
  }

  /** Reflects which backend runs, and which are available. */
  showBackend(kind, label, webgpuAvailable) {
    this.backend.value = kind;
    this.backend.querySelector('option[value=webgpu]').disabled = !webgpuAvailable;
    this.backend.title = `Training on ${label}`;
  }

  showLatentSize(size) {
    this.currentSize = size;
    this.latentSize.value = String(size);
  }

  showSteps(progress, stepsPerSecond) {
    this.trained = true;
    this.showProgress(progress);
    $('fig-rate').textContent = stepsPerSecond >= 10 ? stepsPerSecond.toFixed(0) : stepsPerSecond.toFixed(2);
  }

  showProgress(progress) {
    $('fig-step').textContent = progress.step.toLocaleString('en');
    $('fig-epoch').textContent = (progress.epoch + progress.epochFraction).toFixed(2);
    $('epoch-progress').value = progress.epochFraction;
    if (progress.step === 0) $('fig-rate').textContent = '–';
  }

  showHeldout(stats) {
    $('fig-heldout').textContent = `${stats.negativeElbo.toFixed(1)} nats`;
  }
}
