import type { EntityWrite } from '../../ports/store.ts';
import type { InlinableCommitHook } from './sql-store.ts';
import type { SearchCandidate, SearchCandidatesQuery, SearchCountGroup, SearchIndex, SearchScopeQuery } from '../../ports/search.ts';
import {
  compactParams, compileRqlSql, compileSort, indexPathOf, keysetCondition, KIND, SqlParams, THING_COLUMNS, type SortScope,
} from '../../rql/sql/index.ts';
import { BATCH_WRITE, CUSTOM_PLAN, type SqlClient, type SqlQueryable, type SqlRow } from './client.ts';
import { GrowthAnalyzer, type AnalyzerRun } from './growth-analyzer.ts';
import { ensureSchema, type StoreTables } from './schema.ts';
import { planThingRows, storable, type ThingIndexWrite } from './search-rows.ts';
import { policyGrants, searchDdl, searchTables, type SearchTables } from './search-schema.ts';
import { isJsonObject, type JsonObject } from '../../model/json.ts';

/**
 * What the rows of a thing look like (`indexRows`); an index built with another format is rebuilt
 * at start. Change it with the rows, since writes delete old rows by recomputing them.
 */
const INDEX_FORMAT = '1';
/** Index documents are sent to the database in chunks of this many things. */
const REBUILD_BATCH = 500;
/**
 * A page ordered by ID and filtered by value rows starts from this many times its size of the
 * first matches in ID order (see `candidates`): room for some the caller may not see.
 */
const FIRST_TAKE = 2;
/** Index rows changed before the first ANALYZE (later ones wait for as many as the table has). */
// An ANALYZE holds PGlite's only connection while it runs (the value table's: 150-250 ms at 10,000
// things, 170,000 rows, ~0.5 s the first time in a process; most of it the joint statistics), so
// writes wait for it: it runs each time as many rows changed as the table holds, i.e. each time
// the index doubles while it grows, and after writes changing about half its values once its size
// is stable.
const ANALYZE_MIN_ROWS = 5_000;

/**
 * The value table's ANALYZE in three statements, one per joint statistics object of search-schema.ts
 * (`kn`, `kt`, `kb`): each gathers the statistics of the columns it names and builds the objects
 * whose columns are all among them; every column is in one of them. On PGlite, where an ANALYZE
 * holds the only connection, the writes queued meanwhile run between the three (GrowthAnalyzer
 * pauses for them). At 170,000 rows the whole table took 155-250 ms in one statement, the three
 * 85-140 ms each when measured alone; each samples the table again, so together they take about
 * half as long again, once per as many changed rows as the table holds. Each also warns that it
 * could not build the other two objects (PostgreSQL keeps their last statistics); PGlite drops
 * warnings, and PostgreSQL, whose ANALYZE blocks no write, analyzes the table in one statement.
 */
export const VALUE_ANALYZE_STEPS = ['thing_id, gpath, fid, kind, n', 'gpath, fid, kind, t', 'gpath, fid, kind, b'] as const;

/**
 * The WITH items that bring the index rows of a batch of thing writes up to date, with their
 * parameters numbered from `first`, or undefined when the writes change no index row. A thing
 * whose previous state the writer passed along (the usual case) has only its changed rows written:
 * a value replaced at its path is updated in place (`uv`, found by its old values; one row, see
 * IndexRowChanges.changed), other rows that went are deleted (`dg`, matched on every column) and
 * new ones inserted (`iv`). A write usually changes one value, and each row costs index
 * insertions; an update costs less than a deletion and an insertion (one input row, one scan).
 * Any other thing has all its rows replaced (`d`). All items see the rows as they were before the
 * statement, and no row is touched by two of them (a thing is in `d` or in `uv`/`dg`, never both,
 * and an updated row is never equal to a deleted one). The per-thing row is written only when it
 * is new or its policy changed (`ut`), and deleted with its thing (`dt`). Only the items with rows
 * to work on are sent: each DML item opens its table and all its indexes even when it has nothing
 * to do. The names differ from the store's own items, so they can join its statement.
 */
