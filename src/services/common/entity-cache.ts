import { isDittoError, type DittoError } from '../../model/errors/index.ts';
import type { EntityType, Store, StoredEntity } from '../../ports/store.ts';
import { LruCache } from './lru-cache.ts';

export interface EntityCacheOptions {
  readonly max: number;
  /** The error for a state that cannot be loaded: unavailable, never absent (no failing open). */
  readonly unavailable: (id: string, cause: unknown) => DittoError;
  /** How a state is kept (e.g. in a more compact form); the kept object is what callers get. */
  readonly keep?: (entity: StoredEntity) => StoredEntity;
  /** Called with every new state that is loaded or committed. */
  readonly observe?: (entity: StoredEntity) => void;
}

/**
 * The committed states of one entity type: a bounded cache in front of the store that loads each
 * missing entity once however many requests ask at the same time, remembers absent ones too, and
 * never lets a load that raced with a commit put an older revision back.
 */
export class EntityCache {
  private readonly states: LruCache<string, StoredEntity | null>;
  private readonly loading = new Map<string, Promise<StoredEntity | undefined>>();
  private readonly store: Store;
  private readonly type: EntityType;
  private readonly options: EntityCacheOptions;

  constructor(store: Store, type: EntityType, options: EntityCacheOptions) {
    this.store = store;
    this.type = type;
    this.options = options;
    this.states = new LruCache(options.max);
  }

  /** The state (a tombstone for a deleted entity), or undefined when it never existed. */
  async load(id: string): Promise<StoredEntity | undefined> {
    const cached = this.states.get(id);
    if (cached !== undefined) return cached ?? undefined;
    let pending = this.loading.get(id);
    if (pending === undefined) {
      pending = this.store.load(this.type, id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    let loaded: StoredEntity | undefined;
    try {
      loaded = await pending;
    } catch (e) {
      if (isDittoError(e)) throw e;
      throw this.options.unavailable(id, e);
    }
    this.remember(id, loaded ?? null);
    // Hand out the kept object, so that identity checks of callers see one object per state.
    const kept = this.states.get(id);
    return kept === undefined ? loaded : (kept ?? undefined);
  }

  /** Without I/O: the state, null when known to be absent, undefined when not cached. */
  cached(id: string): StoredEntity | null | undefined {
    return this.states.get(id);
  }

  /** Called after a commit so the next request sees the new state. */
  committed(entity: StoredEntity): void {
    this.remember(entity.id, entity);
  }

  private remember(id: string, entity: StoredEntity | null): void {
    const current = this.states.get(id);
    if (current !== undefined && current !== null) {
      // A load that raced with a commit must not put an older state back.
      if (entity === null || current.revision > entity.revision) return;
      if (current.revision === entity.revision && current.deleted === entity.deleted) return;
    }
    // A state is kept under its own ID string, so the request's copy of the ID is not kept too.
    if (entity === null) this.states.set(id, null);
    else this.states.set(entity.id === id ? entity.id : id, this.options.keep?.(entity) ?? entity);
    if (entity !== null) this.options.observe?.(entity);
  }
}
