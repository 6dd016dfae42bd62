import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePointer } from '../../model/json-pointer.ts';
import { changedThing, mergeObjects } from './event-thing.ts';
import { compileSubscription, parseThingFieldSelector } from './event-subscription.ts';

void test('[ditto: ThingEventToThingConverter] the changed part as Thing JSON', () => {
  const p = parsePointer;
  assert.deepEqual(changedThing('a:b', 'modified', p('/features/f/properties/on'), true), { thingId: 'a:b', features: { f: { properties: { on: true } } } });
  assert.deepEqual(changedThing('a:b', 'created', p('/'), { thingId: 'a:b', attributes: { x: 1 } }), { thingId: 'a:b', attributes: { x: 1 } });
  assert.deepEqual(changedThing('a:b', 'deleted', p('/attributes/x'), undefined), { thingId: 'a:b' });
  assert.deepEqual(changedThing('a:b', 'merged', p('/'), { attributes: { x: null, y: 2, z: { q: null } } }), { thingId: 'a:b', attributes: { y: 2, z: {} } });
  assert.deepEqual(changedThing('a:b', 'merged', p('/attributes/x'), null), { thingId: 'a:b', attributes: { x: {} } });
  assert.deepEqual(changedThing('a:b', 'modified', p('/policyId'), 'a:p'), { thingId: 'a:b', policyId: 'a:p' });
});

void test('mergeObjects: the first wins conflicts, objects merge deeply, order is first then new', () => {
  assert.deepEqual(mergeObjects({ a: { x: 1 }, b: 1 }, { a: { x: 2, y: 2 }, b: { c: 1 }, d: 4 }), { a: { x: 1, y: 2 }, b: 1, d: 4 });
  assert.deepEqual(Object.keys(mergeObjects({ b: 1 }, { a: 1, b: 2 })), ['b', 'a']);
  const tricky = JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, never>;
  const merged = mergeObjects({}, tricky);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.ok(Object.prototype.hasOwnProperty.call(merged, '__proto__'));
});

void test('[ditto: ThingFieldSelector] streaming selectors name thing fields only', () => {
  assert.deepEqual(parseThingFieldSelector('thingId,attributes/a,features/*/properties,_context/topic,_revision').pointers.length, 5);
  for (const bad of ['foo', 'thingId/x', '_revision/a', 'attributesX']) {
    assert.throws(() => parseThingFieldSelector(bad), (e: { error?: string }) => e.error === 'things:field.selection.invalid', bad);
  }
  assert.ok(parseThingFieldSelector('features/{{ feature:id }}/properties'));
});

void test('subscriptions: errors are Ditto\'s; equal options share a key', () => {
  assert.throws(() => compileSubscription({ filter: 'eq(a' }, 'sse'), (e: { error?: string }) => e.error === 'rql.expression.invalid');
  assert.throws(() => compileSubscription({ filter: 'eq(header:x,1)' }, 'sse'), (e: { error?: string }) => e.error === 'rql.expression.invalid');
  assert.ok(compileSubscription({ filter: 'eq(header:x,"1")' }, 'websocket').filter !== undefined);
  assert.throws(() => compileSubscription({ thingIds: 'no-namespace-colon' }, 'sse'));
  const a = compileSubscription({ namespaces: 'x', filter: 'exists(thingId)' }, 'websocket');
  const b = compileSubscription({ namespaces: 'y', filter: 'exists(thingId)' }, 'websocket');
  assert.equal(a.key, b.key);
  assert.deepEqual([...(a.namespaces ?? [])], ['x']);
  assert.equal(compileSubscription({ namespaces: '' }, 'sse').namespaces, undefined);
});
