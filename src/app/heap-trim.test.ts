import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { HEAP_BUDGET_BYTES } from './heap-growth.ts';
import { compactingCollection, HEAP_TRIM, initialTrimState, shouldTrimHeap, type HeapCheck, type TrimState } from './heap-trim.ts';

const MiB = 1024 * 1024;
const quiet = 0.01;
const busy = 0.5;

let clock = 1_000_000;

/** Runs the checks one check interval apart, the clock going on from the last call. */
function run(checks: readonly Omit<HeapCheck, 'now'>[], state: TrimState = initialTrimState()): boolean[] {
  return checks.map((c) => shouldTrimHeap({ ...c, now: (clock += HEAP_TRIM.checkEveryMs) }, state));
}

/** `n` quiet checks of a heap of `heapBytes`. */
function quietFor(n: number, heapBytes: number): Omit<HeapCheck, 'now'>[] {
  return Array.from({ length: n }, () => ({ heapBytes, utilization: quiet }));
}

/** The indexes of the checks that decided to collect. */
function trimmedAt(decisions: readonly boolean[]): number[] {
  return decisions.map((d, i) => (d ? i : -1)).filter((i) => i >= 0);
}

test('a heap past the budget is collected once the event loop has been quiet for a few checks', () => {
  const q = HEAP_TRIM.quietChecks;
  assert.ok(q >= 2);
  const big = 240 * MiB;
  assert.deepEqual(trimmedAt(run([{ heapBytes: big, utilization: busy }, ...quietFor(q, big)])), [q]);
  // A busy check in between starts the count again.
  assert.deepEqual(trimmedAt(run([...quietFor(q - 1, big), { heapBytes: big, utilization: busy }, ...quietFor(q, big)])), [2 * q - 1]);
  // Never a heap within the budget.
  assert.deepEqual(trimmedAt(run(quietFor(q + 3, HEAP_BUDGET_BYTES))), []);
});

test('after a trim, only growth by a quarter (at least 32 MiB) and the interval bring the next', () => {
  const within = Math.ceil(HEAP_TRIM.minIntervalMs / HEAP_TRIM.checkEveryMs);
  const at = (heapBytes: number) => ({ heapBytes, utilization: quiet });
  // Trimmed at 240 MiB down to 150: 180 MiB (a fifth more) is not enough, 190 MiB is.
  const state = initialTrimState();
  assert.deepEqual(trimmedAt(run(quietFor(HEAP_TRIM.quietChecks, 240 * MiB), state)), [HEAP_TRIM.quietChecks - 1]);
  state.heapAfterTrim = 150 * MiB;
  const later = run(Array.from({ length: within + 2 }, () => at(180 * MiB)), state);
  assert.ok(later.every((d) => !d));
  assert.equal(run([at(190 * MiB)], state)[0], true);
  // The floor for a smaller heap: 100 MiB after a trim, 125 MiB later is not enough.
  const small = initialTrimState();
  small.heapAfterTrim = 100 * MiB;
  assert.ok(run(Array.from({ length: within + 2 }, () => at(125 * MiB)), small).every((d) => !d));
  assert.equal(run([at(133 * MiB)], small)[0], true);
  // Grown enough, but within the interval of the last trim: wait.
  const soon = initialTrimState();
  const first = HEAP_TRIM.quietChecks - 1;
  assert.deepEqual(trimmedAt(run(quietFor(first + within + 2, 400 * MiB), soon)), [first, first + within]);
});

test('the forced collection is a full one: it frees what nothing references', async () => {
  const majors: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    // ~64 MiB that survives young-generation collections, then is dropped.
    let garbage: number[][] | undefined = Array.from({ length: 64 }, () => Array.from({ length: 128 * 1024 }, (_, i) => i + 0.5));
    await new Promise((r) => setImmediate(r));
    const held = getHeapStatistics().used_heap_size;
    assert.equal(garbage.length, 64);
    garbage = undefined;
    const before = majors.length;
    compactingCollection()();
    const after = getHeapStatistics().used_heap_size;
    assert.ok(after < held - 48 * MiB, `used ${Math.round(held / MiB)} MiB before, ${Math.round(after / MiB)} MiB after`);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(majors.length > before, 'a full collection was observed');
  } finally {
    observer.disconnect();
  }
});
