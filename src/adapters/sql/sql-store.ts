import type { JsonObject } from '../../model/json.ts';
import { isJsonObject } from '../../model/json.ts';
import type { CommitOutcome, EntityType, EntityWrite, JournalEntry, Store, StoredEntity, WriteUnit } from '../../ports/store.ts';
import { RevisionConflictError, StoreUnavailableError } from '../../services/persistence/errors.ts';
import { BATCH_WRITE, type SqlClient, type SqlQueryable, type SqlRow, type StoreLogger } from './client.ts';
import { GrowthAnalyzer } from './growth-analyzer.ts';
import { CHECK_APPLIED_ERRCODE, CHECK_APPLIED_FUNCTION, ensureStoreSchema, type StoreTables } from './schema.ts';
import { encodeRound, entityKey, planRounds, validateUnit, type PlannedWrite } from './write-plan.ts';

/**
 * Runs inside the commit transaction after each round of snapshot writes, with the writes that were
 * applied (every entity at most once). A hook that throws rolls the transaction back. The search
 * index uses this to stay consistent with the snapshots.
 */
export type CommitHook = (tx: SqlQueryable, writes: readonly EntityWrite[]) => Promise<void>;

/** What a hook adds to a batch written by a single statement. */
export interface InlineHookSql {
  /** Items of the statement's WITH list (`name AS (...)`, names other than the store's own). */
  readonly ctes: readonly string[];
  /** The values of the items' parameters, numbered from the `firstParam` the hook was given. */
  readonly params: readonly unknown[];
}

/**
 * A commit hook that can also join the batch's own statement: a batch whose writes fit in one
 * round and that every hook can inline is committed as one statement, with no BEGIN and COMMIT of
 * its own, which saves two of its three round trips to the database. `inline` returns undefined
 * when the writes need the transaction form (`run`).
 */
export interface InlinableCommitHook {
  readonly run: CommitHook;
  inline(writes: readonly EntityWrite[], firstParam: number): InlineHookSql | undefined;
}

export interface SqlStoreOptions {
  /** PostgreSQL schema holding the tables; created when missing. Default `public`. */
  readonly schema?: string;
  readonly hooks?: readonly (CommitHook | InlinableCommitHook)[];
  /** Whether `close()` closes the client too. Default true. */
  readonly closeClient?: boolean;
  /** Told when a batch falls back to one transaction per unit. */
  readonly logger?: StoreLogger;
}

/** Conflicting units found in one round; thrown to roll the batch transaction back. */
class BatchConflict extends Error {
  constructor(readonly conflicts: ReadonlyMap<number, RevisionConflictError>) {
    super(`${conflicts.size} unit(s) lost a revision race`);
  }
}

/** Entities created before the snapshot table's first ANALYZE (see GrowthAnalyzer). */
const ANALYZE_MIN_CREATED = 1_000;

/** Attempts of the shared transaction, each without the units that conflicted in the previous one. */
const MAX_BATCH_ATTEMPTS = 3;

const SNAPSHOT_COLUMNS = 'entity_type, entity_id, revision, created, modified, deleted, data';

/**
 * The snapshot columns as loads read them: the data as its stored text (`json` keeps the text it
 * was given, which is `JSON.stringify` of the state), not parsed by the driver. See `toEntity`.
 */
const LOADED_COLUMNS = 'entity_type, entity_id, revision, created, modified, deleted, data::text AS data';

/**
 * The WITH items that apply one round of snapshot writes, reading the round from `$1`. The UPDATE
 * applies only where the stored revision is the expected one and the INSERT only where no row
 * exists (expected 0); both re-check against the latest committed row under its lock, so
 * concurrent writers from other processes cannot both win. Journal rows follow only the snapshots
 * that were applied; CTE `a` lists the applied entities, and fewer of them than the round has
 * means some unit lost a revision race.
 */
