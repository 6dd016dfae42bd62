import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openPgliteClient } from '../../src/adapters/pglite/index.ts';
import { openPostgresClient } from '../../src/adapters/postgres/index.ts';
import fc from 'fast-check';
import { SqlSearchIndex, SqlStore, type SqlClient } from '../../src/adapters/sql/index.ts';
import type { SqlSearchIndexOptions } from '../../src/adapters/sql/search-index.ts';
import { storable } from '../../src/adapters/sql/search-rows.ts';
import type { JsonObject, JsonValue } from '../../src/model/json.ts';
import { deleteAt, setAt } from '../../src/model/json-pointer.ts';
import type { EntityWrite, StoredEntity } from '../../src/ports/store.ts';
import { parseRqlFilter } from '../../src/rql/index.ts';
import { indexRows } from '../../src/rql/sql/index.ts';
import { postgresForTests, withPostgresSchema } from '../support/postgres.ts';

const TS = '2025-01-01T00:00:00.000Z';
const entity = (type: 'thing' | 'policy', id: string, revision: number, data: JsonObject, deleted = false): StoredEntity =>
  ({ type, id, revision, created: TS, modified: TS, deleted, data });
const write = (e: StoredEntity): EntityWrite => ({ entity: e, event: {}, expectedRevision: e.revision - 1 });
const POLICY = { policyId: 'a:p', entries: { U: { subjects: { 'u:1': { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } } } };

async function ids(index: SqlSearchIndex, filter: string, subjects = ['u:1']): Promise<string[]> {
  const found = await index.candidates({ filter: parseRqlFilter(filter), namespaces: undefined, sort: [{ pointer: ['thingId'], direction: 'asc' }], subjects, after: undefined, limit: 100, now: new Date() });
  return found.map((c) => c.entity.id);
}

describe('SQL search index', () => {
  test('indexes existing data when its tables are new, then follows every commit', async () => {
    const client = await openPgliteClient();
    try {
      const store = await SqlStore.open(client, { closeClient: false });
      await store.commit([[write(entity('policy', 'a:p', 1, POLICY)), write(entity('thing', 'a:old', 1, { thingId: 'a:old', policyId: 'a:p', attributes: { v: 1 } }))]]);
      const index = await SqlSearchIndex.open(client, store.tables, 'public');
      store.addCommitHook(index.hook);
      assert.deepEqual(await ids(index, 'eq(attributes/v,1)'), ['a:old']);
      assert.deepEqual(await ids(index, 'eq(attributes/v,1)', ['u:other']), []);

      // Strings holding U+0000 are stored and found.
      await store.commit([[write(entity('thing', 'a:nul', 1, { thingId: 'a:nul', policyId: 'a:p', attributes: { s: 'x\u0000y' } }))]]);
      assert.deepEqual(await ids(index, 'eq(attributes/s,"x\\u0000y")'), ['a:nul']);
      await store.commit([[write(entity('thing', 'a:sur', 1, { thingId: 'a:sur', policyId: 'a:p', attributes: { s: 'x\ud800y' } }))]]);
      assert.deepEqual(await ids(index, 'eq(attributes/s,"x\\ud800y")'), ['a:sur']);
      assert.deepEqual(await ids(index, 'exists(attributes/\u0000\udc00)', ['u:1\u0000']), []);
      await store.commit([[write(entity('thing', 'a:sur', 2, {}, true))]]);

      // Changing one value keeps the others; deleting removes every row.
      await store.commit([[write(entity('thing', 'a:old', 2, { thingId: 'a:old', policyId: 'a:p', attributes: { v: 2, w: 'keep' } }))]]);
      assert.deepEqual(await ids(index, 'eq(attributes/v,1)'), []);
      assert.deepEqual(await ids(index, 'and(eq(attributes/v,2),eq(attributes/w,"keep"))'), ['a:old']);
      await store.commit([[write(entity('thing', 'a:old', 3, {}, true))]]);
      assert.deepEqual(await ids(index, 'exists(thingId)'), ['a:nul']);
      const rows = await client.query(`SELECT count(*)::int AS n FROM ${index.tables.value} WHERE thing_id = 'a:old'`);
      assert.equal(rows[0]?.['n'], 0);

      // A policy that stops granting READ hides its things from the pre-filter at once.
      await store.commit([[write(entity('policy', 'a:p', 2, { ...POLICY, entries: { U: { subjects: { 'u:1': { type: 't' } }, resources: { 'policy:/': { grant: ['READ'], revoke: [] } } } } }))]]);
      assert.deepEqual(await ids(index, 'exists(thingId)'), []);
      // ...and a policy importing one where the subject appears may grant it (superset).
      await store.commit([[write(entity('policy', 'a:q', 1, { policyId: 'a:q', entries: {}, imports: { 'a:p': {} } })), write(entity('thing', 'a:imp', 1, { thingId: 'a:imp', policyId: 'a:q' }))]]);
      assert.deepEqual(await ids(index, 'exists(thingId)'), ['a:imp']);
      await index.idle();
    } finally {
      await client.close();
    }
  });
});

/** The value table's counters of VACUUM and ANALYZE statements. */
interface ValueTableCounts {
  readonly vacuums: number;
  readonly analyzes: number;
}

/** What withAnalyzedIndex hands its check. */
interface AnalyzedIndex {
  readonly client: SqlClient;
  readonly store: SqlStore;
  readonly index: SqlSearchIndex;
  /** The value table's counts once the first background ANALYZE has run. */
  readonly seen: ValueTableCounts;
  readonly counts: () => Promise<ValueTableCounts>;
}

/**
 * An index on PGlite opened with `options` and given `things`, enough value rows for a background
 * ANALYZE: `check` runs once one has (or after ~2 s).
 */
async function withAnalyzedIndex(options: SqlSearchIndexOptions, things: readonly JsonObject[], check: (analyzed: AnalyzedIndex) => Promise<void>): Promise<void> {
  const client = await openPgliteClient();
  try {
    const store = await SqlStore.open(client, { closeClient: false });
    const index = await SqlSearchIndex.open(client, store.tables, 'public', options);
    store.addCommitHook(index.hook);
    await store.commit(things.map((data) => [write(entity('thing', String(data['thingId']), 1, data))]));
    const counts = async (): Promise<ValueTableCounts> => {
      const [r] = await client.query(`SELECT vacuum_count::int AS v, analyze_count::int AS a FROM pg_stat_user_tables WHERE relname = 'doppel_search_value'`);
      return { vacuums: Number(r?.['v']), analyzes: Number(r?.['a']) };
    };
    await index.idle();
    let seen = await counts();
    for (let i = 0; i < 100 && seen.analyzes === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await index.idle();
      seen = await counts();
    }
    await check({ client, store, index, seen, counts });
  } finally {
    await client.close();
  }
}

describe('SQL search index without autovacuum', () => {
  test('vacuums its value table with its ANALYZEs when told the database does not', async () => {
    const attributes = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, i]));
    // 6,000 value rows: more than the changes after which the first ANALYZE runs.
    const things = Array.from({ length: 600 }, (_, i) => ({ thingId: `a:t${i}`, policyId: 'a:p', attributes }));
    for (const vacuumValues of [true, false]) {
      await withAnalyzedIndex({ vacuumValues }, things, ({ seen }) => {
        assert.ok(seen.analyzes > 0, 'the ANALYZE ran');
        assert.equal(seen.vacuums > 0, vacuumValues, `vacuumValues ${String(vacuumValues)}: ${seen.vacuums} VACUUMs`);
        return Promise.resolve();
      });
    }
  });

  test('once stopped, it analyzes nothing more however many rows change', async () => {
    const attributes = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, i]));
    const things = Array.from({ length: 600 }, (_, i) => ({ thingId: `a:t${i}`, policyId: 'a:p', attributes }));
    await withAnalyzedIndex({ vacuumValues: true }, things, async ({ store, index, seen, counts }) => {
      assert.ok(seen.analyzes > 0, 'the first ANALYZE ran');
      await index.stop();
      // Every value changes twice: more changed rows than another ANALYZE needs.
      const changed = Object.fromEntries(Object.keys(attributes).map((k) => [k, `changed ${k}`]));
      for (const round of [2, 3]) {
        await store.commit(things.map((t) => [write(entity('thing', t.thingId, round, { ...t, attributes: round === 2 ? changed : attributes }))]));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      await index.idle();
      assert.deepEqual(await counts(), seen);
    });
  });
});

