import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openPgliteClient } from '../../src/adapters/pglite/index.ts';
import { SqlSearchIndex, SqlStore } from '../../src/adapters/sql/index.ts';
import type { JsonObject } from '../../src/model/json.ts';
import type { EntityWrite, StoredEntity } from '../../src/ports/store.ts';
import { parseRqlFilter } from '../../src/rql/index.ts';

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
