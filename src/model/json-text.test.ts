import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { endsMember, flattened, stringTokenEnd } from './json-text.ts';

test('a string token ends just past its closing quote, escaped quotes and backslashes included', () => {
  assert.equal(stringTokenEnd('"abc",1', 0), 5);
  assert.equal(stringTokenEnd('{"a\\"b":1}', 1), 7);
  assert.equal(stringTokenEnd('"a\\\\"x', 0), 5);
  assert.equal(stringTokenEnd('x"abc"', 0), -1, 'no string begins there');
  assert.equal(stringTokenEnd('"abc', 0), -1, 'the string does not end');
  assert.equal(stringTokenEnd('"ab\\"', 0), -1, 'an escaped quote does not end it');
});

test('the token found for any string is exactly what JSON.stringify wrote for it', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string(), fc.jsonValue(), (key, value, next) => {
      const text = JSON.stringify({ [key]: value, next });
      const keyEnd = stringTokenEnd(text, 1);
      assert.equal(text.slice(1, keyEnd), JSON.stringify(key));
      assert.equal(text.charCodeAt(keyEnd), 0x3a);
      const valueEnd = stringTokenEnd(text, keyEnd + 1);
      assert.equal(JSON.parse(text.slice(keyEnd + 1, valueEnd)), value);
      assert.ok(endsMember(text, valueEnd));
    }),
  );
});

test('a member ends at a comma or at the end of its object', () => {
  assert.ok(endsMember('{"a":"b","c":1}', 8));
  assert.ok(endsMember('{"a":"b"}', 8));
  assert.ok(!endsMember('{"a":"b"]', 8));
  assert.ok(!endsMember('{"a":"b"', 8), 'past the end');
});

test('a flattened string is the same string', () => {
  const joined = `${'x'.repeat(40)}${String(Math.random())}`;
  assert.equal(flattened(joined), joined);
  assert.equal(flattened(''), '');
});
