import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../model/json.ts';
import { setAt } from '../model/json-pointer.ts';
import type { RqlFilter, RqlProperty } from './ast.ts';
import { evaluateRqlFilter } from './evaluate.ts';
import { formatRqlFilter } from './format.ts';
import { parseRqlFilter } from './parser.ts';
import { filterArbitrary, NARROW, thingArbitrary } from './arbitraries.test-helper.ts';

const options = { now: () => new Date('2024-01-06T14:23:42.123Z') };
const evaluate = (f: RqlFilter, thing: JsonObject): boolean => evaluateRqlFilter(f, thing, options);
const filter = filterArbitrary(NARROW);

test('property: not(q) is the negation of q', () => {
  fc.assert(
    fc.property(filter, thingArbitrary, (q, thing) => {
      assert.equal(evaluate({ op: 'not', filter: q }, thing), !evaluate(q, thing));
    }),
    { numRuns: 2000 },
  );
});

test('property: and/or behave as boolean conjunction and disjunction', () => {
  fc.assert(
    fc.property(fc.array(filter, { minLength: 1, maxLength: 4 }), thingArbitrary, (qs, thing) => {
      const parts = qs as [RqlFilter, ...RqlFilter[]];
      const each = parts.map((q) => evaluate(q, thing));
      assert.equal(evaluate({ op: 'and', filters: parts }, thing), each.every(Boolean));
      assert.equal(evaluate({ op: 'or', filters: parts }, thing), each.some(Boolean));
    }),
    { numRuns: 1000 },
  );
});

test('property: the formatted and re-parsed filter answers the same', () => {
  fc.assert(
    fc.property(filter, thingArbitrary, (q, thing) => {
      assert.equal(evaluate(parseRqlFilter(formatRqlFilter(q)), thing), evaluate(q, thing));
    }),
    { numRuns: 1000 },
  );
});

const key = fc.constantFrom('a', 'b', 'c', 'x y', 'é');
const attributePath = fc.array(key, { minLength: 1, maxLength: 3 }).map((p) => ['attributes', ...p]);
const scalar = fc.oneof(fc.string({ maxLength: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const field = (pointer: readonly string[]): RqlProperty => ({ kind: 'field', pointer });

test('property: a thing that holds exactly v at p satisfies eq(p,v), in(p,...,v) and exists(p)', () => {
  fc.assert(
    fc.property(thingArbitrary, attributePath, scalar, fc.array(scalar, { maxLength: 3 }), (base, p, v, others) => {
      const thing = setAt(base, p, v);
      const property = field(p);
      assert.ok(evaluate({ op: 'eq', property, value: v }, thing));
      assert.ok(evaluate({ op: 'in', property, values: [v, ...others] }, thing));
      assert.ok(evaluate({ op: 'exists', property }, thing));
      assert.ok(!evaluate({ op: 'ne', property, value: v }, thing));
      if (v !== null) {
        assert.ok(evaluate({ op: 'ge', property, value: v }, thing));
        assert.ok(evaluate({ op: 'le', property, value: v }, thing));
        assert.ok(!evaluate({ op: 'gt', property, value: v }, thing));
      }
      if (typeof v === 'string') assert.ok(evaluate({ op: 'like', property, pattern: v.replace(/[*?]/g, '?') }, thing));
    }),
    { numRuns: 1000 },
  );
});

test('property: for a single scalar w at p, ne(p,v) is exactly "w and v differ", eq never crosses types', () => {
  fc.assert(
    fc.property(attributePath, scalar, scalar, (p, w, v) => {
      const thing = setAt({}, p, w);
      const property = field(p);
      assert.equal(evaluate({ op: 'ne', property, value: v }, thing), w !== v);
      assert.equal(evaluate({ op: 'eq', property, value: v }, thing), w === v);
      if (typeof w !== typeof v || w === null || v === null) {
        for (const op of ['gt', 'ge', 'lt', 'le'] as const) assert.equal(evaluate({ op, property, value: v }, thing), false);
      }
    }),
    { numRuns: 1000 },
  );
});

test('property: an array at p matches eq(p,v) exactly when an element equals v', () => {
  fc.assert(
    fc.property(attributePath, fc.array(scalar, { maxLength: 5 }), scalar, (p, items, v) => {
      const thing = setAt({}, p, items as JsonValue);
      const property = field(p);
      assert.equal(evaluate({ op: 'eq', property, value: v }, thing), items.includes(v));
      assert.equal(evaluate({ op: 'ne', property, value: v }, thing), !items.includes(v));
      assert.equal(evaluate({ op: 'empty', property }, thing), items.length === 0);
    }),
    { numRuns: 500 },
  );
});

test('property: a missing property satisfies only not(...) and empty', () => {
  fc.assert(
    fc.property(attributePath, scalar, (p, v) => {
      const property = field(['attributes', 'missing', ...p.slice(1)]);
      const thing = setAt({}, p, v);
      for (const op of ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const) assert.equal(evaluate({ op, property, value: v }, thing), false);
      assert.equal(evaluate({ op: 'exists', property }, thing), false);
      assert.equal(evaluate({ op: 'empty', property }, thing), true);
    }),
    { numRuns: 300 },
  );
});