function thingStatement(t: SearchTables, writes: readonly ThingIndexWrite[], first: number): { ctes: string[]; params: unknown[]; changedRows: number } | undefined {
  if (writes.length === 0) return undefined;
  const plan = planThingRows(writes);
  if (plan.changedRows === 0 && plan.docs.length === 0 && plan.gone.length === 0 && plan.replaced.length === 0) return undefined;
  const ctes: string[] = [];
  const params: unknown[] = [];
  const p = (value: unknown): string => {
    params.push(value);
    return `$${first + params.length - 1}`;
  };
  const row = 'i text, p text, f text, k smallint, t text, n float8, b boolean';
  if (plan.replaced.length > 0) ctes.push(`d AS (DELETE FROM ${t.value} WHERE thing_id = ANY(${p(plan.replaced)}::text[]))`);
  if (plan.deleted.length > 0) {
    ctes.push(
      `g AS (SELECT * FROM json_to_recordset(${p(JSON.stringify(plan.deleted))}::text::json) AS g(${row}))`,
      `dg AS (DELETE FROM ${t.value} v USING g WHERE v.thing_id = g.i AND v.gpath = g.p AND v.fid = g.f AND v.kind = g.k
        AND v.t IS NOT DISTINCT FROM g.t AND v.n IS NOT DISTINCT FROM g.n AND v.b IS NOT DISTINCT FROM g.b)`,
    );
  }
  if (plan.updated.length > 0) {
    ctes.push(`uv AS (UPDATE ${t.value} v SET kind = c.k, t = c.t, n = c.n, b = c.b
      FROM json_to_recordset(${p(JSON.stringify(plan.updated))}::text::json) AS c(${row}, ok smallint, ot text, "on" float8, ob boolean)
      WHERE v.thing_id = c.i AND v.gpath = c.p AND v.fid = c.f AND v.kind = c.ok
        AND v.t IS NOT DISTINCT FROM c.ot AND v.n IS NOT DISTINCT FROM c.on AND v.b IS NOT DISTINCT FROM c.ob)`);
  }
  if (plan.gone.length > 0) ctes.push(`dt AS (DELETE FROM ${t.thing} WHERE thing_id = ANY(${p(plan.gone)}::text[]))`);
  if (plan.docs.length > 0) {
    ctes.push(`ut AS (INSERT INTO ${t.thing} (thing_id, namespace, policy_id)
      SELECT * FROM json_to_recordset(${p(JSON.stringify(plan.docs))}::text::json) AS x(thing_id text, namespace text, policy_id text)
      ON CONFLICT (thing_id) DO UPDATE SET namespace = excluded.namespace, policy_id = excluded.policy_id)`);
  }
  if (plan.inserted.length > 0) {
    ctes.push(`iv AS (INSERT INTO ${t.value} (thing_id, gpath, fid, kind, t, n, b)
      SELECT i, p, f, k, t, n, b FROM json_to_recordset(${p(JSON.stringify(plan.inserted))}::text::json) AS r(${row}))`);
  }
  return { ctes, params, changedRows: plan.changedRows };
}

export interface SqlSearchIndexOptions {
  /** Told when a background ANALYZE fails (the index itself stays correct, only plans suffer). */
  readonly onError?: (err: unknown) => void;
  /** Told when a background ANALYZE has run: how long it took, and the value table's rows. */
  readonly onAnalyze?: (done: AnalyzerRun) => void;
  /** See DEFAULT_NUMBER_STATISTICS (search-schema.ts). */
  readonly numberStatistics?: number;
  /**
   * The database vacuums nothing by itself (PGlite has no autovacuum): the index then vacuums its
   * value table with each ANALYZE. Every changed value leaves a dead row whose entry in the value
   * index no lookup ever removes; without VACUUM the table and that index grow with every write
   * (at 10,000 things, 200,000 writes: 6.7 → 18.2 MB and 7.8 → 28.0 MB, still growing; vacuumed
   * every 50,000 writes, 62 ms each, they stay at 9.6 and 18.0 MB).
   */
  readonly vacuumValues?: boolean;
  /** Analyzes the value table in VALUE_ANALYZE_STEPS rather than in one statement. */
  readonly analyzeValuesInSteps?: boolean;
}

