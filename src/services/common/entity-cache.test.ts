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
  readonly batches: string[][] = [];
  async loadMany(_type: EntityType, ids: readonly string[]): Promise<StoredEntity[]> {
    this.batches.push([...ids]);
    await new Promise<void>((r) => this.waiting.push(r));
    if (this.fail) throw new Error('down');
    return ids.flatMap((id) => this.data.get(id) ?? []);
  }
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

const at = (id: string, revision: number): StoredEntity => ({ ...state(revision), id, data: { thingId: id } });
/** Lets the microtasks of released loads run (a batch starts from one). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('misses beyond the loads in flight wait, and are loaded together by one statement', async () => {
  const store = new SlowStore();
  for (const id of ['a:1', 'a:2', 'a:3', 'a:4']) store.data.set(id, at(id, 1));
  const cache = new EntityCache(store, 'thing', { ...options, maxLoadsInFlight: 1 });
  const first = cache.load('a:1');
  const rest = Promise.all([cache.load('a:2'), cache.load('a:3'), cache.load('a:2'), cache.load('a:9')]);
  assert.equal(store.loads, 1);
  assert.deepEqual(store.batches, [], 'the others wait for the load in flight');
  store.release();
  assert.equal((await first)?.id, 'a:1');
  await settle();
  assert.deepEqual(store.batches, [['a:2', 'a:3', 'a:9']], 'one statement for the waiting IDs, each once');
  const late = cache.load('a:4');
  store.release();
  assert.deepEqual((await rest).map((e) => e?.id), ['a:2', 'a:3', 'a:2', undefined]);
  assert.equal(cache.cached('a:9'), null, 'absent in a batch is remembered as absent');
  await settle();
  assert.deepEqual(store.batches.slice(1), [['a:4']], 'a miss during a batch waits for the next one');
  store.release();
  assert.equal((await late)?.id, 'a:4');
  assert.equal(store.loads, 1);
});

test('a failed batch is the configured error for each of its loads, and the next load goes ahead', async () => {
  const store = new SlowStore();
  store.data.set('a:3', at('a:3', 1));
  const cache = new EntityCache(store, 'thing', { ...options, maxLoadsInFlight: 1 });
  const first = cache.load('a:1');
  const waiting = [cache.load('a:2'), cache.load('a:3')];
  store.fail = true;
  store.release();
  await assert.rejects(first, (e: unknown) => e instanceof DittoError && e.status === 503);
  await settle();
  store.release();
  for (const w of waiting) await assert.rejects(w, (e: unknown) => e instanceof DittoError && e.status === 503);
  store.fail = false;
  const again = cache.load('a:3');
  store.release();
  assert.equal((await again)?.id, 'a:3');
  assert.equal(store.loads, 2, 'with no load in flight, a miss is loaded at once');
});
