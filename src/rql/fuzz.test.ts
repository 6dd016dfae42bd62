import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DittoError } from '../model/errors/index.ts';
import { evaluateRqlFilter } from './evaluate.ts';
import { formatRqlFilter } from './format.ts';
import { parseRqlFilter } from './parser.ts';
import { filterArbitrary, PLACEHOLDER_PREFIXES, thingArbitrary, WIDE } from './arbitraries.test-helper.ts';

const options = { placeholderPrefixes: PLACEHOLDER_PREFIXES };

/** Parsing either succeeds or fails with a 400 rql.expression.invalid; anything else is a bug. */
function parsesOrRejects(text: string): void {
  let parsed;
  try {
    parsed = parseRqlFilter(text, options);
  } catch (e) {
    assert.ok(e instanceof DittoError, `${JSON.stringify(text)} threw ${String(e)}`);
    assert.equal(e.status, 400);
    assert.equal(e.error, 'rql.expression.invalid');
    return;
  }
  // Whatever parses is canonical after one formatting.
  const text2 = formatRqlFilter(parsed);
  assert.equal(formatRqlFilter(parseRqlFilter(text2, options)), text2);
}

const RQL_PIECES = ['eq(', 'ne(', 'gt(', 'like(', 'ilike(', 'in(', 'and(', 'or(', 'not(', 'exists(', 'empty(', 'attributes/a', 'features/*/properties/p', 'thingId', 'topic:x', ',', ')', '(', '"', "'", '\\', '\\u00', '/', '//', ' ', '1', '-0', '1.5e3', 'true', 'null', 'time:now', '-1h', '[d]', '*', '?'];

test('fuzz: arbitrary strings parse or are rejected with rql.expression.invalid', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), parsesOrRejects), { numRuns: 3000 });
});

test('fuzz: sequences of RQL tokens parse or are rejected with rql.expression.invalid', () => {
  const tokens = fc.array(fc.constantFrom(...RQL_PIECES), { maxLength: 30 }).map((t) => t.join(''));
  fc.assert(fc.property(tokens, parsesOrRejects), { numRuns: 5000 });
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...RQL_PIECES), fc.string({ unit: 'binary', maxLength: 2 })) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % text.length;
  switch (m.kind) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'duplicate':
      return text.slice(0, at) + text.slice(at, at + m.length) + text.slice(at);
  }
}

test('fuzz: mutations of valid expressions parse or are rejected with rql.expression.invalid', () => {
  fc.assert(
    fc.property(filterArbitrary(WIDE), fc.array(mutation, { minLength: 1, maxLength: 4 }), (ast, mutations) => {
      parsesOrRejects(mutations.reduce(mutate, formatRqlFilter(ast)));
    }),
    { numRuns: 3000 },
  );
});

test('fuzz: evaluating any parsed filter on any thing returns a boolean without throwing', () => {
  fc.assert(
    fc.property(filterArbitrary(WIDE), thingArbitrary, (ast, thing) => {
      const result = evaluateRqlFilter(ast, thing, { now: () => new Date(0), resolvePlaceholder: (p, n) => `${p}:${n}` });
      assert.equal(typeof result, 'boolean');
    }),
    { numRuns: 1000 },
  );
});

test('pathological inputs fail cleanly', () => {
  for (const text of [
    '('.repeat(50_000),
    'not('.repeat(25_000),
    `and(${'or('.repeat(5_000)}`,
    `eq(attributes/${'a/'.repeat(20_000)}x,1)`,
    `eq(attributes/a,"${'\\'.repeat(30_001)}")`,
    `in(attributes/a${',1'.repeat(40_000)})`,
    '\u0000'.repeat(1_000),
  ]) {
    parsesOrRejects(text);
  }
});

test('a deep path against deeply nested data does not overflow the stack', () => {
  const depth = 45_000;
  let data: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) data = { a: [data] };
  const path = `attributes/${'a/'.repeat(depth)}leaf`;
  assert.ok(path.length <= 100_000);
  const filter = parseRqlFilter(`eq(${path},1)`);
  assert.equal(evaluateRqlFilter(filter, { attributes: data as never }), true);
});
