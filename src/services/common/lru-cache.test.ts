import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedQueue, LruCache } from './lru-cache.ts';

test('the cache forgets an entry not used lately, keeps the used one', () => {
  const c = new LruCache<string, number>(2);
  c.set('a', 1);
  c.set('b', 2);
  assert.equal(c.get('a'), 1);
  c.set('c', 3);
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 1);
  assert.equal(c.get('c'), 3);
  assert.equal(c.size, 2);
});

test('the cache never grows past its bound and replaces values in place', () => {
  const c = new LruCache<number, number>(100);
  for (let i = 0; i < 1000; i++) {
    c.set(i, i);
    if (i % 3 === 0) c.get(i);
    assert.ok(c.size <= 100);
  }
  c.set(999, 7);
  assert.equal(c.get(999), 7);
  assert.equal(c.size, 100);
});

test('tasks of one key run in order, other keys do not wait', async () => {
  const q = new KeyedQueue();
  const log: string[] = [];
  const slow = (name: string, ms: number) => () => new Promise<void>((r) => setTimeout(() => { log.push(name); r(); }, ms));
  const a1 = q.run('a', slow('a1', 30));
  const a2 = q.run('a', slow('a2', 1));
  const b1 = q.run('b', slow('b1', 5));
  assert.equal(q.pending('a'), 2);
  await Promise.all([a1, a2, b1]);
  assert.deepEqual(log, ['b1', 'a1', 'a2']);
  await new Promise((r) => setImmediate(r));
  assert.equal(q.pending('a'), 0);
});

test('a failing task does not block the next one of its key', async () => {
  const q = new KeyedQueue();
  await assert.rejects(q.run('a', () => Promise.reject(new Error('x'))));
  assert.equal(await q.run('a', () => Promise.resolve(7)), 7);
});
