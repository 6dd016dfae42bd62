import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DittoError } from './errors/index.ts';
import { isJsonObject, jsonEquals, type JsonObject, type JsonValue } from './json.ts';
import { getAt, type Pointer } from './json-pointer.ts';
import { setMember } from './json-keys.ts';
import {
  applyMergePatch, compileDeletionRegex, deletionRegexSource, isRegexDeletion, MAX_DELETION_REGEX_LENGTH,
  mergePatchTouchedPaths, removeNullsForCreate,
} from './merge-patch.ts';

function mergeInvalid(e: unknown): boolean {
  return e instanceof DittoError && e.error === 'things:merge.invalid' && e.status === 400;
}

// RFC 7396 appendix A, every example.
void test('RFC 7396 test cases', () => {
  const cases: [JsonValue, JsonValue, JsonValue][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, expected] of cases) {
    assert.deepEqual(applyMergePatch(target, patch), expected, JSON.stringify([target, patch]));
  }
  assert.deepEqual(applyMergePatch(undefined, { a: null, b: { c: null, d: [null] } }), { b: { d: [null] } });
});

// [ditto: httpapi-concepts merge update example]
void test("the merge update example of Ditto's documentation", () => {
  const before: JsonObject = {
    thingId: 'a:b', policyId: 'a:b',
    attributes: { location: { longitude: 47.68217, latitude: 9.386372 }, serialNo: '0000000' },
    features: {
      temperature: { properties: { value: 25.43, unit: '°C' } },
      pressure: { properties: { value: 1013.25, unit: 'hPa' } },
    },
  };
  const patch: JsonObject = {
    attributes: { location: null, manufacturer: 'Bosch', serialNo: '23091861' },
    features: {
      temperature: { properties: { value: 26.89 } },
      pressure: { properties: { unit: null } },
      humidity: { properties: { value: 55, unit: '%' } },
    },
  };
  assert.deepEqual(applyMergePatch(before, patch), {
    thingId: 'a:b', policyId: 'a:b',
    attributes: { serialNo: '23091861', manufacturer: 'Bosch' },
    features: {
      temperature: { properties: { value: 26.89, unit: '°C' } },
      pressure: { properties: { value: 1013.25 } },
      humidity: { properties: { value: 55, unit: '%' } },
    },
  });
});

// [ditto: httpapi-concepts removing fields in a merge update with a regex]
void test('a regex key with null deletes matching siblings before the rest applies', () => {
  const history: JsonObject = { properties: { '2022-11': 42.3, '2022-12': 54.3, '2023-01': 80.2, '2023-02': 99.9 } };
  assert.deepEqual(
    applyMergePatch(history, { properties: { '{{ /2022-.*/ }}': null, '2023-03': 105.21 } }),
    { properties: { '2023-01': 80.2, '2023-02': 99.9, '2023-03': 105.21 } },
  );
  assert.deepEqual(applyMergePatch(history, { properties: { '{{~2023-.*~}}': null } }), { properties: { '2022-11': 42.3, '2022-12': 54.3 } });
  // Everything goes, then the patch's own members are added.
  assert.deepEqual(applyMergePatch({ a: 1, b: { x: 1 } }, { '{{ ~.*~ }}': null, b: { y: 2 } }), { b: { y: 2 } });
});

