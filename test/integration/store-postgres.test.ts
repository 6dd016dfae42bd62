import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgresClient } from '../../src/adapters/postgres/index.ts';
import { BATCH_WRITE, CUSTOM_PLAN, SqlStore } from '../../src/adapters/sql/index.ts';
import { StoreUnavailableError } from '../../src/services/persistence/index.ts';
import { CountingSqlClient } from '../support/counting-sql-client.ts';
import { createPostgresSchema, postgresForTests, withPostgresSchema, type TestSchema } from '../support/postgres.ts';
import { entityAt, freshId, storeContract, write, type StoreFixture } from '../support/store-contract.ts';

const pg = await postgresForTests();
const schemas: TestSchema[] = [];
after(async () => {
  for (const s of schemas) await s.drop();
});

async function fixture(): Promise<StoreFixture> {
  const s = await createPostgresSchema(pg.url);
  schemas.push(s);
  const client = new CountingSqlClient(await openPostgresClient({ url: s.url, schema: s.schema, maxConnections: 8 }));
  const store = await SqlStore.open(client, { schema: s.schema });
  return { store, client, admin: (text, params) => client.inner.query(text, params) };
}

storeContract('SqlStore on PostgreSQL', fixture, { skip: pg.skip });

void describe('PostgreSQL adapter', { skip: pg.skip ?? false }, () => {
  void it('keeps two processes (two pools) on one schema consistent: one winner per revision', async () => {
    await withPostgresSchema(async (s) => {
      const a = await SqlStore.open(await openPostgresClient({ url: s.url, schema: s.schema }), { schema: s.schema });
      const b = await SqlStore.open(await openPostgresClient({ url: s.url, schema: s.schema }), { schema: s.schema });
      try {
        const id = freshId();
        await a.commit([[write(entityAt('thing', id, 1, {}), 0)]]);
        const outcomes = (await Promise.all([
          a.commit([[write(entityAt('thing', id, 2, { by: 'a' }), 1)]]),
          b.commit([[write(entityAt('thing', id, 2, { by: 'b' }), 1)]]),
        ])).flat();
        assert.equal(outcomes.filter((o) => o.ok).length, 1);
        assert.equal((await b.load('thing', id))?.revision, 2);
      } finally {
        await a.close();
        await b.close();
      }
    }, pg.url);
  });

  void it('runs batch writes prepared on their own session with a generic plan, which an ANALYZE of the growing snapshot table renews', async () => {
    await withPostgresSchema(async (s) => {
      // One connection per pool, so that pg_prepared_statements (per session) shows what each prepared.
      const client = await openPostgresClient({ url: s.url, schema: s.schema, maxConnections: 1, writeConnections: 1 });
      const store = await SqlStore.open(client, { schema: s.schema });
      try {
        const ids = Array.from({ length: 4 }, () => freshId());
        for (let r = 1; r <= 8; r++) {
          const outcomes = await store.commit(ids.map((id) => [write(entityAt('thing', id, r, { r }), r - 1)]));
          assert.ok(outcomes.every((o) => o.ok));
        }
        assert.equal((await store.load('thing', ids[0] ?? ''))?.revision, 8, 'reads are still prepared and work');
        const listing = 'SELECT statement, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements';
        type Prepared = { statement: string; generic: number; custom: number };
        const isWrite = (p: Prepared): boolean => /doppel_snapshot/.test(p.statement) && /json_to_recordset/.test(p.statement);
        const reads = await client.query<Prepared>(listing);
        assert.ok(reads.length > 0, 'the read session prepares its statements');
        assert.deepEqual(reads.filter(isWrite), [], 'batch writes do not run on the read session');
        const writes = (await client.query<Prepared>(listing, [], BATCH_WRITE)).filter(isWrite);
        assert.equal(writes.length, 1, 'the batch write is prepared once on the write session');
        assert.deepEqual([writes[0]?.generic, writes[0]?.custom], [8, 0], 'and run with the generic plan by each of the 8 batches');
        const [mode] = await client.query<{ mode: string }>(`SELECT current_setting('plan_cache_mode') AS mode`, [], BATCH_WRITE);
        assert.equal(mode?.mode, 'force_generic_plan');
        const analyzed = async (): Promise<number> =>
          Number((await client.query(`SELECT analyze_count FROM pg_stat_user_tables WHERE relid = $1::regclass`, [store.tables.snapshot]))[0]?.['analyze_count'] ?? 0);
        assert.equal(await analyzed(), 0);
        const many = Array.from({ length: 1_000 }, () => [write(entityAt('thing', freshId(), 1, {}), 0)]);
        assert.ok((await store.commit(many)).every((o) => o.ok));
        let count = 0;
        for (let i = 0; i < 100 && count === 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          count = await analyzed();
        }
        assert.equal(count, 1, 'the store analyzed the snapshot table after 1,000 creations');
        for (const options of [undefined, BATCH_WRITE]) {
          const [cost] = await client.query<{ v: string }>(`SELECT current_setting('random_page_cost') AS v`, [], options);
          assert.equal(cost?.v, '1.1', "both pools run with Doppel's planner settings");
        }
      } finally {
        await store.close();
      }
    }, pg.url);
  });

  void it('plans a custom-plan statement for its values every time it runs, on a session of its own', async () => {
    await withPostgresSchema(async (s) => {
      // One connection per pool, so that pg_prepared_statements (per session) shows what each prepared.
      const client = await openPostgresClient({ url: s.url, schema: s.schema, maxConnections: 1, writeConnections: 1 });
      try {
        const searchLike = 'SELECT $1::int + 1 AS v';
        const ordinary = 'SELECT $1::int + 2 AS v';
        for (let i = 0; i < 7; i++) {
          assert.equal((await client.query<{ v: number }>(searchLike, [i], CUSTOM_PLAN))[0]?.v, i + 1);
          assert.equal((await client.query<{ v: number }>(ordinary, [i]))[0]?.v, i + 2);
        }
        const listing = 'SELECT statement, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE statement LIKE $1';
        type Prepared = { statement: string; generic: number; custom: number };
        const searched = await client.query<Prepared>(listing, ['SELECT $1::int + %'], CUSTOM_PLAN);
        assert.deepEqual(searched.map((p) => [p.statement, p.generic, p.custom]), [[searchLike, 0, 7]], 'prepared once, planned for each run');
        const ordinaries = await client.query<Prepared>(listing, ['SELECT $1::int + %']);
        assert.deepEqual(ordinaries.map((p) => p.statement), [ordinary], 'the other statements run on another session');
        assert.ok((ordinaries[0]?.generic ?? 0) > 0, 'where PostgreSQL goes over to a generic plan');
      } finally {
        await client.close();
      }
    }, pg.url);
  });

  void it('creates the schema when missing, with unqualified names resolving into it', async () => {
    await withPostgresSchema(async (s) => {
      const client = await openPostgresClient({ url: s.url, schema: s.schema });
      const store = await SqlStore.open(client, { schema: s.schema });
      try {
        await store.commit([[write(entityAt('thing', 'org.test:x', 1, {}), 0)]]);
        const rows = await client.query('SELECT count(*)::int AS n FROM doppel_snapshot');
        assert.equal(rows[0]?.['n'], 1);
        await SqlStore.open(client, { schema: s.schema }); // idempotent
      } finally {
        await store.close();
      }
    }, pg.url);
  });

  void it('fails fast with a clear error when the server is unreachable, never leaking the password', async () => {
    const started = Date.now();
    await assert.rejects(
      openPostgresClient({ url: 'postgres://doppel:s3cret@127.0.0.1:1/nowhere', connectTimeoutSeconds: 2 }),
      (e: unknown) => {
        assert.ok(e instanceof StoreUnavailableError);
        assert.match(e.message, /^PostgreSQL at 127\.0\.0\.1:1 database nowhere is unreachable/);
        assert.doesNotMatch(e.message, /s3cret/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
  });
});
