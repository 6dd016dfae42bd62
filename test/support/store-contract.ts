// The behaviour every Store implementation must show, run against each adapter.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SqlStore } from '../../src/adapters/sql/index.ts';
import type { JsonObject } from '../../src/model/json.ts';
import type { CommitOutcome, EntityType, EntityWrite, StoredEntity, WriteUnit } from '../../src/ports/store.ts';
import { GroupCommitter, RevisionConflictError, StoreUnavailableError } from '../../src/services/persistence/index.ts';
import type { CountingSqlClient } from './counting-sql-client.ts';

export interface StoreFixture {
  readonly store: SqlStore;
  /** The client under `store`, counting transactions and statements. */
  readonly client: CountingSqlClient;
  /** Runs SQL beside the store (to plant inconsistent rows); tables are in `store.tables`. */
  readonly admin: (text: string, params?: readonly unknown[]) => Promise<unknown>;
}

let seq = 0;
/** A fresh entity ID per call, so tests sharing one store never collide. */
export function freshId(prefix = 'org.test'): string {
  seq++;
  return `${prefix}:e${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

export function stamp(revision: number): string {
  return `2024-05-06T07:08:${String(revision % 60).padStart(2, '0')}.${String(revision).padStart(6, '0')}Z`;
}

export function entityAt(type: EntityType, id: string, revision: number, data: JsonObject, deleted = false, created = stamp(1)): StoredEntity {
  return { type, id, revision, created, modified: stamp(revision), deleted, data: deleted ? {} : data };
}

export function write(entity: StoredEntity, expectedRevision = entity.revision - 1): EntityWrite {
  return { entity, expectedRevision, event: { topic: `x/${entity.id}/things/twin/events/modified`, revision: entity.revision, value: entity.data } };
}

function okCount(outcomes: readonly CommitOutcome[]): number {
  return outcomes.filter((o) => o.ok).length;
}

function assertConflict(o: CommitOutcome | undefined): void {
  assert.ok(o !== undefined && !o.ok, 'expected a failed outcome');
  assert.equal(o.conflict, true);
  assert.ok(o.error instanceof RevisionConflictError, `expected RevisionConflictError, got ${String(o.error)}`);
}

/** Registers the contract suite; `open` is called once, the store is closed by the last test. */
export function storeContract(name: string, open: () => Promise<StoreFixture>, options: { readonly skip?: string | undefined } = {}): void {
  void describe(name, { skip: options.skip ?? false }, () => {
    let f: StoreFixture;
    const commit = (...units: WriteUnit[]) => f.store.commit(units);

    before(async () => {
      f = await open();
    });
    after(async () => {
      await f?.store.close();
    });

    void it('loads nothing for unknown entities', async () => {
      assert.equal(await f.store.load('thing', freshId()), undefined);
      assert.deepEqual(await f.store.loadMany('thing', []), []);
      assert.deepEqual(await f.store.loadMany('thing', [freshId(), freshId()]), []);
      assert.deepEqual(await f.store.journal('thing', freshId(), 0, 100), []);
    });

    void it('reads back exactly what was written: key order, unicode, NUL escapes, numbers, timestamps', async () => {
      const id = freshId();
      const data: JsonObject = {
        thingId: id, zebra: 1, alpha: { z: [1, 2.5, -3e-7, null, true, 'x'], a: {} },
        'ké y': 'ünï\u0000cødé 😀 "quoted" \\ back', empty: '', big: 9007199254740991, nested: [[{ b: 1, a: 2 }]],
      };
      const e = entityAt('thing', id, 1, data);
      assert.deepEqual(await commit([write(e, 0)]), [{ ok: true }]);
      const loaded = await f.store.load('thing', id);
      assert.deepEqual(loaded, e);
      assert.equal(JSON.stringify(loaded?.data), JSON.stringify(data), 'key order is kept');
      // The stored text comes along, exactly as written, and a copy of the entity keeps its data.
      assert.equal(loaded?.dataText, JSON.stringify(data));
      assert.deepEqual({ ...loaded }, e);
      const [many] = await f.store.loadMany('thing', [id]);
      assert.equal(many?.dataText, JSON.stringify(data));
      assert.deepEqual((await f.store.scan('thing', id.slice(0, -1), 100)).find((s) => s.id === id)?.dataText, JSON.stringify(data));
      const [entry] = await f.store.journal('thing', id, 1, 1);
      assert.deepEqual(entry, { type: 'thing', id, revision: 1, timestamp: e.modified, event: write(e, 0).event });
    });

    void it('creates, updates, deletes to a tombstone and re-creates with continuing revisions', async () => {
      const id = freshId();
      const v1 = entityAt('thing', id, 1, { attributes: { a: 1 } });
      const v2 = entityAt('thing', id, 2, { attributes: { a: 2 } });
      const v3 = entityAt('thing', id, 3, {}, true);
      const v4 = entityAt('thing', id, 4, { attributes: { again: true } }, false, stamp(4));
      for (const [e, expected] of [[v1, 0], [v2, 1], [v3, 2]] as const) {
        assert.deepEqual(await commit([write(e, expected)]), [{ ok: true }]);
        assert.deepEqual(await f.store.load('thing', id), e);
      }
      const tombstone = await f.store.load('thing', id);
      assert.equal(tombstone?.deleted, true);
      assert.deepEqual(tombstone?.data, {});
      // A re-create must name the tombstone's revision, not 0: revisions continue.
      assertConflict((await commit([write(entityAt('thing', id, 1, { x: 1 }), 0)]))[0]);
      assert.deepEqual(await commit([write(v4, 3)]), [{ ok: true }]);
      assert.deepEqual(await f.store.load('thing', id), v4);
      assert.deepEqual((await f.store.journal('thing', id, 1, 10)).map((j) => j.revision), [1, 2, 3, 4]);
    });

    void it('loadMany returns found entities and tombstones in request order, once each, of the given type only', async () => {
      const [a, b, c, gone] = [freshId(), freshId(), freshId(), freshId()];
      const ea = entityAt('thing', a, 1, { n: 'a' });
      const eb = entityAt('thing', b, 1, { n: 'b' });
      const eGone = entityAt('thing', gone, 2, {}, true);
      const policy = entityAt('policy', c, 1, { entries: {} });
      assert.equal(okCount(await commit([write(ea, 0)], [write(eb, 0)], [write(policy, 0)], [write(entityAt('thing', gone, 1, {}), 0)])), 4);
      assert.equal(okCount(await commit([write(eGone, 1)])), 1);
      const loaded = await f.store.loadMany('thing', [b, freshId(), gone, a, b, c]);
      assert.deepEqual(loaded, [eb, eGone, ea]);
      assert.deepEqual(await f.store.loadMany('policy', [a, c]), [policy]);
    });

    void it('scans one type in ID order, page by page after a key, tombstones included', async () => {
      // IDs under a prefix no other test uses; other tests' entities sort elsewhere and are ignored.
      const prefix = `org.scan${Math.random().toString(36).slice(2, 8)}:`;
      const ids = ['d', 'a', 'c', 'b', 'e'].map((s) => prefix + s);
      const entities = ids.map((id) => entityAt('policy', id, 1, { policyId: id }));
      const thing = entityAt('thing', `${prefix}aa`, 1, {});
      assert.equal(okCount(await commit(...entities.map((e) => [write(e, 0)]), [write(thing, 0)])), 6);
      const gone = entityAt('policy', prefix + 'c', 2, {}, true);
      assert.equal(okCount(await commit([write(gone, 1)])), 1);
      const mine = (page: readonly StoredEntity[]): StoredEntity[] => page.filter((e) => e.id.startsWith(prefix));
      const pages: StoredEntity[][] = [];
      for (let after = prefix; ;) {
        const page = mine(await f.store.scan('policy', after, 2));
        if (page.length === 0) break;
        assert.ok(page.length <= 2);
        pages.push(page);
        after = (page[page.length - 1] as StoredEntity).id;
      }
      assert.deepEqual(pages.flat().map((e) => e.id), ['a', 'b', 'c', 'd', 'e'].map((s) => prefix + s));
      assert.deepEqual(pages.flat()[2], gone);
      assert.deepEqual(pages.flat()[0], entities[1]);
      assert.deepEqual(await f.store.scan('policy', prefix + 'e', 0), []);
      assert.deepEqual(mine(await f.store.scan('thing', prefix, 10)), [thing]);
    });

    void it('reads journal ranges inclusively, oldest first', async () => {
      const id = freshId();
      for (let r = 1; r <= 5; r++) assert.equal(okCount(await commit([write(entityAt('thing', id, r, { r }))])), 1);
      const revs = async (from: number, to: number) => (await f.store.journal('thing', id, from, to)).map((j) => j.revision);
      assert.deepEqual(await revs(0, Number.MAX_SAFE_INTEGER), [1, 2, 3, 4, 5]);
      assert.deepEqual(await revs(2, 3), [2, 3]);
      assert.deepEqual(await revs(4, 100), [4, 5]);
      assert.deepEqual(await revs(6, 10), []);
      assert.deepEqual(await revs(3, 2), []);
      const [third] = await f.store.journal('thing', id, 3, 3);
      assert.deepEqual(third?.event, write(entityAt('thing', id, 3, { r: 3 })).event);
      assert.equal(third?.timestamp, stamp(3));
      assert.deepEqual(await f.store.journal('policy', id, 0, 10), [], 'journals are per entity type');
    });

    void it('refuses writes whose expected revision is not the stored one, leaving state and journal alone', async () => {
      const id = freshId();
      const v1 = entityAt('thing', id, 1, { v: 1 });
      await commit([write(v1, 0)]);
      const outcomes = await commit(
        [write(entityAt('thing', id, 1, { v: 'dup' }), 0)], // create over an existing entity
        [write(entityAt('thing', id, 5, { v: 'stale' }), 4)], // wrong expected revision
        [write(entityAt('thing', freshId(), 3, { v: 'ghost' }), 2)], // update of an absent entity
      );
      for (const o of outcomes) assertConflict(o);
      assert.deepEqual(await f.store.load('thing', id), v1);
      assert.deepEqual((await f.store.journal('thing', id, 0, 10)).map((j) => j.revision), [1]);
    });

    void it('lets exactly one of two writers with the same expected revision win, in one batch', async () => {
      const id = freshId();
      await commit([write(entityAt('thing', id, 1, {}), 0)]);
      const outcomes = await commit([write(entityAt('thing', id, 2, { by: 'A' }), 1)], [write(entityAt('thing', id, 2, { by: 'B' }), 1)]);
      assert.equal(outcomes[0]?.ok, true);
      assertConflict(outcomes[1]);
      assert.deepEqual((await f.store.load('thing', id))?.data, { by: 'A' });
    });

    void it('lets exactly one of many concurrent writers with the same expected revision win', async () => {
      const id = freshId();
      await commit([write(entityAt('thing', id, 1, {}), 0)]);
      const racers = Array.from({ length: 8 }, (_, i) => f.store.commit([[write(entityAt('thing', id, 2, { by: i }), 1)]]));
      const outcomes = (await Promise.all(racers)).flat();
      assert.equal(okCount(outcomes), 1);
      for (const o of outcomes) if (!o.ok) assertConflict(o);
      const winner = outcomes.findIndex((o) => o.ok);
      assert.deepEqual((await f.store.load('thing', id))?.data, { by: winner });
      assert.equal((await f.store.journal('thing', id, 2, 2)).length, 1);
    });

    void it('lets exactly one of many concurrent creators of the same entity win', async () => {
      const id = freshId();
      const racers = Array.from({ length: 8 }, (_, i) => f.store.commit([[write(entityAt('thing', id, 1, { by: i }), 0)]]));
      const outcomes = (await Promise.all(racers)).flat();
      assert.equal(okCount(outcomes), 1);
      for (const o of outcomes) if (!o.ok) assertConflict(o);
    });

    void it('keeps one failing unit from failing the others in its batch', async () => {
      const taken = freshId();
      await commit([write(entityAt('thing', taken, 1, {}), 0)]);
      const fine = [freshId(), freshId(), freshId()];
      const invalid: WriteUnit = [write(entityAt('thing', freshId(), 1, {}), 1)]; // revision does not advance
      const outcomes = await commit(
        [write(entityAt('thing', fine[0] ?? '', 1, { n: 0 }), 0)],
        [write(entityAt('thing', taken, 1, { n: 'x' }), 0)],
        [write(entityAt('thing', fine[1] ?? '', 1, { n: 1 }), 0)],
        invalid,
        [write(entityAt('thing', fine[2] ?? '', 1, { n: 2 }), 0)],
      );
      assert.deepEqual(outcomes.map((o) => o.ok), [true, false, true, false, true]);
      assertConflict(outcomes[1]);
      assert.equal(outcomes[3]?.ok === false && outcomes[3].conflict, false);
      assert.deepEqual((await f.store.loadMany('thing', fine)).map((e) => e.data), [{ n: 0 }, { n: 1 }, { n: 2 }]);
    });

    void it('reports a journal collision as a conflict without failing the rest (the journal key guards too)', async () => {
      const collide = freshId();
      const fine = freshId();
      // A journal row without its snapshot: the snapshot check passes, the journal key must refuse.
      await f.admin(`INSERT INTO ${f.store.tables.journal} (entity_type, entity_id, revision, ts, event) VALUES ('thing', $1, 1, 't', '{}')`, [collide]);
      const outcomes = await commit([write(entityAt('thing', collide, 1, {}), 0)], [write(entityAt('thing', fine, 1, {}), 0)]);
      assertConflict(outcomes[0]);
      assert.deepEqual(outcomes[1], { ok: true });
      assert.equal(await f.store.load('thing', collide), undefined);
      assert.equal((await f.store.load('thing', fine))?.revision, 1);
    });

    void it('commits a multi-entity unit atomically: both or neither', async () => {
      const id = freshId();
      const existingPolicy = freshId();
      await commit([write(entityAt('policy', existingPolicy, 1, {}), 0)]);
      const bad: WriteUnit = [write(entityAt('thing', id, 1, { policyId: existingPolicy }), 0), write(entityAt('policy', existingPolicy, 1, { mine: true }), 0)];
      const other = freshId();
      const good: WriteUnit = [write(entityAt('thing', other, 1, { policyId: other }), 0), write(entityAt('policy', other, 1, { mine: true }), 0)];
      const outcomes = await commit(bad, good);
      assertConflict(outcomes[0]);
      assert.deepEqual(outcomes[1], { ok: true });
      assert.equal(await f.store.load('thing', id), undefined, 'the thing of the failed unit is not written');
      assert.deepEqual((await f.store.load('policy', existingPolicy))?.data, {});
      assert.deepEqual((await f.store.load('thing', other))?.data, { policyId: other });
      assert.deepEqual((await f.store.load('policy', other))?.data, { mine: true });
    });

    void it('applies several writes of one entity in a batch in order, in one transaction', async () => {
      const id = freshId();
      f.client.reset();
      const outcomes = await commit([write(entityAt('thing', id, 1, { r: 1 }), 0)], [write(entityAt('thing', id, 2, { r: 2 }), 1)], [write(entityAt('thing', id, 3, { r: 3 }), 2)]);
      assert.equal(okCount(outcomes), 3);
      assert.equal(f.client.transactions, 1);
      assert.deepEqual((await f.store.load('thing', id))?.data, { r: 3 });
    });

    void it('commits a batch of one write per entity as one statement, whatever its size', async () => {
      const units = (n: number) => Array.from({ length: n }, (): WriteUnit => [write(entityAt('thing', freshId(), 1, { n }), 0)]);
      f.client.reset();
      assert.equal(okCount(await f.store.commit(units(1))), 1);
      assert.deepEqual([f.client.transactions, f.client.statements], [0, 1], 'no BEGIN and COMMIT of its own');
      f.client.reset();
      assert.equal(okCount(await f.store.commit(units(200))), 200);
      assert.deepEqual([f.client.transactions, f.client.statements], [0, 1]);
    });

    void it('commits a batch that needs several rounds in one transaction with a constant number of statements', async () => {
      const batch = (n: number) => Array.from({ length: n }, (): WriteUnit => {
        const id = freshId();
        return [write(entityAt('thing', id, 1, { n }), 0), write(entityAt('thing', id, 2, { n }), 1)];
      });
      f.client.reset();
      assert.equal(okCount(await f.store.commit(batch(1))), 1);
      const singleStatements = f.client.statements;
      f.client.reset();
      assert.equal(okCount(await f.store.commit(batch(100))), 100);
      assert.equal(f.client.transactions, 1);
      assert.equal(f.client.statements, singleStatements, 'statements per batch do not grow with its size');
    });

    void it('an inlinable hook joins the single statement; a conflict there rolls the whole statement back', async () => {
      const marks = `${f.store.tables.schema}.contract_hook_marks`;
      await f.admin(`CREATE TABLE IF NOT EXISTS ${marks} (entity_id text NOT NULL)`);
      const remove = f.store.addCommitHook({
        run: async (tx, writes) => {
          await tx.query(`INSERT INTO ${marks} SELECT unnest($1::text[])`, [writes.map((w) => w.entity.id)]);
        },
        inline: (writes, first) => ({
          ctes: [`hook_marks AS (INSERT INTO ${marks} SELECT unnest($${first}::text[]))`],
          params: [writes.map((w) => w.entity.id)],
        }),
      });
      const marked = async (ids: readonly string[]): Promise<string[]> =>
        ((await f.admin(`SELECT entity_id FROM ${marks} WHERE entity_id = ANY($1::text[]) ORDER BY entity_id`, [ids])) as { entity_id: string }[]).map((r) => r.entity_id);
      try {
        const a = freshId();
        const b = freshId();
        f.client.reset();
        assert.equal(okCount(await commit([write(entityAt('thing', a, 1, {}), 0)], [write(entityAt('thing', b, 1, {}), 0)])), 2);
        assert.deepEqual([f.client.transactions, f.client.statements], [0, 1]);
        assert.deepEqual(await marked([a, b]), [a, b].sort());
        // `a` is at revision 1, so expecting 0 loses the race: the single statement must leave no
        // trace, and the transactions that follow commit `c` alone, with its mark written once.
        const c = freshId();
        const outcomes = await commit([write(entityAt('thing', a, 1, { again: true }), 0)], [write(entityAt('thing', c, 1, {}), 0)]);
        assertConflict(outcomes[0]);
        assert.deepEqual(outcomes[1], { ok: true });
        assert.deepEqual((await f.store.load('thing', a))?.data, {});
        assert.deepEqual(await marked([a, c]), [a, c].sort());
        assert.deepEqual((await f.store.journal('thing', c, 0, 9)).map((j) => j.revision), [1]);
      } finally {
        remove();
      }
    });

    void it('runs commit hooks inside the transaction with the applied writes; a failing hook fails only its unit', async () => {
      const seen: string[] = [];
      const poison = freshId();
      const remove = f.store.addCommitHook(async (tx, writes) => {
        const [row] = await tx.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${f.store.tables.snapshot} WHERE entity_id = $1`, [writes[0]?.entity.id ?? '']);
        assert.equal(Number(row?.n), 1, 'the hook sees the snapshot written in its transaction');
        for (const w of writes) {
          if (w.entity.id === poison) throw new Error('index refused');
          seen.push(w.entity.id);
        }
      });
      try {
        const ok = freshId();
        const outcomes = await commit([write(entityAt('thing', ok, 1, {}), 0)], [write(entityAt('thing', poison, 1, {}), 0)]);
        assert.deepEqual(outcomes[0], { ok: true });
        assert.ok(outcomes[1]?.ok === false && !outcomes[1].conflict && /index refused/.test(outcomes[1].error.message));
        assert.equal(await f.store.load('thing', poison), undefined);
        assert.ok(seen.includes(ok));
      } finally {
        remove();
      }
    });

    void it('group commit: many concurrent submits share few transactions', async () => {
      const gc = new GroupCommitter(f.store);
      f.client.reset();
      const ids = Array.from({ length: 600 }, () => freshId());
      await Promise.all(ids.map((id) => gc.submit([write(entityAt('thing', id, 1, { id }), 0)])));
      assert.ok(f.client.transactions <= 6, `600 submits took ${f.client.transactions} transactions`);
      assert.equal((await f.store.loadMany('thing', ids)).length, 600);
      // 32 writers, each updating its own entity 10 times in a row.
      f.client.reset();
      const writers = ids.slice(0, 32);
      await Promise.all(writers.map(async (id) => {
        for (let r = 2; r <= 11; r++) await gc.submit([write(entityAt('thing', id, r, { r }), r - 1)]);
      }));
      assert.ok(f.client.transactions <= 40, `320 sequential-per-writer submits took ${f.client.transactions} transactions`);
      assert.deepEqual(new Set((await f.store.loadMany('thing', writers)).map((e) => e.revision)), new Set([11]));
      await gc.close();
    });

    void it('group commit with two batches in flight: every write applied, each entity in order, statements and transactions interleaved', async () => {
      const gc = new GroupCommitter(f.store, { maxInFlight: 2 });
      f.client.reset();
      const writers = Array.from({ length: 16 }, () => freshId());
      const pairs = Array.from({ length: 8 }, () => freshId());
      await Promise.all([
        // One entity per writer, each write after the last: batches of one write per entity.
        ...writers.map(async (id) => {
          for (let r = 1; r <= 10; r++) await gc.submit([write(entityAt('thing', id, r, { r }), r - 1)]);
        }),
        // Two writes of one entity submitted together share a batch or wait for each other; a
        // batch with both takes the transaction path.
        ...pairs.map(async (id) => {
          for (let r = 1; r <= 9; r += 2) {
            await Promise.all([gc.submit([write(entityAt('thing', id, r, { r }), r - 1)]), gc.submit([write(entityAt('thing', id, r + 1, { r: r + 1 }), r)])]);
          }
        }),
      ]);
      await gc.close();
      assert.ok(f.client.transactions > 0, 'some batch took the transaction path');
      for (const e of await f.store.loadMany('thing', [...writers, ...pairs])) {
        assert.equal(e.revision, 10, e.id);
        assert.deepEqual(e.data, { r: 10 });
        assert.deepEqual((await f.store.journal('thing', e.id, 1, 10)).map((j) => j.revision), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      }
    });

    void it('group commit: a conflicting unit rejects its own submit only', async () => {
      const gc = new GroupCommitter(f.store);
      const id = freshId();
      await gc.submit([write(entityAt('thing', id, 1, {}), 0)]);
      const results = await Promise.allSettled([
        gc.submit([write(entityAt('thing', id, 1, {}), 0)]),
        gc.submit([write(entityAt('thing', freshId(), 1, {}), 0)]),
      ]);
      assert.equal(results[0]?.status === 'rejected' && results[0].reason instanceof RevisionConflictError, true);
      assert.equal(results[1]?.status, 'fulfilled');
      await gc.close();
    });

    void it('group commit: close() commits everything already submitted', async () => {
      const gc = new GroupCommitter(f.store, { maxBatchSize: 16 });
      const ids = Array.from({ length: 100 }, () => freshId());
      const submitted = ids.map((id) => gc.submit([write(entityAt('thing', id, 1, {}), 0)]));
      await gc.close();
      assert.equal((await f.store.loadMany('thing', ids)).length, 100, 'all committed when close() resolves');
      await Promise.all(submitted);
    });

    void it('opening a store again finds its schema marked up to date: one statement; another mark runs the DDL again', async () => {
      const schema = `doppel_mark_${Math.random().toString(36).slice(2, 10)}`;
      const open = async (): Promise<[number, number]> => {
        f.client.reset();
        const s = await SqlStore.open(f.client, { schema, closeClient: false });
        await s.close();
        return [f.client.transactions, f.client.statements];
      };
      try {
        const [created] = await open();
        assert.equal(created, 1, 'a new schema is made in one transaction');
        assert.deepEqual(await open(), [0, 1]);
        // A mark that other statements left (an older Doppel): they run again, and the mark is renewed.
        await f.admin(`COMMENT ON TABLE "${schema}".doppel_journal IS 'doppel-schema 0123'`);
        await f.admin(`DROP FUNCTION "${schema}".doppel_check_applied(bigint, bigint)`);
        assert.equal((await open())[0], 1);
        const [fn] = (await f.admin(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'doppel_check_applied' AND pronamespace = $1::regnamespace`, [schema])) as { n: number }[];
        assert.equal(fn?.n, 1, 'the function is back');
        assert.deepEqual(await open(), [0, 1]);
      } finally {
        await f.admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });

    void it('reports a store that has gone away as unavailable (last: closes the store)', async () => {
      await f.store.ping();
      await f.store.close();
      await f.store.close();
      await assert.rejects(f.store.ping(), StoreUnavailableError);
      const outcomes = await commit([write(entityAt('thing', freshId(), 1, {}), 0)], [write(entityAt('thing', freshId(), 1, {}), 0)]);
      for (const o of outcomes) assert.ok(!o.ok && !o.conflict && o.error instanceof StoreUnavailableError, String(!o.ok && o.error));
    });
  });
}
