/**
 * A bounded map that forgets entries that were not used lately (the "CLOCK" approximation of
 * least-recently-used). A hit only sets a flag: re-inserting the key on every read, as a strict LRU
 * does, costs more than the rest of a cached read. When full, a hand sweeps the slots in a circle:
 * an entry used since the hand last passed loses its flag and stays, the first one not used goes.
 * Entries live in slots of plain arrays (key, value, a byte for the flag) found through a map from
 * key to slot, so an entry costs no object of its own: the caches of a server with 100,000 things
 * hold 200,000 entries, and an object each was ~9 MiB.
 */
export class LruCache<K, V> {
  private readonly slots = new Map<K, number>();
  private readonly keys: (K | undefined)[] = [];
  private readonly values: (V | undefined)[] = [];
  private used = new Uint8Array(16);
  /** Slots emptied by `delete`, taken again before the arrays grow. */
  private readonly free: number[] = [];
  private hand = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  get(key: K): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.used[slot] = 1;
    return this.values[slot];
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  set(key: K, value: V): void {
    const known = this.slots.get(key);
    if (known !== undefined) {
      this.values[known] = value;
      this.used[known] = 1;
      return;
    }
    if (this.slots.size >= this.max) this.evict();
    const slot = this.free.pop() ?? this.newSlot();
    this.keys[slot] = key;
    this.values[slot] = value;
    this.used[slot] = 0;
    this.slots.set(key, slot);
  }

  delete(key: K): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.empty(slot);
  }

  get size(): number {
    return this.slots.size;
  }

  private newSlot(): number {
    const slot = this.keys.length;
    if (slot >= this.used.length) {
      const grown = new Uint8Array(Math.min(this.max, this.used.length * 2));
      grown.set(this.used);
      this.used = grown;
    }
    this.keys.push(undefined);
    this.values.push(undefined);
    return slot;
  }

  private empty(slot: number): void {
    this.slots.delete(this.keys[slot] as K);
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.used[slot] = 0;
    this.free.push(slot);
  }

  /**
   * Empties one slot. Called only when full, and then every slot holds an entry (the arrays never
   * grow past `max`, and a slot is made only when none is free). Each step clears a flag or
   * evicts, so this ends within two sweeps.
   */
  private evict(): void {
    const n = this.keys.length;
    for (;;) {
      const slot = this.hand;
      this.hand = (slot + 1) % n;
      if (this.used[slot] === 1) {
        this.used[slot] = 0;
        continue;
      }
      this.empty(slot);
      return;
    }
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
