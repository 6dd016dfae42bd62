import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DittoError } from './errors/index.ts';
import {
  DEFAULT_MAX_JSON_DEPTH, jsonByteLength, jsonNestingDepth, parseJsonBounded,
} from './json-parse.ts';

function jsonInvalid(pattern?: RegExp) {
  return (e: unknown): boolean =>
    e instanceof DittoError && e.error === 'json.invalid' && e.status === 400 && (pattern === undefined || pattern.test(e.message));
}

void test('valid JSON parses, any top-level value included', () => {
  assert.deepEqual(parseJsonBounded('{"a":[1,{"b":null}]}'), { a: [1, { b: null }] });
  assert.equal(parseJsonBounded(' "x" '), 'x');
  assert.equal(parseJsonBounded('null'), null);
  assert.equal(parseJsonBounded('42'), 42);
});

void test('malformed JSON is 400 json.invalid with a reason', () => {
  for (const text of ['', '{', '{"a":}', "{'a':1}", '[1,]', 'nul', '{"a":1}x']) {
    assert.throws(() => parseJsonBounded(text), jsonInvalid(/./), JSON.stringify(text));
  }
  assert.throws(() => parseJsonBounded('{"a":}'), (e: unknown) => e instanceof DittoError && e.message.length > 'The body is not valid JSON: '.length);
});

void test('nesting deeper than the limit is 400 json.invalid before parsing', () => {
  const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  assert.deepEqual(parseJsonBounded(nest(3), { maxDepth: 3 }), [[[]]]);
  assert.throws(() => parseJsonBounded(nest(4), { maxDepth: 3 }), jsonInvalid(/3 levels/));
  assert.doesNotThrow(() => parseJsonBounded(nest(DEFAULT_MAX_JSON_DEPTH)));
  assert.throws(() => parseJsonBounded(nest(DEFAULT_MAX_JSON_DEPTH + 1)), jsonInvalid(/nests deeper/));
  // A hostile body far deeper than any stack: refused quickly, never parsed.
  assert.throws(() => parseJsonBounded('{"a":'.repeat(1_000_000)), jsonInvalid(/nests deeper/));
});

void test('brackets and escaped quotes inside strings do not count as nesting', () => {
  assert.equal(jsonNestingDepth('{"a":"[[[[{{{{"}'), 1);
  assert.equal(jsonNestingDepth('["\\"[[[", ["\\\\"], "]"]'), 2);
  assert.equal(jsonNestingDepth('"\\\\"'), 0);
  assert.deepEqual(parseJsonBounded('{"k":"((([[[{{{\\"]]]"}', { maxDepth: 1 }), { k: '((([[[{{{"]]]' });
});

void test('property: the scanned depth equals the real depth of the value', () => {
  const depthOf = (v: unknown): number =>
    v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    assert.equal(jsonNestingDepth(JSON.stringify(v)), depthOf(v));
  }));
});

void test('property: strings full of brackets, quotes and backslashes never count', () => {
  const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', 'a'), maxLength: 12 });
  fc.assert(fc.property(fc.array(tricky, { maxLength: 4 }), fc.integer({ min: 0, max: 4 }), (strings, extra) => {
    const nested = '['.repeat(extra) + JSON.stringify(strings) + ']'.repeat(extra);
    assert.equal(jsonNestingDepth(nested), extra + 1);
  }));
});

void test('property: serialised values parse back equal when within the limit', () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
    assert.deepEqual(parseJsonBounded(JSON.stringify(v), { maxDepth: 6 }), JSON.parse(JSON.stringify(v)));
  }));
});

void test('jsonByteLength counts UTF-8 bytes of the compact serialisation', () => {
  assert.equal(jsonByteLength({ a: 1 }), 7);
  assert.equal(jsonByteLength('ü'), 4);
  assert.equal(jsonByteLength('€'), 5);
  assert.equal(jsonByteLength('\u{1F600}'), 6);
  // A lone surrogate is escaped by JSON.stringify.
  assert.equal(jsonByteLength('\ud800'), 8);
});

void test('property: jsonByteLength is the UTF-8 length of the serialisation', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    assert.equal(jsonByteLength(v as never), new TextEncoder().encode(JSON.stringify(v)).length);
  }));
});
