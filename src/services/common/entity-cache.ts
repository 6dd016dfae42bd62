import { isDittoError, type DittoError } from '../../model/errors/index.ts';
import type { EntityType, Store, StoredEntity } from '../../ports/store.ts';
import { LruCache } from './lru-cache.ts';

export interface EntityCacheOptions {
  readonly max: number;
  /** The error for a state that cannot be loaded: unavailable, never absent (no failing open). */
  readonly unavailable: (id: string, cause: unknown) => DittoError;
  /**
   * How a state is kept (e.g. in a more compact form); the kept object is what callers get. `id`
   * is the string it is kept under, equal to `entity.id`, for the kept object to use as its ID.
   */
  readonly keep?: (entity: StoredEntity, id: string) => StoredEntity;
  /** Called with every new state that is loaded or committed. */
  readonly observe?: (entity: StoredEntity) => void;
  /** Loads sent to the store at once; misses beyond them wait and go together (default 2). */
  readonly maxLoadsInFlight?: number;
}

/** The most IDs one batched load asks for; more wait for the next batch. */
const MAX_BATCH_IDS = 500;

/** Misses waiting for a load slot, loaded together by one `loadMany`. */
interface Batch {
  readonly ids: string[];
  readonly result: Promise<Map<string, StoredEntity>>;
  readonly start: () => void;
}

/**
 * The committed states of one entity type: a bounded cache in front of the store that loads each
 * missing entity once however many requests ask at the same time, remembers absent ones too, and
 * never lets a load that raced with a commit put an older revision back. A miss goes to the store
 * at once while fewer than `maxLoadsInFlight` loads are out; beyond that, misses wait and the
 * waiting ones are loaded by one statement when a load returns. Many misses at a time (a server
 * restarted under load) then cost a few statements, not one round trip each (on PostgreSQL 64
 * readers of uncached things got 53-82 % more reads per second; PGlite, bound by reading each
 * row's pages, gained nothing).
 */
export class EntityCache {
  private readonly states: LruCache<string, StoredEntity | null>;
  private readonly loading = new Map<string, Promise<StoredEntity | undefined>>();
  private readonly store: Store;
  private readonly type: EntityType;
  private readonly options: EntityCacheOptions;
  private readonly maxLoadsInFlight: number;
  private loadsInFlight = 0;
  private readonly batches: Batch[] = [];

  constructor(store: Store, type: EntityType, options: EntityCacheOptions) {
    this.store = store;
    this.type = type;
    this.options = options;
    this.states = new LruCache(options.max);
    this.maxLoadsInFlight = Math.max(1, options.maxLoadsInFlight ?? 2);
  }

  /**
   * The state (a tombstone for a deleted entity), or undefined when it never existed. `lasting`:
   * `id` is a string held for long anyway (a cached thing's policy ID), not a piece of a request,
   * so a state loaded now is kept under it and the two share one string.
   */
  async load(id: string, lasting = false): Promise<StoredEntity | undefined> {
    const cached = this.states.get(id);
    if (cached !== undefined) return cached ?? undefined;
    let pending = this.loading.get(id);
    if (pending === undefined) {
      pending = this.fetch(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    let loaded: StoredEntity | undefined;
    try {
      loaded = await pending;
    } catch (e) {
      if (isDittoError(e)) throw e;
      throw this.options.unavailable(id, e);
    }
    this.remember(id, loaded ?? null, lasting);
    // Hand out the kept object, so that identity checks of callers see one object per state.
    const kept = this.states.get(id);
    return kept === undefined ? loaded : (kept ?? undefined);
  }

  /** Loads `id` now when a slot is free, else with the next batch. */
  private fetch(id: string): Promise<StoredEntity | undefined> {
    if (this.loadsInFlight < this.maxLoadsInFlight && this.batches.length === 0) {
      this.loadsInFlight++;
      const single = this.store.load(this.type, id);
      single.then(() => this.loaded(), () => this.loaded());
      return single;
    }
    let batch = this.batches[this.batches.length - 1];
    if (batch === undefined || batch.ids.length >= MAX_BATCH_IDS) {
      let start = (): void => undefined;
      const ids: string[] = [];
      const gate = new Promise<void>((resolve) => (start = resolve));
      const result = gate.then(() => this.store.loadMany(this.type, ids)).then((list) => new Map(list.map((e) => [e.id, e])));
      batch = { ids, result, start };
      this.batches.push(batch);
    }
    batch.ids.push(id);
    return batch.result.then((byId) => byId.get(id));
  }

  /** A load returned: its slot goes to the oldest waiting batch. */
  private loaded(): void {
    this.loadsInFlight--;
    const next = this.batches.shift();
    if (next === undefined) return;
    this.loadsInFlight++;
    next.result.then(() => this.loaded(), () => this.loaded());
    next.start();
  }

  /** Without I/O: the state, null when known to be absent, undefined when not cached. */
  cached(id: string): StoredEntity | null | undefined {
    return this.states.get(id);
  }

  /** Called after a commit so the next request sees the new state. */
  committed(entity: StoredEntity): void {
    this.remember(entity.id, entity);
  }

  private remember(id: string, entity: StoredEntity | null, lasting = false): void {
    const current = this.states.get(id);
    if (current !== undefined && current !== null) {
      // A load that raced with a commit must not put an older state back.
      if (entity === null || current.revision > entity.revision) return;
      if (current.revision === entity.revision && current.deleted === entity.deleted) return;
    }
    // A state is kept under its own ID string, so the request's copy of the ID is not kept too
    // (unless the caller's copy lasts anyway).
    if (entity === null) this.states.set(id, null);
    else {
      const key = lasting || entity.id !== id ? id : entity.id;
      this.states.set(key, this.options.keep?.(entity, key) ?? entity);
    }
    if (entity !== null) this.options.observe?.(entity);
  }
}
