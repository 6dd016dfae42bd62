import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import { BatchStatements, literals } from './batch-statements.ts';

void describe('PGlite batch statements', () => {
  let db: PGlite;
  before(async () => {
    db = await PGlite.create();
    await db.exec('SET standard_conforming_strings = on');
  });
  after(() => db.close());

  const generic = async (name: string, args: string): Promise<string> => {
    const results = await db.exec(`SET plan_cache_mode = force_generic_plan; EXPLAIN EXECUTE ${name}(${args}); RESET plan_cache_mode`);
    return (results[1]?.rows ?? []).map((r) => String(Object.values(r as object)[0])).join('\n');
  };

  void it('passes every value as the bound parameter would (quotes, backslashes, array syntax, nulls, numbers)', async () => {
    const batches = new BatchStatements((e) => e);
    const text = 'SELECT $1::text AS s, $2::text[] AS a, $3::bigint AS i, $4::float8 AS f, $5::boolean AS b, $6::text AS n, $7::json AS j';
    const text0 = fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000'));
    const tricky = fc.constantFrom(`it's`, 'a\\b', '\\', `'; DROP TABLE x; --`, '{"k":"v\\""}', '', 'NULL', '"', '{a,b}', 'ß€😀', "''");
    const value = fc.oneof(text0, tricky);
    await fc.assert(
      fc.asyncProperty(value, fc.array(value, { maxLength: 6 }), fc.integer({ min: -1e9, max: 1e9 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), value, async (s, a, i, f, b, js) => {
        const params = [s, a, i, f, b, null, JSON.stringify({ js })];
        const expected = (await db.query(text, params)).rows;
        assert.deepEqual(await batches.run(db, text, params), expected);
      }),
      { numRuns: 150 },
    );
    const [mode] = (await db.query<{ m: string }>(`SELECT current_setting('plan_cache_mode') AS m`)).rows;
    assert.equal(mode?.m, 'auto', 'the generic plan is forced around each EXECUTE only');
  });

  void it('prepares a statement once and runs it with a generic plan', async () => {
    const batches = new BatchStatements((e) => e);
    const text = `SELECT $1::int + 1 AS x /* once */`;
    for (let k = 1; k <= 5; k++) assert.deepEqual(await batches.run(db, text, [k]), [{ x: k + 1 }]);
    const rows = (await db.query<{ n: number; g: number; c: number }>(
      `SELECT count(*)::int AS n, sum(generic_plans)::int AS g, sum(custom_plans)::int AS c FROM pg_prepared_statements WHERE statement LIKE '%/* once */%'`,
    )).rows;
    assert.deepEqual(rows, [{ n: 1, g: 5, c: 0 }]);
  });

  void it('makes its plan again as the table grows, so a plan made on an empty table does not stay', async () => {
    await db.exec('CREATE TABLE grows (id text PRIMARY KEY, v int)');
    const batches = new BatchStatements((e) => e);
    const text = 'SELECT g.v FROM json_to_recordset($1::text::json) r(id text) JOIN grows g USING (id)';
    await batches.run(db, text, ['[{"id":"a"}]']);
    const name = (await db.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE statement LIKE '%JOIN grows%'`)).rows[0]?.name ?? '';
    assert.match(await generic(name, `'[]'`), /Seq Scan on grows/, 'a small table is scanned');
    await db.exec(`INSERT INTO grows SELECT 'k' || g, g FROM generate_series(1, 50000) g`);
    assert.match(await generic(name, `'[]'`), /Seq Scan on grows/, 'the cached plan outlives the growth');
    assert.deepEqual(await batches.run(db, text, ['[{"id":"k7"}]']), [{ v: 7 }]);
    assert.match(await generic(name, `'[]'`), /Index Scan using grows_pkey/, 'the second execution planned anew');
  });

  void it('runs the statement unprepared when a value has no literal form', async () => {
    assert.equal(literals([{ object: true }]), undefined);
    assert.equal(literals([Number.NaN]), undefined);
    assert.equal(literals(['a\u0000b']), undefined);
    assert.equal(literals([['x', null], null, 3]), `'{"x",NULL}', NULL, '3'`);
    const batches = new BatchStatements((e) => e);
    await assert.rejects(batches.run(db, 'SELECT $1::text AS t', ['a\u0000b']), /invalid byte sequence|0x00/);
  });

  void it('reports errors, and prepares again after a failed PREPARE', async () => {
    const batches = new BatchStatements((e) => new Error(`mapped: ${e instanceof Error ? e.message : String(e)}`));
    await assert.rejects(batches.run(db, 'SELECT $1::int / 0 AS x', [1]), /^Error: mapped: division by zero/);
    await assert.rejects(batches.run(db, 'SELECT FROM nowhere_yet WHERE $1::int = 1', [1]), /mapped: relation "nowhere_yet" does not exist/);
    await db.exec('CREATE TABLE nowhere_yet (x int)');
    assert.deepEqual(await batches.run(db, 'SELECT FROM nowhere_yet WHERE $1::int = 1', [1]), []);
  });
});
