import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../../model/json.ts';
import { deleteAt, setAt } from '../../model/json-pointer.ts';
import { indexRowChanges, indexRows, type IndexRow, type TextMapping } from './rows.ts';

// What the database does with the changes, all against the old rows (one statement): every row
// equal to a removed one goes (all copies), the row equal to a changed one's old values takes its
// new values, then the added rows come in. The result must be exactly the rows of the new state,
// and a changed row must find exactly one row that no deletion touches.
const key = (r: IndexRow): string => JSON.stringify([r.p, r.f, r.k, r.t, r.n, r.b]);
function applied(before: JsonObject, after: JsonObject, text?: TextMapping): string[] {
  const changes = indexRowChanges(before, after, text);
  const removed = new Set(changes.removed.map(key));
  const old = indexRows(before, text).map(key);
  const updates = new Map<string, string>();
  for (const c of changes.changed) {
    const k = key(c.before);
    assert.equal(old.filter((r) => r === k).length, 1, `one row is ${k}`);
    assert.ok(!removed.has(k) && !updates.has(k), `${k} is changed once and not deleted`);
    updates.set(k, key(c.after));
  }
  const kept = old.filter((k) => !removed.has(k)).map((k) => updates.get(k) ?? k);
  return [...kept, ...changes.added.map(key)].sort();
}
const expected = (after: JsonObject, text?: TextMapping): string[] => indexRows(after, text).map(key).sort();

// A mapping that merges texts, as the store's does (U+0000 is stored as U+FFFF).
const merging: TextMapping = (s) => s.replaceAll('\u0000', '\uffff');

const keyArb = fc.constantFrom('a', 'b', 'c', 'x\u0000', 'x\uffff', 'lamp', 'on');
const scalarArb = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -2, max: 2 }), fc.constantFrom('s', 't', 'u\u0000', 'u\uffff'));
const { value: valueArb } = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 3 }),
  ),
}));
const thingArb = fc.record(
  { attributes: fc.dictionary(keyArb, valueArb, { maxKeys: 4 }), features: fc.dictionary(keyArb, fc.record({ properties: fc.dictionary(keyArb, valueArb, { maxKeys: 3 }) }), { maxKeys: 3 }), definition: fc.constantFrom('a:b:1', 'c:d:2') },
  { requiredKeys: [] },
) as fc.Arbitrary<JsonObject>;
const pathArb = fc.tuple(fc.constantFrom('attributes', 'features', 'definition'), fc.array(keyArb, { minLength: 1, maxLength: 4 })).map(([root, rest]) => [root, ...rest]);

/** A state derived from `base` by the model's own copy-on-write edits, so it shares what it does not change. */
function edited(base: JsonObject, edits: readonly { path: string[]; value: JsonValue | undefined }[]): JsonObject {
  let out = base;
  for (const e of edits) {
    try {
      out = e.value === undefined ? deleteAt(out, e.path) : setAt(out, e.path, e.value);
    } catch {
      // setAt refuses some shapes (e.g. through an array); the edit is skipped.
    }
  }
  return out;
}

describe('index row changes', () => {
  test('a modified value changes one row in place, untouched subtrees are not walked', () => {
    const before: JsonObject = { attributes: { x: 0, serial: 'SN-1', tags: ['a', 'a', 'b'] }, features: { lamp: { properties: { on: true } } } };
    const after = setAt(before, ['attributes', 'x'], 5);
    assert.deepEqual(indexRowChanges(before, after), {
      removed: [],
      added: [],
      changed: [{ before: { p: 'attributes/x', f: '', k: 2, t: null, n: 0, b: null }, after: { p: 'attributes/x', f: '', k: 2, t: null, n: 5, b: null } }],
    });
    assert.deepEqual(indexRowChanges(before, before), { removed: [], added: [], changed: [] });
  });

  test('array elements are compared as a multiset', () => {
    const before: JsonObject = { attributes: { tags: ['a', 'a', 'b'] } };
    const after: JsonObject = { attributes: { tags: ['a', 'b', 'b'] } };
    assert.deepEqual(applied(before, after), expected(after));
    const changes = indexRowChanges(before, after);
    // every copy of "a" and of "b" goes (a delete by values takes all copies), then one "a" and two "b" come
    assert.equal(changes.removed.length, 2);
    assert.equal(changes.added.length, 3);
  });

  test('keys the text mapping merges are compared as a multiset', () => {
    const before: JsonObject = { attributes: { 'x\u0000': 1, 'x\uffff': 1 } };
    const after: JsonObject = { attributes: { 'x\uffff': 1 } };
    assert.deepEqual(applied(before, after, merging), expected(after, merging));
  });

  test('property: applying the changes to the old rows gives the new rows (unrelated states)', () => {
    fc.assert(
      fc.property(thingArb, thingArb, fc.boolean(), (a, b, mapped) => {
        const text = mapped ? merging : undefined;
        assert.deepEqual(applied(a, b, text), expected(b, text));
      }),
      { numRuns: 400 },
    );
  });

  test('property: applying the changes to the old rows gives the new rows (copy-on-write edits)', () => {
    const editArb = fc.array(fc.record({ path: pathArb, value: fc.option(valueArb, { nil: undefined }) }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(thingArb, editArb, fc.boolean(), (a, edits, mapped) => {
        const text = mapped ? merging : undefined;
        const b = edited(a, edits);
        assert.deepEqual(applied(a, b, text), expected(b, text));
      }),
      { numRuns: 400 },
    );
  });
});
