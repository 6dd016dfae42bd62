import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../../model/json.ts';
import type { CommitOutcome, EntityType, JournalEntry, Store, StoredEntity, WriteUnit } from '../../ports/store.ts';
import fc from 'fast-check';
import { PolicyEnforcers, withoutLeadingId } from './policy-enforcers.ts';

/** Loads from a fixed set of policy snapshots; nothing else is used here. */
class FixedStore implements Store {
  readonly snapshots = new Map<string, StoredEntity>();
  loads = 0;
  load(type: EntityType, id: string): Promise<StoredEntity | undefined> {
    this.loads++;
    return Promise.resolve(this.snapshots.get(`${type}/${id}`));
  }
  loadMany(): Promise<StoredEntity[]> {
    return Promise.resolve([]);
  }
  scan(): Promise<StoredEntity[]> {
    return Promise.resolve([]);
  }
  commit(units: readonly WriteUnit[]): Promise<CommitOutcome[]> {
    return Promise.resolve(units.map(() => ({ ok: true }) as const));
  }
  journal(): Promise<JournalEntry[]> {
    return Promise.resolve([]);
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  put(data: JsonObject, id: string, revision = 1): StoredEntity {
    const e: StoredEntity = { type: 'policy', id, revision, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', deleted: false, data };
    this.snapshots.set(`policy/${id}`, e);
    return e;
  }
}

const entries = (subject: string): JsonObject => ({
  DEFAULT: {
    subjects: { [subject]: { type: 'generated' } },
    resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } },
  },
});

test('a policy text without its leading ID is the text of the policy without it, for any ID and content', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), (id, rest) => {
      const { policyId: _ignored, ...others } = rest;
      const policy = { policyId: id, ...others };
      // Keys that are array indices come first in any object, so policyId does not always lead.
      const leads = Object.keys(policy)[0] === 'policyId';
      const text = JSON.stringify(policy);
      assert.equal(withoutLeadingId(text, id), leads ? JSON.stringify(others) : undefined);
      assert.equal(withoutLeadingId(text, `${id}x`), undefined, 'another ID');
      const last = { ...others, policyId: id };
      assert.equal(withoutLeadingId(JSON.stringify(last), id), Object.keys(last)[0] === 'policyId' ? JSON.stringify(others) : undefined);
    }),
  );
});

function enforcers(store: Store): PolicyEnforcers {
  return new PolicyEnforcers(store, { cacheMaxPolicies: 100, now: () => new Date('2026-06-01T00:00:00Z') });
}

test('a cached policy gives back its JSON exactly, whether or not its policyId leads and matches its ID', async () => {
  const store = new FixedStore();
  const shapes: [string, JsonObject][] = [
    ['ns:a', { policyId: 'ns:a', entries: entries('user:a') }],
    ['ns:b', { policyId: 'ns:b', entries: entries('user:a') }],
    ['ns:c', { entries: entries('user:c'), policyId: 'ns:c' }],
    ['ns:d', { policyId: 'ns:other', entries: entries('user:d') }],
    ['ns:e', { entries: entries('user:e') }],
    ['ns:f', { policyId: 'ns:f', imports: {}, entries: entries('user:f') }],
  ];
  // As a store loads them, with their text: one that leads with its own ID is kept without parsing.
  for (const [id, data] of shapes) {
    const e = store.put(data, id);
    const leads = Object.keys(data)[0] === 'policyId' && data['policyId'] === id;
    const loaded = { ...e, dataText: JSON.stringify(data) };
    if (leads) Object.defineProperty(loaded, 'data', { get: () => assert.fail('parsed') });
    store.snapshots.set(`policy/${id}`, loaded);
  }
  const cache = enforcers(store);
  for (const [id, data] of shapes) {
    const e = await cache.get(id);
    assert.ok(e !== undefined);
    assert.equal(JSON.stringify(e.data), JSON.stringify(data), id);
    // Parsed anew each time: a caller changing its copy changes nothing cached.
    (e.data as Record<string, unknown>)['policyId'] = 'changed';
    assert.equal(JSON.stringify(e.data), JSON.stringify(data), id);
  }
});

test('a policy compiled for two namespaces keeps both compilations until its revision changes', async () => {
  const store = new FixedStore();
  store.put({ policyId: 'ns:p', entries: entries('user:a') }, 'ns:p');
  const cache = enforcers(store);
  const a1 = await cache.handle('ns:p', 'ns');
  const b1 = await cache.handle('ns:p', 'other');
  const a2 = await cache.handle('ns:p', 'ns');
  const b2 = await cache.handle('ns:p', 'other');
  assert.ok(a1 !== undefined && b1 !== undefined);
  // A compilation that is just its enforcer is handed out in a new handle each time.
  assert.equal(a2?.enforcer, a1.enforcer);
  assert.equal(a2?.entity, a1.entity);
  assert.equal(b2, b1);
  assert.notEqual(a1.enforcer, b1.enforcer);
  assert.equal(store.loads, 1);
  assert.ok(a1.enforcer.hasUnrestricted('thing', [], ['user:a'], ['WRITE']));

  // A committed revision replaces the compilation, for every namespace.
  cache.committed({ type: 'policy', id: a1.entity.id, created: a1.entity.created, modified: a1.entity.modified, deleted: false, revision: 2, data: { policyId: 'ns:p', entries: entries('user:b') } });
  const a3 = await cache.handle('ns:p', 'ns');
  const b3 = await cache.handle('ns:p', 'other');
  assert.ok(a3 !== undefined && b3 !== undefined);
  assert.notEqual(a3.enforcer, a1.enforcer);
  assert.notEqual(b3.enforcer, b1.enforcer);
  assert.equal(a3.entity.revision, 2);
  assert.equal(b3.entity.revision, 2);
  assert.ok(a3.enforcer.hasUnrestricted('thing', [], ['user:b'], ['WRITE']));
  assert.ok(!b3.enforcer.hasUnrestricted('thing', [], ['user:a'], ['WRITE']));
  assert.deepEqual(a3.policy.entries, entries('user:b'));
});