function snapshotCtes(t: StoreTables): string {
  return `i AS (
      SELECT * FROM json_to_recordset($1::text::json) AS i(entity_type text, entity_id text,
        revision bigint, expected bigint, created text, modified text, deleted boolean, data text, event text)
    ), u AS (
      UPDATE ${t.snapshot} AS s SET revision = i.revision, created = i.created, modified = i.modified,
        deleted = i.deleted, data = i.data::json
      FROM i
      WHERE i.expected <> 0 AND s.entity_type = i.entity_type AND s.entity_id = i.entity_id AND s.revision = i.expected
      RETURNING s.entity_type, s.entity_id
    ), n AS (
      INSERT INTO ${t.snapshot} (${SNAPSHOT_COLUMNS})
      SELECT entity_type, entity_id, revision, created, modified, deleted, data::json FROM i WHERE i.expected = 0
      ON CONFLICT (entity_type, entity_id) DO NOTHING
      RETURNING entity_type, entity_id
    ), a AS (
      SELECT entity_type, entity_id FROM u UNION ALL SELECT entity_type, entity_id FROM n
    ), j AS (
      INSERT INTO ${t.journal} (entity_type, entity_id, revision, ts, event)
      SELECT i.entity_type, i.entity_id, i.revision, i.modified, i.event::json FROM i JOIN a USING (entity_type, entity_id)
    )`;
}

/** One round inside a transaction: returns the applied entities; the caller compares counts. */
function writeStatement(t: StoreTables): string {
  return `WITH ${snapshotCtes(t)} SELECT entity_type, entity_id FROM a`;
}

function isAppliedCheckFailure(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === CHECK_APPLIED_ERRCODE;
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
}

function asNumber(v: unknown): number {
  // int8 arrives as a string from porsager/postgres and as a number from PGlite.
  return typeof v === 'number' ? v : Number(v);
}

function asJsonObject(v: unknown): JsonObject {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return isJsonObject(parsed) ? (parsed as JsonObject) : {};
}

const ENTITY_TYPES: Readonly<Record<string, EntityType>> = { thing: 'thing', policy: 'policy', connection: 'connection' };

/**
 * Loaded states live long in the caches, so equal strings of one row share one instance: the
 * entity type is the constant, an unmodified entity's `modified` is its `created`, and IDs the
 * data repeats (`thingId`, a policy ID equal to the entity's own ID) are the entity's ID.
 * The data arrives as its stored text and is parsed only when `data` is first read: a cache that
 * keeps the text (a thing's) takes `dataText` as it is, so loading a thing makes no objects of its
 * JSON at all, neither in the driver (or PGlite's thread and the copy sent from there) nor here.
 */
function toEntity(row: SqlRow): StoredEntity {
  const id = String(row['entity_id']);
  const rawType = String(row['entity_type']);
  const created = String(row['created']);
  const modified = String(row['modified']);
  const stored = row['data'];
  const dataText = typeof stored === 'string' ? stored : JSON.stringify(stored);
  let data: JsonObject | undefined;
  const entity: StoredEntity = {
    type: ENTITY_TYPES[rawType] ?? (rawType as EntityType),
    id,
    revision: asNumber(row['revision']),
    created,
    modified: modified === created ? created : modified,
    deleted: row['deleted'] === true,
    // An own, enumerable accessor: a spread or Object.assign of the entity still copies `data`.
    get data(): JsonObject {
      if (data === undefined) {
        data = asJsonObject(dataText);
        if (data['thingId'] === id) data['thingId'] = id;
        if (data['policyId'] === id) data['policyId'] = id;
      }
      return data;
    },
  };
  // Not enumerable: the entity compares and copies as its state alone; a copy without the text
  // is only slower to keep.
  return Object.defineProperty(entity, 'dataText', { value: dataText });
}

/** The Store port over PostgreSQL SQL, shared by the PGlite and PostgreSQL adapters. */
export class SqlStore implements Store {
  readonly tables: StoreTables;
  private readonly hooks: (CommitHook | InlinableCommitHook)[];
  private readonly closeClient: boolean;
  private readonly logger: StoreLogger | undefined;
  private readonly sql: { readonly write: string; readonly writeCtes: string; readonly checkApplied: string; readonly load: string; readonly loadMany: string; readonly scan: string; readonly journal: string };
  private closing: Promise<void> | undefined;
  /**
   * The batch statements may run with cached generic plans (`QueryOptions.batch`), which an ANALYZE
   * of a table they use makes the database plan again; so the snapshot table is analyzed as it grows.
   */
  private readonly analyzer: GrowthAnalyzer;

  /** Creates the tables when missing, then returns the store. */
  static async open(client: SqlClient, options: SqlStoreOptions = {}): Promise<SqlStore> {
    const tables = await ensureStoreSchema(client, options.schema ?? 'public');
    return new SqlStore(client, tables, options);
  }

