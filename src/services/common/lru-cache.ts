/**
 * A bounded map that forgets entries that were not used lately (second-chance "CLOCK" eviction).
 * A hit only sets a flag: re-inserting the key on every read, as a strict LRU does, costs more
 * than the rest of a cached read. When full, the oldest entry goes unless it was used since it was
 * last looked at, in which case it moves to the back once.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; used: boolean }>();
  private readonly max: number;

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    e.used = true;
    return e.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    const e = this.map.get(key);
    if (e !== undefined) {
      e.value = value;
      e.used = true;
      return;
    }
    this.map.set(key, { value, used: false });
    if (this.map.size > this.max) this.evict();
  }

  private evict(): void {
    // Each pass clears one flag, so this ends within size + 1 steps.
    for (;;) {
      const oldest = this.map.entries().next();
      if (oldest.done === true) return;
      const [k, e] = oldest.value;
      this.map.delete(k);
      if (!e.used) return;
      e.used = false;
      this.map.set(k, e);
    }
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

/** Runs tasks for one key one after another; tasks for different keys run concurrently. */
export class KeyedQueue {
  private readonly states = new Map<string, { tail: Promise<unknown>; pending: number }>();

  /** How many tasks wait or run for `key`. */
  pending(key: string): number {
    return this.states.get(key)?.pending ?? 0;
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let state = this.states.get(key);
    if (state === undefined) {
      state = { tail: Promise.resolve(), pending: 0 };
      this.states.set(key, state);
    }
    const s = state;
    s.pending += 1;
    const result = s.tail.then(task, task);
    const settled = (): void => {
      s.pending -= 1;
      if (s.pending === 0 && this.states.get(key) === s) this.states.delete(key);
    };
    s.tail = result.then(settled, settled);
    return result;
  }
}
