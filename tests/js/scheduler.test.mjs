// The rule for the worker's work beside training (www/src/worker/scheduler.js), on a clock the
// test moves by hand: each kind runs when spaced out from its last run and within its share of
// the training time, or once it is older than its floor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BESIDE_TRAINING, BudgetScheduler } from '../../www/src/worker/scheduler.js';

/** A scheduler with the worker's budgets on a clock that moves only when told. */
function scheduler(images = 0) {
  const clock = { ms: 1000 };
  const budget = new BudgetScheduler(BESIDE_TRAINING, () => clock.ms);
  budget.reset(images);
  /** Training for `ms`: the clock moves and the time counts as training. */
  const train = (ms) => {
    clock.ms += ms;
    budget.trained(ms);
  };
  /** Runs `kind` for `ms` of the clock. */
  const run = (kind, ms, at) => budget.run(kind, async () => (clock.ms += ms), at);
  return { budget, clock, train, run };
}

test('a held-out evaluation waits for 1,024 more training images, however cheap it is', () => {
  const { budget, train } = scheduler(5000);
  train(10_000);
  assert.equal(budget.due('heldout', 5000 + 1023), false);
  assert.equal(budget.due('heldout', 5000 + 1024), true);
});

test('work beside training takes at most its share of the training time', async () => {
  const { budget, train, run } = scheduler();
  train(1000);
  await run('heldout', 100, 1024);
  // 100 ms of 1,000: exactly its 10% share.
  assert.equal(budget.due('heldout', 2048), true);
  await run('heldout', 1, 2048);
  train(9);
  assert.equal(budget.due('heldout', 4096), false, '101 ms of 1,009 is over the share');
  train(1);
  assert.equal(budget.due('heldout', 4096), true, '101 ms of 1,010 is within it');
});

test('however far over its share, work runs again once it is as old as its floor', async () => {
  const { budget, clock, train, run } = scheduler();
  train(100);
  await run('heldout', 5000, 1024);
  assert.equal(budget.due('heldout', 10_000), false);
  clock.ms += 19_999;
  assert.equal(budget.due('heldout', 10_000), false);
  clock.ms += 1;
  assert.equal(budget.due('heldout', 10_000), true);
});

test('the gap estimate has no floor: over its share, it waits for training', async () => {
  const { budget, clock, train, run } = scheduler();
  train(100);
  assert.equal(budget.due('gap'), true);
  await run('gap', 20);
  clock.ms += 3_600_000;
  assert.equal(budget.due('gap'), false);
  train(34);
  assert.equal(budget.due('gap'), true, '20 ms of 134 is within 15%');
});

test('weights go to the page at most every 500 ms, and at least every 5 s', async () => {
  const { budget, clock, train, run } = scheduler();
  train(499);
  assert.equal(budget.due('weights'), false, 'sooner than 500 ms after the trainer started');
  train(1);
  assert.equal(budget.due('weights'), true);
  await run('weights', 400);
  train(500);
  assert.equal(budget.due('weights'), false, '400 ms of 1,000 is over 5%');
  clock.ms += 4_500;
  assert.equal(budget.due('weights'), true, 'but 5 s old');
});

test('weights sent outside the budget (a Pause) restart the wait without counting against it', async () => {
  const { budget, clock, train } = scheduler();
  train(10_000);
  budget.ran('weights');
  assert.equal(budget.due('weights'), false);
  clock.ms += 500;
  assert.equal(budget.due('weights'), true, 'nothing was spent');
});

test('a new trainer starts every count again from its own images', async () => {
  const { budget, train, run } = scheduler();
  train(100);
  await run('heldout', 1000, 1024);
  await run('gap', 1000);
  budget.reset(50_000);
  assert.equal(budget.trainingMs, 0);
  train(1);
  assert.equal(budget.due('heldout', 50_000 + 1023), false, 'spaced from the new trainer\'s images');
  assert.equal(budget.due('heldout', 50_000 + 1024), true, 'nothing spent any more');
  assert.equal(budget.due('gap'), true);
});

test('a run that fails spends nothing, but its images count as seen', async () => {
  const { budget, clock, train } = scheduler();
  train(100);
  const failing = async () => {
    clock.ms += 5000;
    throw new Error('lost');
  };
  await assert.rejects(budget.run('heldout', failing, 1024));
  assert.equal(budget.due('heldout', 2047), false);
  assert.equal(budget.due('heldout', 2048), true, '5 s failed, none of it counted against 10% of 100 ms');
});
