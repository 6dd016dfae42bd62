import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** Below this much room, full collections of a heap come too often (write latency suffers). */
export const HEAP_GROWTH_FLOOR_BYTES = 32 * 1024 * 1024;
/**
 * A heap is never held below this size: a server without a large cache has a small heap that
 * churns (live messages, writes), and collecting it every few megabytes costs throughput.
 */
export const HEAP_BUDGET_BYTES = 96 * 1024 * 1024;
// V8's own growth factor reaches at most 4.
const MAX_PERCENT = 300;

/**
 * The growth V8 should allow past `liveBytes`: `percent` of it, but at least the floor's worth of
 * room, and room up to the budget when the heap is smaller than that; never more than V8's own 4x.
 */
export function heapGrowthPercent(percent: number, liveBytes: number): number {
  const live = Math.max(liveBytes, 1);
  const forFloor = Math.ceil((HEAP_GROWTH_FLOOR_BYTES * 100) / live);
  const forBudget = Math.ceil(((HEAP_BUDGET_BYTES - live) * 100) / live);
  return Math.min(MAX_PERCENT, Math.max(percent, forFloor, forBudget));
}

/**
 * Bounds how far V8 lets the old generation grow between full collections. Left to itself V8
 * allows up to four times what survived the last one; a cache of many things is mostly live data,
 * so that is resident memory kept for garbage. After each full collection the growth allowed for
 * the next is set to `percent` of the heap then in use, at least HEAP_GROWTH_FLOOR_BYTES, and up to
 * HEAP_BUDGET_BYTES for a smaller heap, so a small heap is not collected every few megabytes. V8 reads the setting when it sizes the next
 * limit, so it takes effect one collection later. Returns a function that stops adjusting.
 */
export function boundHeapGrowth(percent: number): () => void {
  let applied = -1;
  const apply = (): void => {
    const next = heapGrowthPercent(percent, getHeapStatistics().used_heap_size);
    if (next === applied) return;
    applied = next;
    setFlagsFromString(`--heap-growing-percent=${next}`);
  };
  apply();
  const observer = new PerformanceObserver((list) => {
    const major = list.getEntries().some((e) => ((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) apply();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
