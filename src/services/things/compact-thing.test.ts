import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonObject } from '../../model/json.ts';
import type { StoredEntity } from '../../ports/store.ts';
import { afterLeadingIds, CompactThing, leadingPolicyId, PARSED_THINGS } from './compact-thing.ts';

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
  // Things that are only kept take no slot; enough others parsed take every slot of the ring.
  const others = Array.from({ length: PARSED_THINGS }, (_, i) => new CompactThing(state(i + 1)));
  assert.equal(first.data, before);
  for (const o of others) assert.equal(typeof o.data, 'object');
  const after = first.data;
  assert.notEqual(after, before);
  assert.deepEqual(after, state(0).data);
  assert.equal(first.data, after);
  // The others parse again as they are asked for; each gives back its own state.
  for (const [i, o] of others.entries()) assert.deepEqual(o.data, state(i + 1).data);
});

test('a compact thing holds its policy ID (the ID string itself when they are equal) and its text', () => {
  const s = state(3);
  const t = new CompactThing(s);
  assert.equal(t.policyId, s.id);
  assert.equal(t.text, JSON.stringify(s.data));
  const other = new CompactThing({ ...s, data: { thingId: s.id, policyId: 'ns:elsewhere', attributes: { a: 1 } } });
  assert.equal(other.policyId, 'ns:elsewhere');
  // Without its thingId the stored JSON is not what a reader gets, so there is no text to answer
  // with; a thingId further down is not looked for.
  assert.equal(new CompactThing({ ...s, data: { attributes: { a: 1 }, thingId: s.id } }).text, undefined);
  const bare = new CompactThing({ ...s, data: { attributes: { a: 1 } } });
  assert.equal(bare.text, undefined);
  assert.equal(bare.policyId, undefined);
  assert.equal(new CompactThing({ ...s, data: { thingId: s.id, policyId: 7 } }).policyId, undefined);
});

test('a state loaded with its text is kept as that text, and its policy ID is read off it without parsing', () => {
  const s = state(4);
  const text = JSON.stringify(s.data);
  const loaded: StoredEntity = {
    ...s,
    get data(): JsonObject {
      throw new Error('parsed');
    },
    dataText: text,
  };
  const t = new CompactThing(loaded);
  assert.equal(t.text, text);
  assert.equal(t.policyId, s.id);
  assert.equal(t.policyId, t.id, 'the very ID string');
  assert.deepEqual(t.data, s.data);
  // A text that does not lead with both IDs gives its policy ID by parsing.
  const late = { ...s, data: { thingId: s.id, attributes: { a: 1 }, policyId: 'ns:late' } };
  assert.equal(new CompactThing({ ...late, dataText: JSON.stringify(late.data) }).policyId, 'ns:late');
});

test('the policy ID read off a thing text is the one JSON.parse finds, for any IDs', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), (thingId, policyId, rest) => {
      const thing = { thingId, policyId, ...rest };
      const text = JSON.stringify(thing);
      // Keys that are array indices come first in any object, so the IDs do not always lead.
      const leads = Object.keys(thing)[0] === 'thingId' && Object.keys(thing)[1] === 'policyId' && typeof thing.policyId === 'string';
      assert.equal(leadingPolicyId(text), leads ? (JSON.parse(text) as { policyId: string }).policyId : undefined);
    }),
  );
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }), (data) => {
      const text = JSON.stringify(data);
      const found = leadingPolicyId(text);
      const keys = Object.keys(data);
      const leads = keys[0] === 'thingId' && keys[1] === 'policyId' && typeof data['thingId'] === 'string' && typeof data['policyId'] === 'string';
      assert.equal(found, leads ? data['policyId'] : undefined);
    }),
  );
  assert.equal(leadingPolicyId('{"thingId":"a","policyId":7}'), undefined);
  assert.equal(leadingPolicyId('{"thingId":7,"policyId":"p"}'), undefined);
  assert.equal(leadingPolicyId('{"thingId":"a","policyId":"p'), undefined, 'a text cut short');
});

test('a compact thing gives back its exact text and data whatever its IDs, with or without the text loaded', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.option(fc.string({ unit: 'binary' }), { nil: undefined }), fc.boolean(), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), fc.boolean(), (id, otherPolicyId, samePolicy, rest, loaded) => {
      const policyId = samePolicy ? id : otherPolicyId;
      const data = (policyId === undefined ? { thingId: id, ...rest } : { thingId: id, policyId, ...rest }) as JsonObject;
      const text = JSON.stringify(data);
      const s: StoredEntity = { type: 'thing', id, revision: 1, created: 'c', modified: 'm', deleted: false, data, ...(loaded ? { dataText: text } : {}) };
      const t = new CompactThing(s);
      const leads = Object.keys(data)[0] === 'thingId';
      assert.equal(t.text, leads ? text : undefined);
      assert.deepEqual(t.data, JSON.parse(text));
    }),
  );
});

test('the text after the leading IDs is cut only where both IDs are written as they are', () => {
  assert.equal(afterLeadingIds('{"thingId":"ns:a","policyId":"ns:a","attributes":{}}', 'ns:a', 'ns:a'), ',"attributes":{}}');
  assert.equal(afterLeadingIds('{"thingId":"ns:a","policyId":"ns:p"}', 'ns:a', 'ns:p'), '}');
  assert.equal(afterLeadingIds('{"thingId":"ns:a","policyId":"ns:p"}', 'ns:a', 'ns:q'), undefined);
  assert.equal(afterLeadingIds('{"thingId":"ns:a","policyId":"ns:p"}', 'ns:a', undefined), undefined);
  assert.equal(afterLeadingIds('{"thingId":"ns:a","policyId":"ns:pp"}', 'ns:a', 'ns:p'), undefined, 'a longer ID');
  const quoted = JSON.stringify({ thingId: 'ns:"a"', policyId: 'ns:p', x: 1 });
  assert.equal(afterLeadingIds(quoted, 'ns:"a"', 'ns:p'), undefined, 'an ID that JSON escapes');
  // A thing whose IDs lead answers with the whole text, rebuilt from the part kept.
  const s: StoredEntity = { type: 'thing', id: 'ns:a', revision: 1, created: 'c', modified: 'm', deleted: false, data: { thingId: 'ns:a', policyId: 'ns:a' } };
  assert.equal(new CompactThing(s).text, '{"thingId":"ns:a","policyId":"ns:a"}');
  assert.deepEqual(new CompactThing(s).data, s.data);
});
