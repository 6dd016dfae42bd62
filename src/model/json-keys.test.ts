import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DittoError } from './errors/index.ts';
import type { JsonObject, JsonValue } from './json.ts';
import {
  isValidJsonKey, MAX_JSON_KEY_LENGTH, setMember, validateFeatureId, validateFeaturesJsonKeys, validateJsonKeys,
  validatePointerKeys, validateThingJsonKeys,
} from './json-keys.ts';

function keyError(key: string) {
  return (e: unknown): boolean => e instanceof DittoError && e.error === 'json.key.invalid' && e.status === 400 && e.message.includes(`'${key}'`);
}

// [ditto: JsonKeyValidator]
void test('keys must be non-empty, without slash or control/Latin-1 characters, at most 256 long', () => {
  for (const k of ['a', 'with space', 'dash-and_underscore', '中文', '€', '{{ ~x~ }}', '*', '__proto__', 'x'.repeat(MAX_JSON_KEY_LENGTH)]) {
    assert.equal(isValidJsonKey(k), true, k);
  }
  for (const k of ['', 'a/b', '/', 'tab\t', 'nul\u0000', 'del\u007f', 'ü', '\u00a0', '\u00ff', 'x'.repeat(MAX_JSON_KEY_LENGTH + 1)]) {
    assert.equal(isValidJsonKey(k), false, JSON.stringify(k));
  }
});

// [ditto: JsonKeyValidator]
void test('every key of nested objects is checked, the first bad one is reported', () => {
  assert.doesNotThrow(() => validateJsonKeys({ a: { b: { c: 1 } }, d: [1, 2] }));
  assert.throws(() => validateJsonKeys({ a: { b: { 'c/d': 1 } } }), keyError('c/d'));
  assert.throws(() => validateJsonKeys({ ok: 1, 'bad\u0001': 2 }), keyError('bad\u0001'));
  assert.throws(() => validateJsonKeys({ '': 1 }), keyError(''));
  const long = 'k'.repeat(MAX_JSON_KEY_LENGTH + 1);
  assert.throws(() => validateJsonKeys({ [long]: 1 }), (e: unknown) => keyError(long)(e) && e instanceof DittoError && /256/.test(e.description ?? ''));
  // Scalars and arrays have no keys.
  assert.doesNotThrow(() => validateJsonKeys('a/b'));
  assert.doesNotThrow(() => validateJsonKeys(null));
});

// [ditto: JsonKeyValidator] Ditto recurses into objects only.
void test('objects inside arrays are free-form', () => {
  assert.doesNotThrow(() => validateJsonKeys({ list: [{ 'a/b': 1 }] }));
});

void test('a skip callback exempts keys but their values are still walked', () => {
  const skipBraces = (k: string): boolean => k.startsWith('{{');
  assert.doesNotThrow(() => validateJsonKeys({ '{{ /x/ }}': null }, { skip: skipBraces }));
  assert.throws(() => validateJsonKeys({ '{{ /x/ }}': { 'a/b': 1 } }, { skip: skipBraces }), keyError('a/b'));
});

void test('the walk copes with deep nesting without recursion', () => {
  let deep: JsonValue = 1;
  for (let i = 0; i < 100_000; i++) deep = { k: deep };
  assert.doesNotThrow(() => validateJsonKeys(deep));
});

// [ditto: basic-feature]
void test('a feature ID is a JSON key and not the wildcard *', () => {
  assert.doesNotThrow(() => validateFeatureId('lamp'));
  assert.doesNotThrow(() => validateFeatureId('**'));
  assert.throws(() => validateFeatureId('*'), keyError('*'));
  assert.throws(() => validateFeatureId('a/b'), keyError('a/b'));
  assert.throws(() => validateFeaturesJsonKeys({ '*': {} }), keyError('*'));
  assert.throws(() => validateFeaturesJsonKeys({ lamp: { properties: { 'x\ny': 1 } } }), keyError('x\ny'));
});

void test('a thing body is checked below attributes and features only', () => {
  const thing: JsonObject = {
    thingId: 'a:b',
    _policy: { entries: { owner: { resources: { 'thing:/': { grant: ['READ'] } } } } },
    attributes: { a: { b: 1 } },
    features: { lamp: { definition: ['a:b:1'], properties: { on: true } } },
  };
  assert.doesNotThrow(() => validateThingJsonKeys(thing));
  assert.throws(() => validateThingJsonKeys({ attributes: { 'x/y': 1 } }), keyError('x/y'));
  assert.throws(() => validateThingJsonKeys({ features: { '*': {} } }), keyError('*'));
});

// [ditto: JsonKeyValidator]
void test('pointer segments follow the key rules', () => {
  assert.doesNotThrow(() => validatePointerKeys(['a', 'b']));
  assert.throws(() => validatePointerKeys(['a', 'b\u0085']), keyError('b\u0085'));
});

void test('setMember stores __proto__ as an ordinary member', () => {
  const o: JsonObject = {};
  setMember(o, '__proto__', { polluted: true });
  setMember(o, 'x', 1);
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__', 'x']);
  assert.equal(JSON.stringify(o), '{"__proto__":{"polluted":true},"x":1}');
});

const goodKey = fc.string({ minLength: 1, maxLength: 8 }).filter(isValidJsonKey);

void test('property: objects built from valid keys pass, one invalid key anywhere fails', () => {
  const tree = fc.letrec<{ node: JsonValue }>((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.dictionary(goodKey, tie('node'), { maxKeys: 4 })),
  })).node;
  fc.assert(fc.property(fc.dictionary(goodKey, tree, { maxKeys: 4 }), fc.constantFrom('a/b', '', '\u0010', 'é'), fc.nat(), (obj, bad, pick) => {
    validateJsonKeys(obj);
    // Put the bad key into some object of the tree.
    const objects: JsonObject[] = [];
    const collect = (v: JsonValue): void => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        objects.push(v);
        for (const c of Object.values(v)) collect(c);
      }
    };
    collect(obj);
    const target = objects[pick % objects.length] as JsonObject;
    target[bad] = 1;
    assert.throws(() => validateJsonKeys(obj), keyError(bad));
  }));
});