describe('SQL search index: the value table analyzed in steps', () => {
  test('the steps gather the statistics of every column and every joint statistics object', async () => {
    // Values of every kind, ~7,000 value rows.
    const attributes = (i: number): JsonObject => ({ n: i % 7, t: `s${i % 5}`, b: i % 2 === 0, z: null, o: { n: i } });
    const things = Array.from({ length: 1_200 }, (_, i) => ({ thingId: `a:t${i}`, policyId: 'a:p', attributes: attributes(i) }));
    for (const analyzeValuesInSteps of [true, false]) {
      await withAnalyzedIndex({ analyzeValuesInSteps }, things, async ({ client, seen }) => {
        assert.equal(seen.analyzes, analyzeValuesInSteps ? 3 : 1, 'ANALYZE statements of the value table');
        const columns = await client.query(`SELECT attname FROM pg_stats WHERE tablename = 'doppel_search_value' ORDER BY attname`);
        assert.deepEqual(columns.map((c) => c['attname']), ['b', 'fid', 'gpath', 'kind', 'n', 't', 'thing_id']);
        const joint = await client.query(`SELECT s.stxname FROM pg_statistic_ext s JOIN pg_statistic_ext_data d ON d.stxoid = s.oid
          WHERE s.stxrelid = 'doppel_search_value'::regclass AND d.stxdmcv IS NOT NULL ORDER BY s.stxname`);
        assert.deepEqual(joint.map((j) => j['stxname']), ['doppel_search_value_stats_kb', 'doppel_search_value_stats_kn', 'doppel_search_value_stats_kt']);
        const [size] = await client.query(`SELECT reltuples FROM pg_class WHERE relname = 'doppel_search_value'`);
        assert.ok(Number(size?.['reltuples']) >= 6_000, `reltuples ${String(size?.['reltuples'])}`);
      });
    }
  });
});