/**
 * The search index in the store's database. Maintained by a commit hook, so it changes in the
 * same transaction as the snapshots; queried with SQL compiled from RQL.
 */
export class SqlSearchIndex implements SearchIndex {
  readonly tables: SearchTables;
  private readonly clearPolicies: string;
  private readonly analyzer: GrowthAnalyzer;
  private readonly writePolicies: string;

  static async open(client: SqlClient, store: StoreTables, schemaName: string, options: SqlSearchIndexOptions = {}): Promise<SqlSearchIndex> {
    const tables = searchTables(store);
    await ensureSchema(client, schemaName, searchDdl(tables, options.numberStatistics), tables.meta);
    const index = new SqlSearchIndex(client, store, tables, options);
    await index.rebuildIfNeeded();
    // Statistics of a small index make no difference to its plans, and gathering them cost every
    // start ~0.15 s on the embedded database; the analyzer runs once writes reach ANALYZE_MIN_ROWS.
    if (await index.holdsValueRows(ANALYZE_MIN_ROWS)) await index.analyzer.now();
    return index;
  }

  private constructor(
    private readonly client: SqlClient,
    private readonly store: StoreTables,
    tables: SearchTables,
    private readonly options: SqlSearchIndexOptions,
  ) {
    this.tables = tables;
    const t = tables;
    this.analyzer = new GrowthAnalyzer(
      client,
      [
        // One statement per step, so that the writes queued on PGlite's only connection run
        // between them: the value table's ANALYZE is most of the time (see VALUE_ANALYZE_STEPS).
        ...(options.analyzeValuesInSteps === true ? VALUE_ANALYZE_STEPS.map((columns) => `ANALYZE ${t.value} (${columns})`) : [`ANALYZE ${t.value}`]),
        `ANALYZE ${t.thing}, ${t.policySubject}, ${t.policyImport}`,
        // Marks the per-thing rows' pages all-visible, so that looking up a candidate's policy and
        // namespace is index-only (PGlite has no autovacuum). The table has one small row per thing.
        `VACUUM ${t.thing}`,
        // Runs about once per changed rows as many as the table holds: at most about half the rows
        // are dead ones then (a write changes a row: one deletion and one insertion).
        ...(options.vacuumValues === true ? [`VACUUM ${t.value}`] : []),
      ],
      t.value,
      ANALYZE_MIN_ROWS,
      (err) => options.onError?.(err),
      options.onAnalyze,
    );
    // Two statements: primary keys would clash if old rows were deleted by the same statement.
    this.clearPolicies = `WITH d AS (DELETE FROM ${t.policySubject} WHERE policy_id = ANY($1::text[]))
      DELETE FROM ${t.policyImport} WHERE policy_id = ANY($1::text[])`;
    this.writePolicies = `WITH ii AS (INSERT INTO ${t.policyImport} (policy_id, imported_id)
        SELECT DISTINCT policy_id, imported_id FROM json_to_recordset($2::text::json) AS r(policy_id text, imported_id text))
      INSERT INTO ${t.policySubject} (policy_id, subject, reads)
        SELECT policy_id, subject, bool_or(reads) FROM json_to_recordset($1::text::json) AS r(policy_id text, subject text, reads boolean)
        GROUP BY policy_id, subject`;
  }

  /**
   * For a store whose writes will not maintain the index (DOPPEL_SEARCH_INDEX=false): marks the
   * index stale, so that the next `open` rebuilds it from the snapshots.
   */
  static async invalidate(client: SqlClient, store: StoreTables, schemaName: string): Promise<void> {
    const tables = searchTables(store);
    await ensureSchema(client, schemaName, searchDdl(tables), tables.meta);
    await client.query(`DELETE FROM ${tables.meta} WHERE key = 'built'`);
  }

