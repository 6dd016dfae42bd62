import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../../model/errors/index.ts';
import type { CommitOutcome, EntityType, JournalEntry, Store, StoredEntity } from '../../ports/store.ts';
import { EntityCache } from './entity-cache.ts';

/** A store whose loads the test releases by hand, counting them. */
class SlowStore implements Store {
  loads = 0;
  fail = false;
  readonly data = new Map<string, StoredEntity>();
  private waiting: Array<() => void> = [];
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
  async load(_type: EntityType, id: string): Promise<StoredEntity | undefined> {
    this.loads++;
    await new Promise<void>((r) => this.waiting.push(r));
    if (this.fail) throw new Error('down');
    return this.data.get(id);
  }
  loadMany(): Promise<StoredEntity[]> { return Promise.resolve([]); }
  scan(): Promise<StoredEntity[]> { return Promise.resolve([]); }
  commit(): Promise<CommitOutcome[]> { return Promise.resolve([]); }
  journal(): Promise<JournalEntry[]> { return Promise.resolve([]); }
  ping(): Promise<void> { return Promise.resolve(); }
  close(): Promise<void> { return Promise.resolve(); }
}

const state = (revision: number): StoredEntity => ({ type: 'thing', id: 'a:b', revision, created: 't', modified: 't', deleted: false, data: { thingId: 'a:b' } });
const options = { max: 10, unavailable: (id: string) => new DittoError('things:thing.unavailable', { thingId: id }) };

test('concurrent misses load once; absent entities are remembered', async () => {
  const store = new SlowStore();
  const cache = new EntityCache(store, 'thing', options);
  const both = Promise.all([cache.load('a:b'), cache.load('a:b')]);
  store.release();
  assert.deepEqual(await both, [undefined, undefined]);
  assert.equal(await cache.load('a:b'), undefined);
  assert.equal(store.loads, 1);
  assert.equal(cache.cached('a:b'), null);
});

test('a load that raced with a commit does not put the older state back', async () => {
  const store = new SlowStore();
  store.data.set('a:b', state(1));
  const cache = new EntityCache(store, 'thing', options);
  const loading = cache.load('a:b');
  cache.committed(state(2));
  store.release();
  assert.equal((await loading)?.revision, 2);
  assert.equal(cache.cached('a:b')?.revision, 2);
});

test('a store failure is the configured error, never an absent entity', async () => {
  const store = new SlowStore();
  store.fail = true;
  const cache = new EntityCache(store, 'thing', options);
  const loading = cache.load('a:b');
  store.release();
  await assert.rejects(loading, (e: unknown) => e instanceof DittoError && e.status === 503);
  assert.equal(cache.cached('a:b'), undefined);
});

test('states are kept in the form `keep` gives and handed out as that object', async () => {
  const store = new SlowStore();
  store.data.set('a:b', state(1));
  const kept: StoredEntity[] = [];
  const cache = new EntityCache(store, 'thing', { ...options, keep: (e) => ({ ...e }), observe: (e) => kept.push(e) });
  const loading = cache.load('a:b');
  store.release();
  const first = await loading;
  assert.equal(await cache.load('a:b'), first);
  assert.notEqual(first, store.data.get('a:b'));
  assert.equal(kept.length, 1);
});
