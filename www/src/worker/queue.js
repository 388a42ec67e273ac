// The worker's turns: commands and training chunks each run alone, in the order they were
// queued, and the training loop lets messages in between its chunks.

let turn = Promise.resolve();

/**
 * Runs `task` once everything queued before it has finished (whether it succeeded or failed).
 * @template T
 * @param {() => Promise<T>} task
 * @returns {Promise<T>} what `task` resolves to
 */
export function exclusive(task) {
  const run = turn.then(task);
  turn = run.catch(() => {});
  return run;
}

// A macrotask boundary: a message port's message is a task of its own, queued behind the
// messages already waiting (Pause, …); awaiting a promise alone would not let them in.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();

/** Resolves once the messages already waiting for the worker have been handled. */
export function yieldToEvents() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}
