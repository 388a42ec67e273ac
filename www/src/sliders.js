// The latent sliders: one labelled range input per dimension of z, −3…3.

const RANGE = 3;

export class LatentSliders {
  /**
   * @param {HTMLElement} container
   * @param {(z: Float32Array) => void} onChange called on every movement, with the whole z
   */
  constructor(container, onChange) {
    this.container = container;
    this.onChange = onChange;
    /** @type {HTMLInputElement[]} */
    this.inputs = [];
    /** @type {HTMLOutputElement[]} */
    this.outputs = [];
  }

  /** Rebuilds the sliders for `size` dimensions, all at 0. */
  setSize(size) {
    if (size === this.inputs.length) return;
    this.container.replaceChildren();
    this.inputs = [];
    this.outputs = [];
    for (let i = 0; i < size; i++) {
      const row = document.createElement('div');
      row.className = 'slider';
      const label = document.createElement('label');
      label.textContent = `z${i + 1}`;
      label.htmlFor = `z${i}`;
      const input = document.createElement('input');
      Object.assign(input, { type: 'range', id: `z${i}`, min: -RANGE, max: RANGE, step: 0.01, value: 0 });
      input.setAttribute('aria-label', `latent dimension ${i + 1}`);
      const output = document.createElement('output');
      output.htmlFor = input.id;
      output.textContent = '0.00';
      input.addEventListener('input', () => {
        output.textContent = Number(input.value).toFixed(2);
        this.onChange(this.value());
      });
      row.append(label, input, output);
      this.container.append(row);
      this.inputs.push(input);
      this.outputs.push(output);
    }
  }

  /** @returns {Float32Array} the current z */
  value() {
    return Float32Array.from(this.inputs, (input) => Number(input.value));
  }

  /** Reports the current z again, to redraw it after the model changed. */
  redraw() {
    this.onChange(this.value());
  }

  /** Moves the sliders to `z` (clamped to the slider range) and reports the change. */
  set(z) {
    this.inputs.forEach((input, i) => {
      input.value = String(Math.max(-RANGE, Math.min(RANGE, z[i])));
      this.outputs[i].textContent = Number(input.value).toFixed(2);
    });
    this.redraw();
  }
}

/** A draw from N(0, I) by Box–Muller. */
export function samplePrior(size) {
  return Float32Array.from({ length: size }, () => {
    const u = 1 - Math.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
  });
}
