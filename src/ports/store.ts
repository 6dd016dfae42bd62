import type { JsonObject } from '../model/json.ts';

export type EntityType = 'thing' | 'policy' | 'connection';

/** The current state of one entity as persisted (its snapshot). */
export interface StoredEntity {
  readonly type: EntityType;
  readonly id: string;
  /** Revision of the last event applied; continues across delete and re-create. */
  readonly revision: number;
  /** ISO-8601 UTC timestamps. */
  readonly created: string;
  readonly modified: string;
  /** A deleted entity is kept as a tombstone so that revisions keep counting. */
  readonly deleted: boolean;
  /** The entity's JSON (a thing without special fields, a policy, ...); `{}` for a tombstone. */
  readonly data: JsonObject;
  /**
   * `JSON.stringify(data)`, when the holder has that text at hand (a state loaded from the store,
   * a thing state a command made and measured); whoever writes or keeps the state as text takes it
   * instead of serialising `data` again.
   */
  readonly dataText?: string;
}

/** One entity's change: the event appended to its journal and the state it leads to. */
export interface EntityWrite {
  readonly entity: StoredEntity;
  /** The persisted event (Ditto-shaped signal JSON); its revision is `entity.revision`. */
  readonly event: JsonObject;
  /** The revision the writer read; the write fails with a conflict when the store holds another. 0 = absent. */
  readonly expectedRevision: number;
  /**
   * The state the writer read, when it has it (its revision is `expectedRevision`). Optional and
   * never persisted: it lets commit hooks write only what changed (the search index).
   */
  readonly previous?: StoredEntity | undefined;
}

/** Writes that must succeed or fail together (e.g. a thing and its default policy). */
export type WriteUnit = readonly EntityWrite[];

export type CommitOutcome = { readonly ok: true } | { readonly ok: false; readonly conflict: boolean; readonly error: Error };

export interface JournalEntry {
  readonly type: EntityType;
  readonly id: string;
  readonly revision: number;
  readonly timestamp: string;
  readonly event: JsonObject;
}

/**
 * Persistence of event-sourced entities. Each unit is atomic; the units of one `commit` call share
 * transactions for throughput (group commit), and a failing unit never takes others down with it.
 */
export interface Store {
  load(type: EntityType, id: string): Promise<StoredEntity | undefined>;
  loadMany(type: EntityType, ids: readonly string[]): Promise<StoredEntity[]>;
  commit(units: readonly WriteUnit[]): Promise<CommitOutcome[]>;
  journal(type: EntityType, id: string, fromRevision: number, toRevision: number): Promise<JournalEntry[]>;
  /**
   * One page of a scan over every stored entity of `type`: at most `limit` snapshots (tombstones
   * included) whose ID sorts after `afterId` (`''` for the first page), in ID order. A page shorter
   * than `limit` is the last. Each call is bounded, so a scan never holds a table in memory.
   */
  scan(type: EntityType, afterId: string, limit: number): Promise<StoredEntity[]>;
  /** Resolves when the store answers; rejects otherwise (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