  /**
   * The commit hook: register with `SqlStore.addCommitHook`. Thing writes can join the batch's
   * single statement; policy writes need two statements of their own (their rows' primary keys
   * would clash within one), so a batch with any takes the transaction form.
   */
  readonly hook: InlinableCommitHook = {
    run: async (tx, writes) => {
      await this.indexThings(tx, writes.filter((w) => w.entity.type === 'thing'));
      await this.indexPolicies(tx, writes.filter((w) => w.entity.type === 'policy').map((w) => w.entity));
    },
    inline: (writes, firstParam) => {
      if (writes.some((w) => w.entity.type !== 'thing')) return undefined;
      const statement = thingStatement(this.tables, writes, firstParam);
      if (statement === undefined) return { ctes: [], params: [] };
      this.analyzer.note(statement.changedRows);
      return { ctes: statement.ctes, params: statement.params };
    },
  };

  private async indexThings(tx: SqlQueryable, writes: readonly ThingIndexWrite[]): Promise<void> {
    const statement = thingStatement(this.tables, writes, 1);
    if (statement === undefined) return;
    // One statement per commit round whatever its size.
    await tx.query(`WITH ${statement.ctes.join(', ')} SELECT 1`, statement.params, BATCH_WRITE);
    this.analyzer.note(statement.changedRows);
  }

  /** Resolves when no ANALYZE is running. */
  idle(): Promise<void> {
    return this.analyzer.idle();
  }

  /**
   * Starts no more ANALYZEs; resolves once the running one's statement has ended (a run in a
   * pause ends there), so that the store can close. A start analyzes an index that holds enough
   * rows to matter (`open`).
   */
  stop(): Promise<void> {
    return this.analyzer.stop();
  }

  private async indexPolicies(tx: SqlQueryable, policies: readonly EntityWrite['entity'][]): Promise<void> {
    if (policies.length === 0) return;
    const subjects: { policy_id: string; subject: string; reads: boolean }[] = [];
    const imports: { policy_id: string; imported_id: string }[] = [];
    for (const p of policies) {
      if (p.deleted) continue;
      const grants = policyGrants(p.data);
      for (const [subject, reads] of grants.subjects) subjects.push({ policy_id: p.id, subject: storable(subject), reads });
      for (const imported of grants.imports) imports.push({ policy_id: p.id, imported_id: imported });
    }
    await tx.query(this.clearPolicies, [policies.map((p) => p.id)], BATCH_WRITE);
    if (subjects.length > 0 || imports.length > 0) await tx.query(this.writePolicies, [JSON.stringify(subjects), JSON.stringify(imports)], BATCH_WRITE);
  }

