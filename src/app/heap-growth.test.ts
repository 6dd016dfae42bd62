import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_BUDGET_BYTES, HEAP_GROWTH_FLOOR_BYTES, heapGrowthPercent } from './heap-growth.ts';

const MiB = 1024 * 1024;

test('a large heap grows by the configured share, a smaller one by at least the floor and up to the budget, never past four times', () => {
  assert.equal(heapGrowthPercent(30, 400 * MiB), 30);
  assert.equal(heapGrowthPercent(30, 200 * MiB), 30);
  // 30 % of 110 MiB is 33 MiB, more than the floor; the heap is past the budget.
  assert.equal(heapGrowthPercent(30, 110 * MiB), 30);
  // The floor decides: 32 MiB of 100 MiB, 32 MiB of 80 MiB.
  assert.equal(heapGrowthPercent(30, 100 * MiB), 32);
  assert.equal(heapGrowthPercent(30, 80 * MiB), 40);
  // The budget decides: up to 96 MiB.
  assert.equal(heapGrowthPercent(30, 48 * MiB), 100);
  assert.equal(heapGrowthPercent(30, 32 * MiB), 200);
  // Never past V8's own four times.
  assert.equal(heapGrowthPercent(30, 16 * MiB), 300);
  assert.equal(heapGrowthPercent(30, 4 * MiB), 300);
  assert.equal(heapGrowthPercent(30, 0), 300);
  assert.equal(heapGrowthPercent(500, 200 * MiB), 300);
  assert.ok(HEAP_BUDGET_BYTES > HEAP_GROWTH_FLOOR_BYTES);
});
