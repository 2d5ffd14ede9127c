// Overlapping reloads: one that started earlier never overwrites one that started later.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Generations } from '../../src/kernel/index.ts';

test('a reload that started earlier but finished later is discarded', () => {
  const generations = new Generations();
  const first = generations.start();
  const second = generations.start();
  assert.equal(generations.isLatest(second), true);
  assert.equal(generations.isLatest(first), false, 'older data must not replace newer');
  const third = generations.start();
  assert.equal(generations.isLatest(third), true);
});

test('reloads that do not overlap all apply', () => {
  const generations = new Generations();
  for (let i = 0; i < 3; i++) assert.equal(generations.isLatest(generations.start()), true);
});
