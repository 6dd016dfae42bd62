/**
 * A bounded map that forgets the least recently used entry. Map keeps insertion order, so a hit
 * re-inserts its key and the first key is always the oldest.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  private readonly max: number;

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
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