// Ditto's JsonMergePatchTest: removeFieldsUsingRegexWithNullValue(WithHierarchy).
void test('regexes match whole keys, several may be given, deletions work at any depth', () => {
  const days = { '2023-04-01': true, '2023-04-02': 'hello', '2023-04-03': 'darkness', '2023-04-04': 'my', '2023-04-05': 'old', '2023-04-06': 'friend' };
  const out = applyMergePatch({ a: days, b: days, c: { some: true, '2023-04-02': 'hello', 'totally-other': 'darkness', foo: 'my' } }, {
    a: { '{{ ~2023-04-.*~ }}': null, '2023-05-01': 'new' },
    b: { '{{ ~2023-04-01~ }}': null, '{{ ~^2023-04-03$~ }}': null, '{{ ~[0-9]{4}-04-.+4~ }}': null, '2023-05-01': 'new' },
    c: { '{{ ~2023-04-0~ }}': null },
  });
  assert.deepEqual(out, {
    a: { '2023-05-01': 'new' },
    b: { '2023-04-02': 'hello', '2023-04-05': 'old', '2023-04-06': 'friend', '2023-05-01': 'new' },
    c: { some: true, '2023-04-02': 'hello', 'totally-other': 'darkness', foo: 'my' },
  });
  const nested = applyMergePatch(
    { first: { second: { third: { x: 1 }, 'something-on-second': 'foobar2', 'another-on-second': false }, 'something-on-first': 'foobar1' } },
    { first: { '{{ ~seco.*~ }}': null, second: { 'another-on-second': true } } },
  );
  assert.deepEqual(nested, { first: { 'something-on-first': 'foobar1', second: { 'another-on-second': true } } });
});

void test('deletion keys only count with a null value and the right delimiters', () => {
  assert.equal(deletionRegexSource('{{ ~a.*~ }}'), 'a.*');
  assert.equal(deletionRegexSource('{{/a/}}'), 'a');
  assert.equal(deletionRegexSource('{{ \t~x~\n }}'), 'x');
  assert.equal(deletionRegexSource('{{~~}}'), '');
  for (const k of ['{{ ~a/ }}', '{{ a }}', '{ ~a~ }', '{{ ~ }}', 'x{{ ~a~ }}', '{{ ~a~ }}x', '']) assert.equal(deletionRegexSource(k), undefined, k);
  assert.equal(isRegexDeletion('{{ ~a~ }}', null), true);
  assert.equal(isRegexDeletion('{{ ~a~ }}', 1), false);
  // With a value other than null the key is an ordinary member.
  assert.deepEqual(applyMergePatch({ a: 1 }, { '{{ ~a~ }}': 2 }), { a: 1, '{{ ~a~ }}': 2 });
  // Against a non-object target there is nothing to delete and the key just disappears.
  assert.deepEqual(applyMergePatch(5, { '{{ ~.*~ }}': null, a: 1 }), { a: 1 });
});

void test('invalid or dangerous regexes are 400 things:merge.invalid', () => {
  for (const source of ['(', '[a-', '*a', 'a{2,1}', '(a+)+', '(a*)*b', '(a|a)*', '((ab)*c)+', '(?:a+){2,}', '.*.*.*', 'a?a?a?', '(\\d+)+$', 'x'.repeat(MAX_DELETION_REGEX_LENGTH + 1)]) {
    assert.throws(() => applyMergePatch({ a: 1 }, { [`{{ ~${source}~ }}`]: null }), mergeInvalid, source);
  }
  for (const source of ['.*', '2022-.*', '^2023-04-03$', '[0-9]{4}-04-.+4', '(foo|bar)_[0-9]+', '(ab){3}', '(a|b)?c', '.*-temp-.*', '[(]+', '\\(a+\\)+', '(?<y>[0-9]{4})-.*', '(?=a).*']) {
    assert.ok(compileDeletionRegex(source) instanceof RegExp, source);
  }
  // An invalid regex where the target has no object is never compiled (as in Ditto).
  assert.deepEqual(applyMergePatch(undefined, { '{{ ~(~ }}': null }), {});
});

void test('a hostile regex is refused quickly instead of backtracking', () => {
  const target: JsonObject = {};
  for (let i = 0; i < 200; i++) target['a'.repeat(40) + i] = i;
  const started = process.hrtime.bigint();
  assert.throws(() => applyMergePatch(target, { '{{ ~(a+)+b~ }}': null }), mergeInvalid);
  assert.ok(process.hrtime.bigint() - started < 100_000_000n);
});

