import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../adapters/memory-bus/index.ts';
import type { BusMessage } from '../../ports/bus.ts';
import type { CommitOutcome, EntityType, JournalEntry, Store, StoredEntity, WriteUnit } from '../../ports/store.ts';
import type { ExpiredSubject } from '../../policy/index.ts';
import { policyCommand } from '../../signals/index.ts';
import { PoliciesService } from './policies-service.ts';
import { ExpiryTimers } from './subject-expiry.ts';

/** The smallest store that keeps snapshots and a journal in memory. */
class MemoryStore implements Store {
  readonly snapshots = new Map<string, StoredEntity>();
  readonly events: JournalEntry[] = [];
  failLoads = false;
  failScans = 0;
  load(type: EntityType, id: string): Promise<StoredEntity | undefined> {
    if (this.failLoads) return Promise.reject(new Error('down'));
    return Promise.resolve(this.snapshots.get(`${type}/${id}`));
  }
  loadMany(): Promise<StoredEntity[]> {
    return Promise.resolve([]);
  }
  scan(type: EntityType, afterId: string, limit: number): Promise<StoredEntity[]> {
    if (this.failScans > 0 && this.failScans-- > 0) return Promise.reject(new Error('down'));
    const all = [...this.snapshots.values()].filter((e) => e.type === type && e.id > afterId).sort((a, b) => (a.id < b.id ? -1 : 1));
    return Promise.resolve(all.slice(0, limit));
  }
  commit(units: readonly WriteUnit[]): Promise<CommitOutcome[]> {
    for (const unit of units) {
      for (const w of unit) {
        this.snapshots.set(`${w.entity.type}/${w.entity.id}`, w.entity);
        this.events.push({ type: w.entity.type, id: w.entity.id, revision: w.entity.revision, timestamp: w.entity.modified, event: w.event });
      }
    }
    return Promise.resolve(units.map(() => ({ ok: true }) as const));
  }
  journal(): Promise<JournalEntry[]> {
    return Promise.resolve(this.events);
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(clock: { t: number }) {
  const store = new MemoryStore();
  const bus = new MemoryBus();
  const published: BusMessage[] = [];
  bus.subscribe('policies.events.>', (m) => published.push(m));
  const expired: [string, readonly ExpiredSubject[]][] = [];
  const service = new PoliciesService({ store, bus, committer: { submit: async (u) => void (await store.commit([u])) } }, {
    cacheMaxPolicies: 10, now: () => new Date(clock.t), defaultNamespace: 'd', maxPolicyBytes: 100_000, maxQueuedPerPolicy: 10,
    subjectExpiryGranularityMs: 1000, onSubjectsExpired: (id, s) => expired.push([id, s]),
  });
  return { store, published, expired, service };
}

const RW = { grant: ['READ', 'WRITE'], revoke: [] };

void test('a sweep removes expired subjects with one event and calls the announcement hook', async () => {
  const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
  const { store, published, expired, service } = setup(clock);
  const cmd = policyCommand({
    action: 'modify', policyId: 'a:p', path: [], headers: {}, auth: { subjects: ['x:admin'] },
    value: { entries: { A: { subjects: { 'x:admin': { type: 't' }, 'x:temp': { type: 't', expiry: '2030-01-01T00:00:05.5Z' } }, resources: { 'policy:/': RW } } } },
  });
  assert.ok(cmd !== undefined);
  const created = await service.handleCommand(cmd);
  assert.equal(created.status, 201);
  // Rounded up to the next full second.
  assert.equal((created.value as { entries: { A: { subjects: Record<string, { expiry?: string }> } } }).entries.A.subjects['x:temp']?.expiry, '2030-01-01T00:00:06Z');
  const handle = await service.handle('a:p', 'a');
  assert.equal(handle?.enforcer.hasPartial('policy', [], ['x:temp'], ['READ']), true);
  clock.t = Date.parse('2030-01-01T00:00:06.001Z');
  // The enforcer drops the subject at once, before any sweep.
  assert.equal((await service.handle('a:p', 'a'))?.enforcer.hasPartial('policy', [], ['x:temp'], ['READ']), false);
  await service.sweep('a:p');
  assert.deepEqual(expired, [['a:p', [{ label: 'A', subjectId: 'x:temp' }]]]);
  assert.deepEqual(store.events.map((e) => e.event['type']), ['policies.events:policyCreated', 'policies.events:subjectDeleted']);
  assert.deepEqual(published.map((m) => m.subject), ['policies.events.created.a', 'policies.events.deleted.a']);
  assert.deepEqual(Object.keys((await service.policy('a:p'))?.entries['A']?.subjects ?? {}), ['x:admin']);
  service.close();
});

void test('a store that fails makes policies unavailable, never absent', async () => {
  const { store, service } = setup({ t: 0 });
  store.failLoads = true;
  await assert.rejects(service.handle('a:p', 'a'), (e: unknown) => (e as { error?: string }).error === 'policies:policy.unavailable');
  service.close();
});

void test('expiry timers fire once per policy, re-arm on change and stop on close', async () => {
  const fired: string[] = [];
  const timers = new ExpiryTimers(() => new Date(), (id) => fired.push(id));
  timers.schedule('a:p', Date.now() + 20);
  timers.schedule('a:p', Date.now() + 30);
  timers.schedule('b:p', Date.now() + 10_000);
  timers.schedule('b:p', undefined);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(fired, ['a:p']);
  timers.schedule('c:p', Date.now() + 10);
  timers.close();
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(fired, ['a:p']);
  assert.equal(timers.size, 0);
});

void test('scheduleStored plans the sweep of stored policies nobody loads, page by page, retrying a failed page', async () => {
  const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
  // A service that has loaded nothing yet, as after a restart.
  const { store, expired, service } = setup(clock);
  const stored = (id: string, subjects: Record<string, unknown>, deleted = false): void => {
    const data = deleted ? {} : { policyId: id, entries: { A: { subjects: { 'x:admin': { type: 't' }, ...subjects }, resources: { 'policy:/': RW } } } };
    store.snapshots.set(`policy/${id}`, { type: 'policy', id, revision: 1, created: 't', modified: 't', deleted, data });
  };
  // Written by an earlier process: one expired while it was down, one expires later, one never.
  stored('a:expired', { 'x:gone': { type: 't', expiry: '2029-12-31T23:59:59Z' } });
  stored('b:later', { 'x:later': { type: 't', expiry: '2030-01-01T01:00:00Z' } });
  stored('c:plain', {});
  stored('d:deleted', {}, true);
  store.failScans = 1;
  assert.equal(await service.scheduleStored({ pageSize: 1, retryMs: 1 }), 2);
  for (let i = 0; i < 50 && expired.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(expired, [['a:expired', [{ label: 'A', subjectId: 'x:gone' }]]]);
  assert.deepEqual(store.events.map((e) => [e.id, e.event['type']]), [['a:expired', 'policies.events:subjectDeleted']]);
  service.close();
  assert.equal(await service.scheduleStored(), 0, 'a closed service plans nothing');
});