  async candidates(q: SearchCandidatesQuery): Promise<SearchCandidate[]> {
    if (q.namespaces !== undefined && q.namespaces.length === 0) return [];
    const t = this.tables;
    const params = new SqlParams();
    const scope = this.scope(q, params);
    const sort = compileSort(q.sort, params, { thing: 'st', snapshot: 'sn', valueTable: t.value, text: storable, ...(q.hidden === undefined ? {} : { hidden: q.hidden }) });
    const where = [...scope.where];
    if (q.after !== undefined) {
      const after = keysetCondition(sort, q.after.map((v) => (typeof v === 'string' ? storable(v) : v)), params);
      if (after === undefined) return [];
      where.push(after);
    }
    // The page is chosen first, on the index tables alone (and the snapshot's revision and
    // timestamps only when the filter or sort needs them); only its rows' documents are read.
    const usesSnapshot = [...where, ...sort.select].some((x) => /\bsn\./.test(x));
    const outerOrder: string[] = [];
    let column = 0;
    for (const key of sort.keys) for (let i = 0; i < key.exprs.length; i++) outerOrder.push(`c.${sort.keyColumns[column++] ?? ''} ${key.direction === 'asc' ? 'ASC' : 'DESC'}`);
    const and = (conditions: readonly string[]): string => conditions.map((w) => `(${w})`).join(' AND ');
    const limit = params.add(q.limit, 'bigint');
    const page = (conditions: readonly string[]): string => `SELECT st.thing_id, ${sort.select.join(', ')}
        FROM ${t.thing} st ${sort.joins.join(' ')} ${usesSnapshot ? this.snapshotJoin() : ''}
        WHERE ${and(conditions)}
        ORDER BY ${sort.orderBy}
        LIMIT ${limit}`;
    const first = q.sort[0];
    const byId = q.sort.length === 1 && first?.pointer.length === 1 && first.pointer[0] === 'thingId';
    let ctes = scope.with;
    let chosen = page(where);
    if (byId && scope.byValues !== undefined && !usesSnapshot) {
      // Ordered by ID, filtered by one test of value rows that come in another order (a range,
      // a prefix): PostgreSQL sorts every match before the first page (25,000 of 1,000,000 things:
      // 20 ms). Instead the first few times the page's size in ID order are taken from the value
      // rows with a bounded sort, and the page from those of them that the caller may see; only
      // when they are too few (hidden things, or the matches run out) does the whole query
      // continue after them.
      const asc = first.direction === 'asc';
      const after = q.after === undefined ? '' : `WHERE x.thing_id ${asc ? '>' : '<'} ${params.add(storable(String(q.after[0])), 'text')}`;
      const taken = params.add(q.limit * FIRST_TAKE, 'bigint');
      const rest = where.filter((w) => w !== scope.byValues?.condition);
      ctes += `, top AS (SELECT x.thing_id FROM (${scope.byValues.select}) x ${after} ORDER BY x.thing_id ${asc ? 'ASC' : 'DESC'} LIMIT ${taken}),
        a AS MATERIALIZED (${page([...rest, 'st.thing_id IN (SELECT thing_id FROM top)'])})`;
      chosen = `SELECT * FROM (
          SELECT * FROM a
          UNION ALL
          (${page([...where, `(SELECT count(*) FROM a) < ${limit}`, `(SELECT count(*) FROM top) = ${taken}`, `st.thing_id ${asc ? '>' : '<'} (SELECT ${asc ? 'max' : 'min'}(thing_id) FROM top)`])})
        ) u ORDER BY ${sort.orderBy.replace(/\bst\./g, 'u.')} LIMIT ${limit}`;
    }
    const text = `${ctes}
      SELECT sn.entity_id, sn.revision, sn.created, sn.modified, sn.data, ${sort.keyColumns.map((k) => `c.${k}`).join(', ')}
      FROM (${chosen}) c
      JOIN ${this.store.snapshot} sn ON sn.entity_type = 'thing' AND sn.entity_id = (c.thing_id COLLATE "default")
      ORDER BY ${outerOrder.join(', ')}`;
    const statement = compactParams(text, params.values);
    const rows = await this.client.query(statement.text, statement.values, CUSTOM_PLAN);
    return rows.map((r) => ({ entity: entityOf(r), key: sort.keyColumns.map((c) => keyValue(r[c])) }));
  }