  private constructor(
    readonly client: SqlClient,
    tables: StoreTables,
    options: SqlStoreOptions,
  ) {
    this.tables = tables;
    this.hooks = [...(options.hooks ?? [])];
    this.closeClient = options.closeClient ?? true;
    this.logger = options.logger;
    this.analyzer = new GrowthAnalyzer(
      client,
      [`ANALYZE ${tables.snapshot}`],
      tables.snapshot,
      ANALYZE_MIN_CREATED,
      (err) => this.logger?.warn({ err }, 'ANALYZE of the snapshot table failed'),
      ({ ms, longestMs, rows }) => this.logger?.info({ ms, longestMs, rows }, 'snapshot table analyzed'),
    );
    const select = `SELECT ${LOADED_COLUMNS} FROM ${tables.snapshot}`;
    this.sql = {
      write: writeStatement(tables),
      writeCtes: snapshotCtes(tables),
      checkApplied: `${tables.schema}.${CHECK_APPLIED_FUNCTION}`,
      load: `${select} WHERE entity_type = $1 AND entity_id = $2`,
      loadMany: `${select} WHERE entity_type = $1 AND entity_id = ANY($2::text[])`,
      // Keyset paging over the primary key: each page is one bounded index range scan.
      scan: `${select} WHERE entity_type = $1 AND entity_id > $2 ORDER BY entity_id LIMIT $3`,
      journal: `SELECT entity_type, entity_id, revision, ts, event FROM ${tables.journal}
        WHERE entity_type = $1 AND entity_id = $2 AND revision BETWEEN $3 AND $4 ORDER BY revision`,
    };
  }

