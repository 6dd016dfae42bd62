import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RqlFilter, RqlValue } from './ast.ts';
import { formatRqlFilter } from './format.ts';
import { parseRqlFilter } from './parser.ts';
import { filterArbitrary, PLACEHOLDER_PREFIXES, WIDE } from './arbitraries.test-helper.ts';

const options = { placeholderPrefixes: PLACEHOLDER_PREFIXES };

test('the canonical text has no whitespace, no leading slash and double-quoted strings', () => {
  const f = parseRqlFilter(" and( eq( /attributes/a , 'x' ) , in(namespace, 1, -1.5, true, null) , not( exists(features/*/properties/p) ) ) ");
  assert.equal(formatRqlFilter(f), 'and(eq(attributes/a,"x"),in(_namespace,1,-1.5,true,null),not(exists(features/*/properties/p)))');
});

test('values are written so that they read back identically', () => {
  const eq = (value: RqlValue): string => formatRqlFilter({ op: 'eq', property: { kind: 'field', pointer: ['attributes', 'a'] }, value });
  assert.equal(eq(-0), 'eq(attributes/a,-0.0)');
  assert.equal(eq(1e21), 'eq(attributes/a,1e+21)');
  assert.equal(eq(2 ** 63), 'eq(attributes/a,9.223372036854776e+18)');
  assert.equal(eq(1.5e-7), 'eq(attributes/a,1.5e-7)');
  assert.equal(eq('q"\\\n\u0001'), 'eq(attributes/a,"q\\"\\\\\\n\\u0001")');
  assert.equal(eq({ kind: 'time', format: 'epochMillis', offset: { sign: -1, amount: 2, unit: 'd' }, truncateTo: 'h' }), 'eq(attributes/a,time:now_epoch_millis-2d[h])');
  assert.throws(() => eq(Number.NaN), RangeError);
});

test('property characters that end a property are escaped', () => {
  const f: RqlFilter = { op: 'exists', property: { kind: 'field', pointer: ['attributes', 'a,b)c"d\\e (f) '] } };
  assert.equal(formatRqlFilter(f), 'exists(attributes/a\\u002cb\\u0029c\\"d\\\\e (f\\u0029\\u0020)');
  assert.deepEqual(parseRqlFilter(formatRqlFilter(f)), f);
});

test('property: parse(format(ast)) deep-equals ast for any AST', () => {
  fc.assert(
    fc.property(filterArbitrary(WIDE), (ast) => {
      assert.deepEqual(parseRqlFilter(formatRqlFilter(ast), options), ast);
    }),
    { numRuns: 2000 },
  );
});

test('property: formatting is idempotent through parsing', () => {
  fc.assert(
    fc.property(filterArbitrary(WIDE), (ast) => {
      const text = formatRqlFilter(ast);
      assert.equal(formatRqlFilter(parseRqlFilter(text, options)), text);
    }),
    { numRuns: 1000 },
  );
});
