import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePointer, formatPointer, getAt, setAt, deleteAt } from './json-pointer.ts';
import { DittoError } from './errors/index.ts';

test('pointers parse with or without leading and trailing slash', () => {
  assert.deepEqual(parsePointer('/a/b'), ['a', 'b']);
  assert.deepEqual(parsePointer('a/b/'), ['a', 'b']);
  assert.deepEqual(parsePointer('/'), []);
  assert.deepEqual(parsePointer(''), []);
});

test('a double slash is an invalid pointer', () => {
  assert.throws(() => parsePointer('a//b'), (e: unknown) => e instanceof DittoError && e.error === 'json.pointer.invalid');
});

const key = fc.string({ minLength: 1, maxLength: 5 }).filter((s) => !s.includes('/'));
const pointer = fc.array(key, { minLength: 1, maxLength: 4 });

test('format and parse round-trip', () => {
  fc.assert(fc.property(pointer, (p) => assert.deepEqual(parsePointer(formatPointer(p)), p)));
});

test('set then get returns the value, delete removes it, the input is not mutated', () => {
  fc.assert(
    fc.property(fc.object() as fc.Arbitrary<Record<string, never>>, pointer, fc.jsonValue(), (root, p, v) => {
      const before = JSON.stringify(root);
      const withV = setAt(root, p, v as never);
      assert.deepEqual(getAt(withV, p), v);
      assert.equal(JSON.stringify(root), before);
      const without = deleteAt(withV, p);
      assert.equal(getAt(without, p), undefined);
    }),
  );
});

test('a __proto__ key is an ordinary member', () => {
  const root = JSON.parse('{}') as Record<string, never>;
  const out = setAt(root, ['__proto__', 'polluted'], true);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(getAt(out, ['__proto__', 'polluted']), true);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(JSON.stringify(out), '{"__proto__":{"polluted":true}}');
});