const pg = await postgresForTests();

describe('SQL search index: pages by ID filtered by value rows', () => {
  // Such a page starts from the first matches in ID order, twice the page's size, and continues
  // with the whole query only when too few of them are visible: each case makes that happen.
  test('are the first visible matches after the position, in either order, however many matches are hidden (PGlite)', async () => {
    await pagesById(await openPgliteClient(), 'public');
  });
  test('the same on PostgreSQL', { skip: pg.skip ?? false }, async () => {
    await withPostgresSchema(async (s) => pagesById(await openPostgresClient({ url: s.url, schema: s.schema }), s.schema), pg.url);
  });
});

async function pagesById(client: SqlClient, schema: string): Promise<void> {
  const statements: string[] = [];
  const spying: SqlClient = {
    query: (text, params, options) => {
      statements.push(text);
      return client.query(text, params, options);
    },
    transaction: (fn) => client.transaction(fn),
    close: () => client.close(),
  };
  try {
    const store = await SqlStore.open(spying, { schema, closeClient: false });
    const index = await SqlSearchIndex.open(spying, store.tables, schema);
    store.addCommitHook(index.hook);
    const hidden: Record<string, (i: number) => boolean> = {
      x: (i) => i < 40, // all of the first matches hidden
      y: (i) => i < 7, // some of them: the page is made of both parts
      z: (i) => i >= 20, // descending: the last ones hidden
      w: (i) => i % 2 === 1, // every other one: the first part suffices
    };
    const policy = (id: string, subject: string): StoredEntity =>
      entity('policy', id, 1, { policyId: id, entries: { U: { subjects: { [subject]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } } } });
    const writes = [write(policy('a:p', 'u:1')), write(policy('a:h', 'u:2'))];
    for (const [g, isHidden] of Object.entries(hidden)) {
      for (let i = 0; i < 60; i++) {
        const id = `a:${g}${String(i).padStart(2, '0')}`;
        writes.push(write(entity('thing', id, 1, { thingId: id, policyId: isHidden(i) ? 'a:h' : 'a:p', attributes: { [g]: i } })));
      }
    }
    await store.commit(writes.map((w) => [w]));
    const page = async (filter: string, direction: 'asc' | 'desc', limit: number, after?: string): Promise<string[]> => {
      statements.length = 0;
      const found = await index.candidates({
        filter: parseRqlFilter(filter), namespaces: undefined, sort: [{ pointer: ['thingId'], direction }], subjects: ['u:1'],
        after: after === undefined ? undefined : [after], limit, now: new Date(),
      });
      assert.ok(statements.some((t) => /\btop AS\b/.test(t)), 'the page starts from the first matches');
      return found.map((c) => c.entity.id);
    };
    const expected = (g: string, min: number, direction: 'asc' | 'desc', limit: number, after?: string): string[] => {
      const all = Array.from({ length: 60 }, (_, i) => i).filter((i) => i > min && !(hidden[g] as (i: number) => boolean)(i)).map((i) => `a:${g}${String(i).padStart(2, '0')}`);
      const ordered = direction === 'asc' ? all : all.reverse();
      return ordered.filter((id) => after === undefined || (direction === 'asc' ? id > after : id < after)).slice(0, limit);
    };
    for (const g of Object.keys(hidden)) {
      for (const direction of ['asc', 'desc'] as const) {
        for (const [limit, after, min] of [[5, undefined, -1], [5, `a:${g}41`, -1], [5, `a:${g}18`, -1], [3, undefined, 55], [30, undefined, -1]] as const) {
          assert.deepEqual(await page(`gt(attributes/${g},${min})`, direction, limit, after), expected(g, min, direction, limit, after), `${g} ${direction} ${limit} after ${after ?? '-'} above ${min}`);
        }
      }
    }
    // Any of several value tests (one test of value rows) takes the same way.
    assert.deepEqual(await page('or(eq(attributes/x,41),eq(attributes/y,8),eq(attributes/x,2))', 'asc', 5), ['a:x41', 'a:y08']);
    await index.idle();
  } finally {
    await client.close();
  }
}