void test('inputs are not mutated and unchanged subtrees are shared', () => {
  const target = deepFreeze({ a: { x: 1 }, b: { y: 2 }, c: [1, 2] });
  const patch = deepFreeze({ a: { x: 2 }, d: { z: null, w: 1 } });
  const out = applyMergePatch(target, patch);
  assert.deepEqual(out, { a: { x: 2 }, b: { y: 2 }, c: [1, 2], d: { w: 1 } });
  assert.equal(out['b'], target['b']);
  assert.equal(out['c'], target['c']);
  assert.equal(applyMergePatch(target, { a: { x: 1 } }), target);
  assert.equal(applyMergePatch(target, { nope: null }), target);
});

void test('key order: kept members stay in place, new ones are appended', () => {
  const out = applyMergePatch({ a: 1, b: 2, c: 3 }, { d: 4, b: 20, a: null });
  assert.deepEqual(Object.keys(out), ['b', 'c', 'd']);
});

void test('__proto__ in a patch is an ordinary member', () => {
  const patch = JSON.parse('{"__proto__":{"polluted":true}}') as JsonObject;
  const out = applyMergePatch({ a: 1 }, patch);
  assert.equal(JSON.stringify(out), '{"a":1,"__proto__":{"polluted":true}}');
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  const nested = applyMergePatch({ a: {} }, JSON.parse('{"a":{"__proto__":{"x":1}}}') as JsonObject);
  assert.equal(JSON.stringify(nested), '{"a":{"__proto__":{"x":1}}}');
  // An absent __proto__ member is not confused with Object.prototype.
  assert.equal(JSON.stringify(applyMergePatch({}, JSON.parse('{"__proto__":{"x":null}}') as JsonObject)), '{"__proto__":{}}');
});

// [ditto: protocol-specification-things-merge] a merge that creates a thing drops null members.
void test('removeNullsForCreate drops nulls from objects at every depth, not from arrays', () => {
  const v: JsonObject = { a: null, b: { c: null, d: 1, e: [null, { f: null }] }, '{{ ~x~ }}': null };
  assert.deepEqual(removeNullsForCreate(v), { b: { d: 1, e: [null, { f: null }] } });
  const clean: JsonObject = { a: { b: 1 } };
  assert.equal(removeNullsForCreate(clean), clean);
  assert.equal(removeNullsForCreate(null), null);
});

// [ditto: httpapi-concepts permissions required for merge update]
void test('touched paths: leaves, empty objects, regex parents, scalars at the root', () => {
  assert.deepEqual(mergePatchTouchedPaths({ attributes: { a: 1, b: { c: null } }, features: { f: {} } }), [
    ['attributes', 'a'], ['attributes', 'b', 'c'], ['features', 'f'],
  ]);
  assert.deepEqual(mergePatchTouchedPaths({ p: { '{{ ~x~ }}': null, '{{ /y/ }}': null, z: 1 } }), [['p'], ['p', 'z']]);
  assert.deepEqual(mergePatchTouchedPaths(42), [[]]);
  assert.deepEqual(mergePatchTouchedPaths(null), [[]]);
  assert.deepEqual(mergePatchTouchedPaths({}), [[]]);
  assert.deepEqual(mergePatchTouchedPaths({ a: [1, { b: 2 }] }), [['a']]);
});

// ----- properties -----

/** The smallest merge patch turning `from` into `to` (objects without null members). */
function diff(from: JsonValue | undefined, to: JsonValue): JsonValue {
  if (!isJsonObject(from) || !isJsonObject(to)) return to;
  const patch: JsonObject = {};
  for (const k of Object.keys(from)) if (!Object.prototype.hasOwnProperty.call(to, k)) setMember(patch, k, null);
  for (const k of Object.keys(to)) {
    const t = to[k] as JsonValue;
    const f = Object.prototype.hasOwnProperty.call(from, k) ? from[k] : undefined;
    if (isJsonObject(t) && isJsonObject(f)) {
      const sub = diff(f, t);
      if (isJsonObject(sub) && Object.keys(sub).length > 0) setMember(patch, k, sub);
    } else if (f === undefined || !jsonEquals(f, t)) {
      setMember(patch, k, t);
    }
  }
  return patch;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const c of Object.values(v)) deepFreeze(c);
    Object.freeze(v);
  }
  return v;
}

