// Counts the WebGPU work a page or worker does, for the benchmark only (scripts/bench.mjs
// evaluates this function's source in the training worker and in the TensorFlow.js peer's page;
// nothing of it ships). It wraps the prototypes, so it counts every device in that global scope.
//
// `self.benchGpu.take(kind)` returns what was counted since the last `take` and starts again;
// `self.benchGpu.attributeToMessages()` makes every `postMessage` of the scope take the counts
// under the message's `type`, so the work before a 'steps' message is the training's, before a
// 'heldout' message the held-out evaluation's, and so on: the worker runs one command at a time
// and posts each result as soon as it has it.

/* eslint-disable no-undef */
export function installGpuCounter() {
  if (self.benchGpu) return;
  const zero = () => ({ dispatches: 0, submits: 0, writeBuffers: 0, writeBytes: 0, readbacks: 0, pipelines: new Set(), kernels: new Map() });
  let current = zero();
  const wrap = (proto, name, count) => {
    const original = proto[name];
    proto[name] = function (...args) {
      count.apply(this, args);
      return original.apply(this, args);
    };
  };
  // Dispatches by the label of the pipeline they ran (the kernel's name, where the library
  // gives one), to see which kernels a step is made of.
  const PIPELINE = Symbol('pipeline');
  const dispatched = (pass) => {
    current.dispatches++;
    const label = pass[PIPELINE]?.label || '(unlabelled)';
    current.kernels.set(label, (current.kernels.get(label) ?? 0) + 1);
  };
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', function () {
    dispatched(this);
  });
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', function () {
    dispatched(this);
  });
  wrap(GPUComputePassEncoder.prototype, 'setPipeline', function (pipeline) {
    this[PIPELINE] = pipeline;
    current.pipelines.add(pipeline);
  });
  wrap(GPUQueue.prototype, 'submit', () => current.submits++);
  wrap(GPUQueue.prototype, 'writeBuffer', (buffer, offset, data, dataOffset = 0, size) => {
    const element = data.BYTES_PER_ELEMENT ?? 1;
    current.writeBuffers++;
    current.writeBytes += size !== undefined ? size * element : data.byteLength - dataOffset * element;
  });
  wrap(GPUBuffer.prototype, 'mapAsync', () => current.readbacks++);
  /** Totals by kind of work: counts, and the distinct pipelines as a Set. */
  const totals = {};
  /** Kinds whose next message is not counted: its work began before the last reset. */
  let partial = new Set();
  /** The training step each 'steps' message reached, to count the steps of the next. */
  let lastStep = null;
  const take = (kind, steps = 0) => {
    const counted = current;
    current = zero();
    if (partial.has(kind)) {
      partial.delete(kind);
      return counted;
    }
    const total = (totals[kind] ??= { ...zero(), messages: 0, steps: 0 });
    for (const key of ['dispatches', 'submits', 'writeBuffers', 'writeBytes', 'readbacks']) total[key] += counted[key];
    for (const pipeline of counted.pipelines) total.pipelines.add(pipeline);
    for (const [label, n] of counted.kernels) total.kernels.set(label, (total.kernels.get(label) ?? 0) + n);
    total.messages++;
    total.steps += steps;
    return counted;
  };
  self.benchGpu = {
    take,
    /** The totals by kind since the last reset, with the distinct pipelines counted. */
    totals: () => Object.fromEntries(Object.entries(totals).map(([kind, t]) => [kind, { ...t, pipelines: t.pipelines.size, kernels: [...t.kernels].sort((a, b) => b[1] - a[1]) }])),
    reset: (kinds = ['steps', 'heldout', 'gap', 'weights']) => {
      current = zero();
      for (const kind of Object.keys(totals)) delete totals[kind];
      partial = new Set(kinds);
    },
    attributeToMessages() {
      const post = self.postMessage.bind(self);
      self.postMessage = (message, ...rest) => {
        if (message?.type === 'steps') {
          const step = message.stats.progress.step;
          take('steps', lastStep === null ? 0 : step - lastStep);
          lastStep = step;
        } else if (message?.type) {
          take(message.type);
        }
        return post(message, ...rest);
      };
    },
  };
}
