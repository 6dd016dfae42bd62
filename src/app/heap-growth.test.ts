import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWTH_FLOOR_BYTES, heapGrowthPercent } from './heap-growth.ts';

const MiB = 1024 * 1024;

test('a large heap grows by the configured share, a small one by at least the floor, never past four times', () => {
  assert.equal(heapGrowthPercent(30, 200 * MiB), 30);
  assert.equal(heapGrowthPercent(30, 110 * MiB), 30);
  assert.equal(heapGrowthPercent(30, 64 * MiB), Math.ceil((HEAP_GROWTH_FLOOR_BYTES / (64 * MiB)) * 100));
  assert.equal(heapGrowthPercent(30, 32 * MiB), 100);
  assert.equal(heapGrowthPercent(30, 4 * MiB), 300);
  assert.equal(heapGrowthPercent(30, 0), 300);
  assert.equal(heapGrowthPercent(500, 200 * MiB), 300);
});