  async sortScopes(q: SearchScopeQuery, field: number, limit: number): Promise<SortScope[]> {
    const pointer = q.sort[field]?.pointer;
    if (pointer === undefined || (q.namespaces !== undefined && q.namespaces.length === 0)) return [];
    const t = this.tables;
    const params = new SqlParams();
    const scope = this.scope(q, params);
    let from = `${t.thing} st`;
    let fid = `''`;
    // Scopes are per policy and namespace; only the feature wildcard also needs the features
    // holding a value. Things without a value add scopes that do not matter, never miss one.
    if (!(pointer.length === 1 && (pointer[0] as string) in THING_COLUMNS)) {
      const path = indexPathOf(pointer);
      if (path.fid === undefined) {
        from += ` JOIN ${t.value} x ON x.thing_id = st.thing_id AND x.gpath = ${params.add(storable(path.gpath), 'text')} AND x.kind <= ${KIND.string}`;
        fid = 'x.fid';
      } else {
        fid = params.add(storable(path.fid), 'text');
      }
    }
    if (scope.where.some((w) => /\bsn\./.test(w))) from += ` ${this.snapshotJoin()}`;
    const text = `${scope.with}
      SELECT DISTINCT st.policy_id, st.namespace, ${fid} AS fid FROM ${from}
      WHERE ${scope.where.map((w) => `(${w})`).join(' AND ')}
      LIMIT ${params.add(limit, 'bigint')}`;
    const statement = compactParams(text, params.values);
    const rows = await this.client.query(statement.text, statement.values, CUSTOM_PLAN);
    return rows.map((r) => ({ policyId: String(r['policy_id']), namespace: String(r['namespace']), fid: String(r['fid']) }));
  }

  async countGroups(q: SearchScopeQuery, limit: number): Promise<SearchCountGroup[] | undefined> {
    const t = this.tables;
    const compiled = q.filter === undefined
      ? { exact: true, arrayPrefixes: [] }
      : compileRqlSql(q.filter, new SqlParams(), { thing: 'st', snapshot: 'sn', valueTable: t.value, now: q.now, text: storable });
    if (!compiled.exact) return undefined;
    if (q.namespaces !== undefined && q.namespaces.length === 0) return [];
    const params = new SqlParams();
    const scope = this.scope(q, params);
    // Things with an array on the way to a filtered field: the condition may be wrong for them.
    const uncertain = compiled.arrayPrefixes.length === 0
      ? '0'
      : `count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ${t.value} x WHERE x.thing_id = st.thing_id
          AND x.gpath = ANY(${params.add(compiled.arrayPrefixes, 'text[]')}) AND x.n IS NOT NULL AND x.kind = ${KIND.array}))`;
    const text = `${scope.with}
      SELECT st.policy_id, st.namespace, count(*) AS n, ${uncertain} AS uncertain
      FROM ${t.thing} st ${scope.where.some((w) => /\bsn\./.test(w)) ? this.snapshotJoin() : ''}
      WHERE ${scope.where.map((w) => `(${w})`).join(' AND ')}
      GROUP BY st.policy_id, st.namespace
      LIMIT ${params.add(limit, 'bigint')}`;
    const statement = compactParams(text, params.values);
    const rows = await this.client.query(statement.text, statement.values, CUSTOM_PLAN);
    return rows.map((r) => ({
      policyId: String(r['policy_id']), namespace: String(r['namespace']), count: asNumber(r['n']), uncertain: asNumber(r['uncertain']),
    }));
  }

  /** The snapshot row of `st`'s thing, for filters and sorts on its revision and timestamps. */
  private snapshotJoin(): string {
    return `JOIN ${this.store.snapshot} sn ON sn.entity_type = 'thing' AND sn.entity_id = (st.thing_id COLLATE "default")`;
  }

  /** The candidates of a query, whatever their order: visible policies, namespaces and the filter. */
  private scope(q: SearchScopeQuery, params: SqlParams): { with: string; where: string[]; byValues?: { condition: string; select: string } } {
    const t = this.tables;
    const subjects = params.add(q.subjects.map(storable), 'text[]');
    const where: string[] = ['st.policy_id IN (SELECT policy_id FROM vis)'];
    if (q.namespaces !== undefined) where.push(`st.namespace = ANY(${params.add(q.namespaces.map(storable), 'text[]')})`);
    let byValues: { condition: string; select: string } | undefined;
    if (q.filter !== undefined) {
      const compiled = compileRqlSql(q.filter, params, { thing: 'st', snapshot: 'sn', valueTable: t.value, now: q.now, text: storable });
      if (compiled.condition !== 'TRUE') where.push(compiled.condition);
      if (compiled.unorderedValueRows !== undefined) byValues = { condition: compiled.condition, select: compiled.unorderedValueRows };
    }
    // Policies that may grant a subject READ: its own entries, or any policy importing
    // (transitively) one where the subject appears at all (imported entries and references).
    // Not materialized where a statement names it twice: a page then looks up the policies of its
    // few candidates instead of listing every policy the caller may read (3 ms for 1,000).
    const cte = `WITH RECURSIVE imp(policy_id) AS (
        SELECT i.policy_id FROM ${t.policyImport} i WHERE i.imported_id IN (SELECT policy_id FROM ${t.policySubject} WHERE subject = ANY(${subjects}))
        UNION SELECT i.policy_id FROM ${t.policyImport} i JOIN imp ON i.imported_id = imp.policy_id
      ), vis(policy_id) AS NOT MATERIALIZED (
        SELECT policy_id FROM ${t.policySubject} WHERE subject = ANY(${subjects}) AND reads UNION SELECT policy_id FROM imp
      )`;
    return { with: cte, where, ...(byValues === undefined ? {} : { byValues }) };
  }

