// fast-check generators of RQL filters and things, shared by the property tests.
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../model/json.ts';
import type { RqlFilter, RqlProperty, RqlTimePlaceholder, RqlValue } from './ast.ts';
import { TIME_UNITS } from './ast.ts';

export const PLACEHOLDER_PREFIXES = ['topic', 'resource'] as const;

/** Characters that stress the lexer: delimiters, quotes, escapes, whitespace, wildcards, surrogates. */
const TRICKY = [',', ')', '(', '"', "'", '\\', '/', ' ', '\t', '\n', '\u0000', '*', '?', ':', 'é', '\u{1F600}', '\ud800', '\u00a0'];

const trickyText = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength, maxLength });

const anySegment = trickyText(1, 6).filter((s) => !s.includes('/'));

export interface FilterShape {
  readonly segment: fc.Arbitrary<string>;
  readonly featureId: fc.Arbitrary<string>;
  readonly value: fc.Arbitrary<RqlValue>;
  readonly pattern: fc.Arbitrary<string>;
  readonly placeholders: boolean;
}

const timePlaceholder: fc.Arbitrary<RqlTimePlaceholder> = fc.record(
  {
    kind: fc.constant('time' as const),
    format: fc.constantFrom('iso' as const, 'epochMillis' as const),
    offset: fc.record({ sign: fc.constantFrom(1 as const, -1 as const), amount: fc.integer({ min: 0, max: 999_999_999_999_999 }), unit: fc.constantFrom(...TIME_UNITS) }, { noNullPrototype: true }),
    truncateTo: fc.constantFrom(...TIME_UNITS),
  },
  { requiredKeys: ['kind', 'format'], noNullPrototype: true },
);

/** Any filter the parser can produce: the round-trip tests use this. */
export const WIDE: FilterShape = {
  segment: anySegment,
  featureId: fc.oneof(anySegment, fc.constant('*')),
  value: fc.oneof(trickyText(0, 8), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null), timePlaceholder),
  pattern: trickyText(0, 8),
  placeholders: true,
};

/** Few keys and values, so that filters and things meet often: the evaluator tests use this. */
export const NARROW: FilterShape = {
  segment: fc.constantFrom('a', 'b', 'c'),
  featureId: fc.constantFrom('f', 'g', '*'),
  value: fc.constantFrom<RqlValue>(0, 1, 2, '1', 'a', 'b', '', true, false, null),
  pattern: fc.constantFrom('*', 'a*', '?', '*b', 'A', ''),
  placeholders: false,
};

function fieldPointer(shape: FilterShape, existence: boolean): fc.Arbitrary<string[]> {
  const segs = (min: number, max: number): fc.Arbitrary<string[]> => fc.array(shape.segment, { minLength: min, maxLength: max });
  const options: fc.Arbitrary<string[]>[] = [
    segs(1, 3).map((s) => ['attributes', ...s]),
    fc.tuple(shape.featureId, fc.constantFrom('properties', 'desiredProperties'), segs(1, 2)).map(([f, k, s]) => ['features', f, k, ...s]),
    shape.featureId.map((f) => ['features', f, 'definition']),
    fc.constantFrom('thingId', 'policyId', '_namespace', '_revision', '_created', '_modified', 'definition').map((f) => [f]),
    segs(0, 2).map((s) => ['_metadata', ...s]),
  ];
  if (existence) {
    options.push(shape.featureId.map((f) => ['features', f]));
    options.push(fc.tuple(shape.featureId, fc.constantFrom('properties', 'desiredProperties')).map(([f, k]) => ['features', f, k]));
  }
  return fc.oneof(...options);
}

function property(shape: FilterShape, existence: boolean): fc.Arbitrary<RqlProperty> {
  const field = fieldPointer(shape, existence).map((pointer): RqlProperty => ({ kind: 'field', pointer }));
  if (!shape.placeholders) return field;
  const placeholder = fc
    .record({ prefix: fc.constantFrom(...PLACEHOLDER_PREFIXES), name: trickyText(1, 6) }, { noNullPrototype: true })
    .map(({ prefix, name }): RqlProperty => ({ kind: 'placeholder', prefix, name }));
  return fc.oneof({ weight: 4, arbitrary: field }, { weight: 1, arbitrary: placeholder });
}

export function filterArbitrary(shape: FilterShape, maxDepth = 4): fc.Arbitrary<RqlFilter> {
  const leaf: fc.Arbitrary<RqlFilter> = fc.oneof(
    fc.record({ op: fc.constantFrom('eq' as const, 'ne' as const, 'gt' as const, 'ge' as const, 'lt' as const, 'le' as const), property: property(shape, false), value: shape.value }, { noNullPrototype: true }),
    fc.record({ op: fc.constantFrom('like' as const, 'ilike' as const), property: property(shape, false), pattern: shape.pattern }, { noNullPrototype: true }),
    fc.record({ op: fc.constant('in' as const), property: property(shape, false), values: fc.tuple(shape.value, fc.array(shape.value, { maxLength: 3 })).map(([v, vs]): [RqlValue, ...RqlValue[]] => [v, ...vs]) }, { noNullPrototype: true }),
    fc.record({ op: fc.constantFrom('exists' as const, 'empty' as const), property: property(shape, true) }, { noNullPrototype: true }),
  );
  const { filter } = fc.letrec<{ filter: RqlFilter }>((tie) => ({
    filter: fc.oneof(
      { maxDepth, depthIdentifier: 'rql' },
      { weight: 3, arbitrary: leaf },
      fc.record({
        op: fc.constantFrom('and' as const, 'or' as const),
        filters: fc.tuple(tie('filter'), fc.array(tie('filter'), { maxLength: 2 })).map(([f, fs]): [RqlFilter, ...RqlFilter[]] => [f, ...fs]),
      }, { noNullPrototype: true }),
      fc.record({ op: fc.constant('not' as const), filter: tie('filter') }, { noNullPrototype: true }),
    ),
  }));
  return filter;
}

const narrowJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'json' },
    { weight: 4, arbitrary: fc.constantFrom<JsonValue>(0, 1, 2, '1', 'a', 'b', 'A', 'ab', '', true, false, null) },
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }) as fc.Arbitrary<JsonValue>,
  ),
})).value;

const narrowObject = fc.dictionary(fc.constantFrom('a', 'b', 'c'), narrowJson, { maxKeys: 3 }) as fc.Arbitrary<JsonObject>;

/** Things whose keys and values overlap with NARROW filters. */
export const thingArbitrary: fc.Arbitrary<JsonObject> = fc.record(
  {
    thingId: fc.constantFrom('ns:a', 'other:b', 'plain'),
    policyId: fc.constantFrom('ns:a', '1'),
    _revision: fc.constantFrom(1, 2),
    definition: fc.constantFrom('a', 'ns:def:1'),
    attributes: narrowObject,
    features: fc.dictionary(
      fc.constantFrom('f', 'g'),
      fc.record({ definition: fc.constant(['a']), properties: narrowObject, desiredProperties: narrowObject }, { requiredKeys: [] }) as fc.Arbitrary<JsonValue>,
      { maxKeys: 2 },
    ),
    _metadata: narrowObject,
  },
  { requiredKeys: ['thingId'] },
) as fc.Arbitrary<JsonObject>;
