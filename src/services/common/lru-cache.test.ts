import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
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

test('against a plain map: within the bound, every entry kept answers its last value, the latest always stays', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 8 }),
    fc.array(fc.tuple(fc.constantFrom('set', 'get', 'delete'), fc.integer({ min: 0, max: 20 }), fc.integer()), { maxLength: 200 }),
    (max, ops) => {
      const c = new LruCache<number, number>(max);
      const model = new Map<number, number>();
      for (const [op, key, value] of ops) {
        if (op === 'set') {
          c.set(key, value);
          model.set(key, value);
          assert.equal(c.get(key), value);
        } else if (op === 'delete') {
          c.delete(key);
          model.delete(key);
          assert.equal(c.has(key), false);
        } else {
          const got = c.get(key);
          if (got !== undefined) assert.equal(got, model.get(key));
        }
        assert.ok(c.size <= max);
      }
      let present = 0;
      for (const [key, value] of model) {
        if (!c.has(key)) continue;
        present++;
        assert.equal(c.get(key), value);
      }
      assert.equal(present, c.size);
    },
  ));
});