  /** Whether the value table holds at least `rows` rows (reading no more than that many). */
  private async holdsValueRows(rows: number): Promise<boolean> {
    const [r] = await this.client.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${this.tables.value} LIMIT ${rows}) s`);
    return Number(r?.['n'] ?? 0) >= rows;
  }

  /** Indexes every stored thing and policy once, when the index tables are new. */
  private async rebuildIfNeeded(): Promise<void> {
    const t = this.tables;
    // Built already (every start but the first): one statement, no lock.
    const built = await this.client.query(`SELECT value FROM ${t.meta} WHERE key = 'built'`);
    if (built[0]?.['value'] === INDEX_FORMAT) return;
    await this.client.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`doppel-search-rebuild:${t.meta}`]);
      const done = await tx.query(`SELECT value FROM ${t.meta} WHERE key = 'built'`);
      if (done[0]?.['value'] === INDEX_FORMAT) return;
      // Whatever is there is stale (written by another format, or before writes that skipped the index).
      await tx.query(`DELETE FROM ${t.value}`);
      await tx.query(`DELETE FROM ${t.thing}`);
      await tx.query(`DELETE FROM ${t.policySubject}`);
      await tx.query(`DELETE FROM ${t.policyImport}`);
      for (const type of ['policy', 'thing'] as const) {
        let after = '';
        for (;;) {
          const rows = await tx.query(
            `SELECT entity_type, entity_id, revision, created, modified, deleted, data FROM ${this.store.snapshot}
             WHERE entity_type = $1 AND NOT deleted AND entity_id > $2 ORDER BY entity_id LIMIT ${REBUILD_BATCH}`,
            [type, after],
          );
          const entities = rows.map(entityOf);
          if (type === 'thing') await this.indexThings(tx, entities.map((entity) => ({ entity })));
          else await this.indexPolicies(tx, entities);
          const last = entities[entities.length - 1];
          if (last === undefined || rows.length < REBUILD_BATCH) break;
          after = last.id;
        }
      }
      await tx.query(`INSERT INTO ${t.meta} (key, value) VALUES ('built', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [INDEX_FORMAT]);
    });
  }
}

function entityOf(r: SqlRow): EntityWrite['entity'] {
  return {
    type: r['entity_type'] === 'policy' ? 'policy' : 'thing',
    id: String(r['entity_id']),
    revision: asNumber(r['revision']),
    created: String(r['created']),
    modified: String(r['modified']),
    deleted: r['deleted'] === true,
    data: asJsonObject(r['data']),
  };
}

function asNumber(v: unknown): number {
  // int8 arrives as a string from porsager/postgres and as a number from PGlite.
  return typeof v === 'number' ? v : Number(v);
}

function asJsonObject(v: unknown): JsonObject {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return isJsonObject(parsed) ? (parsed as JsonObject) : {};
}

/** Key values as JSON-safe scalars; every key column is cast to a type the drivers return natively. */
function keyValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return v === null || v === undefined ? null : String(v);
}