  /** Adds a hook run in every commit transaction; returns a function that removes it. */
  addCommitHook(hook: CommitHook | InlinableCommitHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  async load(type: EntityType, id: string): Promise<StoredEntity | undefined> {
    const rows = await this.client.query(this.sql.load, [type, id]);
    const row = rows[0];
    return row === undefined ? undefined : toEntity(row);
  }

  /** The stored entities among `ids`, tombstones included, in the order of `ids`. */
  async loadMany(type: EntityType, ids: readonly string[]): Promise<StoredEntity[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const rows = await this.client.query(this.sql.loadMany, [type, unique]);
    const byId = new Map(rows.map((r) => [String(r['entity_id']), toEntity(r)]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  async scan(type: EntityType, afterId: string, limit: number): Promise<StoredEntity[]> {
    if (!(limit > 0)) return [];
    const rows = await this.client.query(this.sql.scan, [type, afterId, Math.floor(limit)]);
    return rows.map(toEntity);
  }

  /** Journal entries with `fromRevision <= revision <= toRevision`, oldest first. */
  async journal(type: EntityType, id: string, fromRevision: number, toRevision: number): Promise<JournalEntry[]> {
    if (fromRevision > toRevision) return [];
    const rows = await this.client.query(this.sql.journal, [type, id, fromRevision, toRevision]);
    return rows.map((r) => ({
      type: r['entity_type'] as EntityType,
      id: String(r['entity_id']),
      revision: asNumber(r['revision']),
      timestamp: String(r['ts']),
      event: asJsonObject(r['event']),
    }));
  }

  async ping(): Promise<void> {
    await this.client.query('SELECT 1');
  }

  /**
   * Group commit: all units share one transaction. When that fails, the units that lost a revision
   * race are reported and the rest retried together; any other failure falls back to one
   * transaction per unit, so one bad unit never fails the others.
   */
  async commit(units: readonly WriteUnit[]): Promise<CommitOutcome[]> {
    const outcomes: (CommitOutcome | undefined)[] = units.map((unit) => {
      const invalid = validateUnit(unit);
      if (invalid !== undefined) return { ok: false, conflict: false, error: invalid };
      return unit.length === 0 ? { ok: true } : undefined;
    });
    let pending = units.flatMap((unit, i) => (outcomes[i] === undefined ? [[i, unit] as const] : []));

    if (pending.length > 0 && (await this.commitAsOneStatement(pending))) {
      for (const [i] of pending) outcomes[i] = { ok: true };
      pending = [];
    }

    for (let attempt = 0; pending.length > 0 && attempt < MAX_BATCH_ATTEMPTS; attempt++) {
      try {
        await this.client.transaction((tx) => this.apply(tx, pending));
        for (const [i] of pending) outcomes[i] = { ok: true };
        pending = [];
      } catch (e) {
        if (e instanceof BatchConflict) {
          for (const [i, error] of e.conflicts) outcomes[i] = { ok: false, conflict: true, error };
          pending = pending.filter(([i]) => !e.conflicts.has(i));
        } else if (e instanceof StoreUnavailableError || pending.length === 1) {
          for (const [i, unit] of pending) outcomes[i] = failure(e, unit);
          pending = [];
        } else {
          this.logger?.warn({ err: e, units: pending.length }, 'batch commit failed; committing its units one by one');
          break;
        }
      }
    }

    for (const [index, [i, unit]] of pending.entries()) {
      try {
        await this.client.transaction((tx) => this.apply(tx, [[i, unit]]));
        outcomes[i] = { ok: true };
      } catch (e) {
        outcomes[i] = failure(e, unit);
        if (e instanceof StoreUnavailableError) {
          // No point in waiting for the same failure once per unit.
          for (const [j, other] of pending.slice(index + 1)) outcomes[j] = failure(e, other);
          break;
        }
      }
    }
    let created = 0;
    for (const [i, unit] of units.entries()) if (outcomes[i]?.ok === true) for (const w of unit) if (w.expectedRevision === 0) created++;
    if (created > 0) this.analyzer.note(created);
    return outcomes.map((o) => o ?? { ok: false, conflict: false, error: new Error('unit was not committed') });
  }

  /**
   * Commits the units with one statement when they fit in one round and every hook can inline its
   * writes. The statement ends by checking that every write was applied and fails otherwise, so it
   * commits all or nothing. False, with nothing written, when the units need the transaction form
   * or the statement failed for any reason: the caller then commits them in transactions, which
   * also tells which units conflicted.
   */
  private async commitAsOneStatement(units: readonly (readonly [number, WriteUnit])[]): Promise<boolean> {
    const rounds = planRounds(units);
    const round = rounds[0];
    if (rounds.length !== 1 || round === undefined) return false;
    const writes = round.map((p) => p.write);
    const ctes = [this.sql.writeCtes];
    const params: unknown[] = [encodeRound(round)];
    for (const hook of this.hooks) {
      if (typeof hook === 'function') return false;
      const part = hook.inline(writes, params.length + 1);
      if (part === undefined) return false;
      ctes.push(...part.ctes);
      params.push(...part.params);
    }
    params.push(round.length);
    const text = `WITH ${ctes.join(', ')} SELECT ${this.sql.checkApplied}((SELECT count(*) FROM a), $${params.length}::bigint)`;
    try {
      await this.client.query(text, params, BATCH_WRITE);
      return true;
    } catch (e) {
      if (!isAppliedCheckFailure(e) && !isUniqueViolation(e)) this.logger?.warn({ err: e, units: units.length }, 'single-statement commit failed; retrying in transactions');
      return false;
    }
  }

  private async apply(tx: SqlQueryable, units: readonly (readonly [number, WriteUnit])[]): Promise<void> {
    for (const round of planRounds(units)) {
      const applied = await tx.query(this.sql.write, [encodeRound(round)], BATCH_WRITE);
      if (applied.length !== round.length) throw new BatchConflict(conflictsOf(round, applied));
      if (this.hooks.length > 0) {
        const writes = round.map((p) => p.write);
        for (const hook of this.hooks) await (typeof hook === 'function' ? hook(tx, writes) : hook.run(tx, writes));
      }
    }
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      await this.analyzer.stop();
      if (this.closeClient) await this.client.close();
    })();
    return this.closing;
  }
}

function conflictsOf(round: readonly PlannedWrite[], applied: readonly SqlRow[]): Map<number, RevisionConflictError> {
  const ok = new Set(applied.map((r) => entityKey(String(r['entity_type']), String(r['entity_id']))));
  const conflicts = new Map<number, RevisionConflictError>();
  for (const { unit, write } of round) {
    const { type, id } = write.entity;
    if (!ok.has(entityKey(type, id)) && !conflicts.has(unit)) {
      conflicts.set(unit, new RevisionConflictError(type, id, write.expectedRevision));
    }
  }
  return conflicts;
}

/** The outcome of a unit whose own transaction failed with `e`. */
function failure(e: unknown, unit: WriteUnit): CommitOutcome {
  if (e instanceof BatchConflict) {
    const error = [...e.conflicts.values()][0];
    if (error !== undefined) return { ok: false, conflict: true, error };
  }
  const first = unit[0];
  if (isUniqueViolation(e) && first !== undefined) {
    // A journal row with this revision exists although the snapshot allowed the write: another
    // writer got there first.
    const { type, id } = first.entity;
    return { ok: false, conflict: true, error: new RevisionConflictError(type, id, first.expectedRevision, { cause: e }) };
  }
  return { ok: false, conflict: false, error: toError(e) };
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