/** The value rows the index holds, as comparable strings, per thing. */
async function storedRows(client: { query: SqlClient['query'] }, index: SqlSearchIndex): Promise<string[]> {
  const rows = await client.query(`SELECT thing_id, gpath, fid, kind, t, n, b FROM ${index.tables.value}`);
  return rows.map((r) => JSON.stringify([r['thing_id'], r['gpath'], r['fid'], Number(r['kind']), r['t'], r['n'] === null ? null : Number(r['n']), r['b']])).sort();
}

/** The value rows a fresh index would hold for these things. */
function rowsOf(things: ReadonlyMap<string, StoredEntity>): string[] {
  return [...things.values()]
    .filter((e) => !e.deleted)
    .flatMap((e) => indexRows(e.data, storable).map((r) => JSON.stringify([e.id, r.p, r.f, r.k, r.t, r.n, r.b])))
    .sort();
}

const keyArb = fc.constantFrom('a', 'b', 'x\u0000', 'x\uffff', 'lamp');
const scalarArb = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -2, max: 2 }), fc.constantFrom('s', 'u\u0000', 'u\uffff', "q'\"\\"));
const { value: valueArb } = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalarArb, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(keyArb, tie('value'), { maxKeys: 3 })),
}));
const editArb = fc.record({
  thing: fc.integer({ min: 0, max: 3 }),
  path: fc.tuple(fc.constantFrom('attributes', 'features', 'definition'), fc.array(keyArb, { minLength: 1, maxLength: 3 })).map(([r, p]) => [r, ...p]),
  value: fc.option(valueArb, { nil: undefined }),
  kind: fc.constantFrom('edit', 'edit', 'edit', 'delete', 'replace', 'policy'),
  withPrevious: fc.constantFrom(true, true, true, false),
});

