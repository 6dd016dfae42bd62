import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonValue } from '../../model/json.ts';
import type { StoredEntity } from '../../ports/store.ts';
import { thingCommand, type ThingAction, type ThingEvent } from '../../signals/index.ts';
import { DittoError } from '../../model/errors/index.ts';
import { decideDelete, decideMerge, decideModify, evolve } from './decide.ts';
import { validateResourceValue } from './thing-validation.ts';

const THING = 'ns:t';
const ctx = { now: '2026-01-01T00:00:00.000Z', maxThingBytes: 100_000 };
const auth = { subjects: ['s:1'] };

const key = fc.constantFrom('a', 'b', 'c');
const leaf: fc.Arbitrary<JsonValue> = fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom('x', 'y'), fc.constant(null));
// Plain objects, as JSON.parse makes them (fast-check may build null-prototype ones).
const value: fc.Arbitrary<JsonValue> = fc.oneof(leaf, fc.dictionary(key, leaf, { maxKeys: 2 })).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);
const path = fc.oneof(
  fc.array(key, { minLength: 1, maxLength: 3 }).map((p) => ['attributes', ...p]),
  fc.tuple(fc.constantFrom('f', 'g'), fc.array(key, { minLength: 1, maxLength: 2 })).map(([f, p]) => ['features', f, 'properties', ...p]),
  fc.constantFrom(['features', 'f'], ['attributes'], ['definition']),
);
const op = fc.record({ action: fc.constantFrom<ThingAction>('modify', 'merge', 'delete'), path, value });

function apply(state: StoredEntity, action: ThingAction, p: readonly string[], v: JsonValue): { next: StoredEntity; event: ThingEvent } | undefined {
  const isObjectPath = p.length === 1 || (p[0] === 'features' && p.length === 2);
  let val = v;
  if (p[0] === 'definition') val = 'a:b:1';
  else if (isObjectPath && (typeof v !== 'object' || v === null || Array.isArray(v))) val = {};
  const cmd = thingCommand({ action, thingId: THING, path: p, channel: 'twin', headers: {}, auth, value: val });
  if (cmd === undefined) return undefined;
  try {
    if (action === 'delete') return decideDelete(state, cmd, ctx);
    if (action === 'merge') return decideMerge(state, cmd, ctx);
    return decideModify(state, cmd, validateResourceValue(cmd.resource, val, THING), ctx);
  } catch (e) {
    if (e instanceof DittoError) return undefined;
    throw e;
  }
}

// [design: entities and persistence] the journal is the truth: replaying it must rebuild the state.
test('replaying the events with evolve yields the state decide produced', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
      const create = thingCommand({ action: 'modify', thingId: THING, path: [], channel: 'twin', headers: {}, auth, value: {} });
      assert.ok(create);
      const first = decideModify(undefined, create, { thingId: THING, policyId: THING }, ctx);
      let state = first.next;
      assert.equal(state.dataText, JSON.stringify(state.data));
      const events: ThingEvent[] = [first.event];
      for (const o of ops) {
        const d = apply(state, o.action, o.path, o.value);
        if (d === undefined) continue;
        assert.equal(d.event.revision, state.revision + 1);
        // A modified or merged state carries the text it was measured by, which is its own.
        if (o.action !== 'delete') assert.equal(d.next.dataText, JSON.stringify(d.next.data));
        state = d.next;
        events.push(d.event);
      }
      let replayed: StoredEntity | undefined;
      for (const e of events) replayed = evolve(replayed, JSON.parse(JSON.stringify(e)) as ThingEvent);
      assert.deepEqual(replayed?.data, state.data);
      assert.equal(replayed?.revision, state.revision);
    }),
    { numRuns: 300 },
  );
});

test('deleting the thing leaves a tombstone whose revision goes on', () => {
  const create = thingCommand({ action: 'modify', thingId: THING, path: [], channel: 'twin', headers: {}, auth, value: {} });
  const del = thingCommand({ action: 'delete', thingId: THING, path: [], channel: 'twin', headers: {}, auth });
  assert.ok(create && del);
  const a = decideModify(undefined, create, { thingId: THING, policyId: THING }, ctx);
  const b = decideDelete(a.next, del, ctx);
  assert.equal(b.next.deleted, true);
  const c = decideModify(b.next, create, { thingId: THING, policyId: THING }, ctx);
  assert.equal(c.status, 201);
  assert.equal(c.next.revision, 3);
  assert.equal(c.event.type, 'things.events:thingCreated');
});

test('a thing over the size limit is refused, measured by the characters of its text', () => {
  const modify = (value: JsonValue, max: number) => {
    const cmd = thingCommand({ action: 'modify', thingId: THING, path: [], channel: 'twin', headers: {}, auth, value });
    assert.ok(cmd);
    return decideModify(undefined, cmd, value, { ...ctx, maxThingBytes: max });
  };
  const thing = { thingId: THING, policyId: THING, attributes: { s: '\u{1F600}'.repeat(10) } };
  const length = JSON.stringify(thing).length;
  assert.equal(modify(thing, length).next.dataText?.length, length);
  assert.throws(() => modify(thing, length - 1), (e: unknown) => e instanceof DittoError && e.error === 'things:thing.toolarge');
});
