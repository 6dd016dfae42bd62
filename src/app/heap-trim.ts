import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HEAP_BUDGET_BYTES, HEAP_GROWTH_FLOOR_BYTES } from './heap-growth.ts';

/** When the server's heap is trimmed: after a burst, once it is quiet. */
export const HEAP_TRIM = {
  /** How often the heap and the event loop are looked at. */
  checkEveryMs: 2_000,
  /** Checks in a row with the event loop busy less than `quietUtilization` of the time. */
  quietChecks: 2,
  quietUtilization: 0.05,
  /** Growth since the last trim worth a collection: this share of the heap then, and at least the growth floor. */
  minGrowthShare: 0.25,
  /** At most one forced collection this often. */
  minIntervalMs: 60_000,
} as const;

/** What one check sees. */
export interface HeapCheck {
  /** Bytes of heap V8 holds now (total_heap_size). */
  readonly heapBytes: number;
  /** Share of the time since the last check the event loop was busy (0..1). */
  readonly utilization: number;
  readonly now: number;
}

/** The trimmer's memory between checks. */
export interface TrimState {
  quietChecks: number;
  lastTrimAt: number;
  /** The heap's size right after the last trim (0 before the first). */
  heapAfterTrim: number;
}

export function initialTrimState(): TrimState {
  return { quietChecks: 0, lastTrimAt: Number.NEGATIVE_INFINITY, heapAfterTrim: 0 };
}

/**
 * Whether to collect now. A heap within the budget of the growth policy is left alone (V8 may
 * hold that much anyway); a larger one is collected when it has grown by a quarter (at least 32
 * MiB) since the last trim left it, and the event loop has been nearly idle for a few seconds. How
 * much of the heap is garbage V8 does not say between its collections (what one leaves is known
 * only once it ends, by when a busy server has allocated again); growth since a trim is what a
 * burst leaves behind. Updates `state` (the caller records the heap after a collection).
 */
export function shouldTrimHeap(check: HeapCheck, state: TrimState): boolean {
  state.quietChecks = check.utilization < HEAP_TRIM.quietUtilization ? state.quietChecks + 1 : 0;
  if (check.heapBytes <= HEAP_BUDGET_BYTES || state.quietChecks < HEAP_TRIM.quietChecks) return false;
  if (check.now - state.lastTrimAt < HEAP_TRIM.minIntervalMs) return false;
  const growth = check.heapBytes - state.heapAfterTrim;
  if (growth < Math.max(HEAP_GROWTH_FLOOR_BYTES, state.heapAfterTrim * HEAP_TRIM.minGrowthShare)) return false;
  state.lastTrimAt = check.now;
  state.quietChecks = 0;
  return true;
}

/**
 * A full collection that also compacts: a cache filled under load leaves its entries spread over
 * pages mostly full of garbage, and a plain full collection frees the garbage but keeps nearly
 * every page (242 to 235 MiB of heap for 214 to 129 MiB in use, in the memory benchmark), since V8
 * moves objects off a page only when it judges the page fragmented enough. Compacting moves the
 * survivors together and gives the emptied pages back. `--expose-gc` set at run time applies to
 * contexts created after it, so a new `node:vm` context hands out its `gc`; that context runs only
 * the one word `gc`, never anything a user sent (the flag stays set: later contexts and workers
 * see a `gc` global too, which nothing in the server uses).
 */
export function compactingCollection(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}

/**
 * Gives memory back after a burst. The pages V8's old generation grew into under load (a cache
 * filled from the store, a batch of writes) stay with the process until V8 collects again, and an
 * idle server allocates too little to make it: a server that cached 100,000 things held ~100 MiB
 * of such garbage for as long as it was left alone. When the server has been quiet for a few
 * seconds and its heap has grown well past what the last trim left, one compacting full collection
 * runs (~300 ms for ~130 MiB of live objects, while nothing is asking). Returns a function that
 * stops.
 */
export function trimHeapWhenIdle(onTrim?: (before: number, after: number, ms: number) => void): () => void {
  let collect: (() => void) | undefined;
  const state = initialTrimState();
  let loop: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const sinceLast = performance.eventLoopUtilization(loop);
    loop = performance.eventLoopUtilization();
    const heapBytes = getHeapStatistics().total_heap_size;
    if (!shouldTrimHeap({ heapBytes, utilization: sinceLast.utilization, now: Date.now() }, state)) return;
    collect ??= compactingCollection();
    const started = performance.now();
    collect();
    state.heapAfterTrim = getHeapStatistics().total_heap_size;
    onTrim?.(heapBytes, state.heapAfterTrim, performance.now() - started);
  }, HEAP_TRIM.checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