describe('SQL search index maintenance', () => {
  test('writing only the changed rows leaves exactly the rows of the stored things (random edits, batched)', async () => {
    const client = await openPgliteClient();
    try {
      const store = await SqlStore.open(client, { closeClient: false });
      const index = await SqlSearchIndex.open(client, store.tables, 'public');
      store.addCommitHook(index.hook);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(editArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), async (rounds) => {
          await client.query(`DELETE FROM ${index.tables.value}`);
          await client.query(`DELETE FROM ${index.tables.thing}`);
          await client.query(`DELETE FROM ${store.tables.snapshot}`);
          await client.query(`DELETE FROM ${store.tables.journal}`);
          const things = new Map<string, StoredEntity>();
          for (const edits of rounds) {
            // One commit call per round: the group committer's batches hold several writes of a thing.
            const units: EntityWrite[][] = [];
            for (const e of edits) {
              const id = `a:t${e.thing}`;
              const previous = things.get(id);
              const revision = (previous?.revision ?? 0) + 1;
              const base: JsonObject = previous === undefined || previous.deleted ? { thingId: id, policyId: 'a:p' } : previous.data;
              let data: JsonObject = base;
              if (e.kind === 'delete') data = {};
              else if (e.kind === 'replace') data = { thingId: id, policyId: 'a:p', attributes: { r: e.value ?? null } };
              else if (e.kind === 'policy') data = setAt(base, ['policyId'], base['policyId'] === 'a:p' ? 'a:q' : 'a:p');
              else {
                try {
                  data = e.value === undefined ? deleteAt(base, e.path) : setAt(base, e.path, e.value);
                } catch {
                  data = base;
                }
              }
              const next = entity('thing', id, revision, data, e.kind === 'delete');
              units.push([{ ...write(next), ...(e.withPrevious && previous !== undefined ? { previous } : {}) }]);
              things.set(id, next);
            }
            const outcomes = await store.commit(units);
            assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes));
          }
          assert.deepEqual(await storedRows(client, index), rowsOf(things));
          const docs = await client.query(`SELECT thing_id, policy_id FROM ${index.tables.thing} ORDER BY thing_id`);
          const live = [...things.values()].filter((e) => !e.deleted).sort((a, b) => (a.id < b.id ? -1 : 1));
          assert.deepEqual(docs.map((d) => [d['thing_id'], d['policy_id']]), live.map((e) => [e.id, e.data['policyId']]));
        }),
        { numRuns: 60 },
      );
      await index.idle();
    } finally {
      await client.close();
    }
  });

  test('an index not kept while writes went on is rebuilt at the next open', async () => {
    const client = await openPgliteClient();
    try {
      const store = await SqlStore.open(client, { closeClient: false });
      const first = await SqlSearchIndex.open(client, store.tables, 'public');
      const remove = store.addCommitHook(first.hook);
      await store.commit([[write(entity('policy', 'a:p', 1, POLICY))], [write(entity('thing', 'a:1', 1, { thingId: 'a:1', policyId: 'a:p', attributes: { v: 1 } }))]]);
      await first.idle();
      remove();
      await SqlSearchIndex.invalidate(client, store.tables, 'public');
      // Written while the index is off: a change, a deletion and a new thing.
      await store.commit([[write(entity('thing', 'a:1', 2, {}, true))], [write(entity('thing', 'a:2', 1, { thingId: 'a:2', policyId: 'a:p', attributes: { v: 2 } }))]]);
      const second = await SqlSearchIndex.open(client, store.tables, 'public');
      assert.deepEqual(await ids(second, 'exists(attributes/v)'), ['a:2']);
      await second.idle();
    } finally {
      await client.close();
    }
  });
});
