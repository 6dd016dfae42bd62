import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from './memory-bus.ts';

test('subjects match exact tokens, * and >', () => {
  const bus = new MemoryBus();
  const got: string[] = [];
  bus.subscribe('things.twin.events.*.*', (m) => got.push(`star:${m.subject}`));
  bus.subscribe('things.>', (m) => got.push(`rest:${m.subject}`));
  bus.subscribe('policies.>', (m) => got.push(`pol:${m.subject}`));
  bus.publish({ subject: 'things.twin.events.ns.a', payload: {} });
  bus.publish({ subject: 'things.twin.events.ns', payload: {} });
  assert.deepEqual(got, ['star:things.twin.events.ns.a', 'rest:things.twin.events.ns.a', 'rest:things.twin.events.ns']);
});

test('a throwing handler does not stop the others, unsubscribe stops delivery', () => {
  const errors: unknown[] = [];
  const bus = new MemoryBus((e) => errors.push(e));
  let n = 0;
  bus.subscribe('a', () => {
    throw new Error('boom');
  });
  const sub = bus.subscribe('a', () => n++);
  bus.publish({ subject: 'a', payload: {} });
  sub.unsubscribe();
  bus.publish({ subject: 'a', payload: {} });
  assert.equal(n, 1);
  assert.equal(errors.length, 2);
});