const key = fc.constantFrom('a', 'b', 'c', 'd', '__proto__');
const value: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean(),
    fc.array(tie('v'), { maxLength: 2 }),
    fc.dictionary(key, tie('v'), { maxKeys: 4 }),
  ),
})).v;
const object = fc.dictionary(key, value, { maxKeys: 4 });

void test('property: the diff of two documents patches the first into the second', () => {
  fc.assert(fc.property(value, value, (a, b) => {
    const target = removeNullsForCreate(a);
    const wanted = removeNullsForCreate(b);
    assert.ok(jsonEquals(applyMergePatch(target, diff(target, wanted)), wanted));
  }));
});

void test('property: applying a patch twice equals applying it once', () => {
  fc.assert(fc.property(value, value, (t, p) => {
    const once = applyMergePatch(t, p);
    assert.ok(jsonEquals(applyMergePatch(once, p), once));
  }));
});

void test('property: null deletes the key, other keys untouched', () => {
  fc.assert(fc.property(object, key, (t, k) => {
    const out = applyMergePatch(t, { [k]: null });
    assert.equal(Object.prototype.hasOwnProperty.call(out, k), false);
    for (const other of Object.keys(t)) if (other !== k) assert.ok(jsonEquals(out[other], t[other]));
  }));
});

void test('property: a regex deletion with .* then the patch equals the patch alone (minus nulls)', () => {
  fc.assert(fc.property(object, object, (t, p) => {
    const out = applyMergePatch(t, { '{{ ~.*~ }}': null, ...p });
    assert.ok(jsonEquals(out, removeNullsForCreate(p)));
  }));
});

void test('property: inputs are never mutated', () => {
  fc.assert(fc.property(value, value, (t, p) => {
    const before = [JSON.stringify(t), JSON.stringify(p)];
    applyMergePatch(deepFreeze(t), deepFreeze(p));
    assert.deepEqual([JSON.stringify(t), JSON.stringify(p)], before);
  }));
});

/** Every pointer at which `a` and `b` differ, down to the first difference. */
function changedPaths(a: JsonValue | undefined, b: JsonValue | undefined, at: Pointer, out: Pointer[]): void {
  if (isJsonObject(a) && isJsonObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const has = (o: JsonObject): JsonValue | undefined => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
      changedPaths(has(a), has(b), [...at, k], out);
    }
  } else if (!(a === undefined ? b === undefined : b !== undefined && jsonEquals(a, b))) {
    out.push(at);
  }
}

const isPrefix = (p: Pointer, q: Pointer): boolean => p.length <= q.length && p.every((s, i) => s === q[i]);

void test('property: every change a patch makes lies on a touched path', () => {
  fc.assert(fc.property(object, object, (t, p) => {
    const changed: Pointer[] = [];
    changedPaths(t, applyMergePatch(t, p), [], changed);
    const touched = mergePatchTouchedPaths(p);
    for (const c of changed) {
      assert.ok(touched.some((tp) => isPrefix(tp, c) || isPrefix(c, tp)), `change at /${c.join('/')} not covered by ${JSON.stringify(touched)}`);
    }
    // And every touched leaf that is not a deletion holds the patch's value afterwards.
    for (const tp of touched) {
      const pv = getAt(p, tp);
      if (pv !== undefined && pv !== null && !isJsonObject(pv)) assert.ok(jsonEquals(getAt(applyMergePatch(t, p), tp), pv));
    }
  }));
});
