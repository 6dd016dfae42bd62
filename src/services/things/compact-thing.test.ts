import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredEntity } from '../../ports/store.ts';
import { CompactThing, PARSED_THINGS } from './compact-thing.ts';

function state(n: number, deleted = false): StoredEntity {
  const id = `ns:thing-${n}`;
  const data = deleted ? {} : { thingId: id, policyId: id, attributes: { n, name: `thing ${n}`, nested: { list: [1, 'two', null, { three: 3 }] } }, features: { f: { properties: { on: true, t: 21.5 } } } };
  return { type: 'thing', id, revision: n + 1, created: '2026-12-07T10:00:00.000Z', modified: '2026-12-07T10:00:01.000Z', deleted, data };
}

test('a compact thing answers what the state held, and the same objects while it is among the recently parsed', () => {
  const s = state(1);
  const t = new CompactThing(s);
  assert.deepEqual({ type: t.type, id: t.id, revision: t.revision, created: t.created, modified: t.modified, deleted: t.deleted }, { type: 'thing', id: 'ns:thing-1', revision: 2, created: s.created, modified: s.modified, deleted: false });
  assert.equal(t.data, t.data);
  assert.deepEqual(t.data, s.data);
  assert.deepEqual(new CompactThing(state(2, true)).data, {});
});

test('a thing pushed out of the recently parsed lets go of its objects and parses its text again', () => {
  const first = new CompactThing(state(0));
  const before = first.data;
  // Enough other things to take every slot of the ring.
  const others = Array.from({ length: PARSED_THINGS }, (_, i) => new CompactThing(state(i + 1)));
  const after = first.data;
  assert.notEqual(after, before);
  assert.deepEqual(after, state(0).data);
  assert.equal(first.data, after);
  // The others parse again as they are asked for; each gives back its own state.
  for (const [i, o] of others.entries()) assert.deepEqual(o.data, state(i + 1).data);
});
