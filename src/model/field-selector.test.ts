import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DittoError } from './errors/index.ts';
import type { JsonObject, JsonValue } from './json.ts';
import { getAt, type Pointer } from './json-pointer.ts';
import {
  applyFieldSelector, expandFeatureWildcards, fieldSelectorOf, fieldSelectorPointers, parseFieldSelector,
} from './field-selector.ts';

const pointersOf = (text: string | string[]): Pointer[] => [...fieldSelectorPointers(parseFieldSelector(text))];
const select = (value: JsonObject, text: string): JsonObject => applyFieldSelector(value, parseFieldSelector(text));

function selectorError(e: unknown): boolean {
  return e instanceof DittoError && e.error === 'json.fieldselector.invalid' && e.status === 400;
}

// The example thing of Ditto's HTTP API concepts page.
const thing: JsonObject = {
  thingId: 'org.eclipse.ditto:x',
  policyId: 'org.eclipse.ditto:x',
  definition: 'a:b:1',
  attributes: { manufacturer: 'ACME corp', complex: { some: false, serialNo: 4711, misc: 'foo' } },
  features: {
    lamp: { properties: { on: true, color: 'blue' } },
    'infrared-lamp': { properties: { on: false, color: 'red' } },
  },
};

// [ditto: httpapi-concepts field selector]
void test('comma-separated pointers, grouping with nesting, optional leading slash', () => {
  assert.deepEqual(pointersOf('thingId'), [['thingId']]);
  assert.deepEqual(pointersOf('/attributes/a,features'), [['attributes', 'a'], ['features']]);
  assert.deepEqual(pointersOf('attributes/complex(some,serialNo)'), [['attributes', 'complex', 'some'], ['attributes', 'complex', 'serialNo']]);
  assert.deepEqual(pointersOf('one,two(subfield1,sub2(foo,bar/baz)),four,five/key'), [
    ['one'], ['two', 'subfield1'], ['two', 'sub2', 'foo'], ['two', 'sub2', 'bar', 'baz'], ['four'], ['five', 'key'],
  ]);
  assert.deepEqual(pointersOf('(a,b)'), [['a'], ['b']]);
  assert.deepEqual(pointersOf('a/(b)'), [['a', 'b']]);
});

void test('several fields parameters are joined, duplicates collapse', () => {
  assert.deepEqual(pointersOf(['thingId', 'attributes(a,b)', 'thingId']), [['thingId'], ['attributes', 'a'], ['attributes', 'b']]);
  assert.equal(parseFieldSelector(['a', 'b']).text, 'a,b');
});

void test('empty items select nothing, as in Ditto; a()` is a', () => {
  assert.deepEqual(pointersOf('a,,b,'), [['a'], ['b']]);
  assert.deepEqual(pointersOf('a()'), [['a']]);
  assert.deepEqual(pointersOf(','), []);
  assert.deepEqual(select(thing, ','), {});
});

void test('placeholders are kept verbatim, brackets inside them included', () => {
  assert.deepEqual(pointersOf('/features/{{feature:id | fn:lower()}}/definition'), [['features', '{{feature:id | fn:lower()}}', 'definition']]);
});

// [ditto: httpapi-concepts field selector]
void test('malformed selectors are 400 json.fieldselector.invalid', () => {
  for (const text of ['', 'thingId,attributes(someAttr/subsel,owner', 'abc(def(foo)', 'a)', 'a(b))', 'a(b)c', 'a(b)(c)', 'abc)(']) {
    assert.throws(() => parseFieldSelector(text), selectorError, text);
  }
  assert.throws(() => parseFieldSelector([]), selectorError);
  // A double slash is a broken pointer, reported as such.
  assert.throws(() => parseFieldSelector('a//b'), (e: unknown) => e instanceof DittoError && e.error === 'json.pointer.invalid');
});

void test('deep parentheses parse without recursion', () => {
  const n = 50_000;
  const p = pointersOf('a('.repeat(n) + 'b' + ')'.repeat(n));
  assert.equal(p.length, 1);
  assert.equal(p[0]?.length, n + 1);
});

// [ditto: httpapi-concepts field selector examples]
void test("the examples of Ditto's documentation", () => {
  assert.deepEqual(select(thing, 'attributes'), { attributes: thing['attributes'] });
  assert.deepEqual(select(thing, 'attributes/manufacturer'), { attributes: { manufacturer: 'ACME corp' } });
  assert.deepEqual(select(thing, 'attributes/complex/serialNo'), { attributes: { complex: { serialNo: 4711 } } });
  assert.deepEqual(select(thing, 'attributes/complex/some,attributes/complex/serialNo'), { attributes: { complex: { some: false, serialNo: 4711 } } });
  assert.deepEqual(select(thing, 'attributes/complex(some,serialNo)'), { attributes: { complex: { some: false, serialNo: 4711 } } });
  assert.deepEqual(select(thing, 'attributes/complex/misc,features/lamp/properties/on'), {
    attributes: { complex: { misc: 'foo' } },
    features: { lamp: { properties: { on: true } } },
  });
});

// [ditto: httpapi-concepts field selector with wildcard]
void test('features/* selects the path in every feature', () => {
  assert.deepEqual(select(thing, 'features/*/properties/on'), {
    features: { lamp: { properties: { on: true } }, 'infrared-lamp': { properties: { on: false } } },
  });
  assert.deepEqual(select(thing, 'thingId,features/*/properties(color)'), {
    thingId: 'org.eclipse.ditto:x',
    features: { lamp: { properties: { color: 'blue' } }, 'infrared-lamp': { properties: { color: 'red' } } },
  });
  assert.deepEqual(select({ thingId: 'a:b' }, 'features/*/properties'), {});
  // Elsewhere '*' is an ordinary key.
  assert.deepEqual(select({ attributes: { '*': 1, x: 2 } }, 'attributes/*'), { attributes: { '*': 1 } });
  const withMeta: JsonObject = { features: { f: {}, g: {} }, _metadata: { features: { f: { properties: { a: { m: 1 } } } } } };
  assert.deepEqual(applyFieldSelector(withMeta, parseFieldSelector('_metadata/features/*/properties')), { _metadata: { features: { f: { properties: { a: { m: 1 } } } } } });
  assert.deepEqual(expandFeatureWildcards([['features', '*', 'x'], ['a']], ['f', 'g']), [['features', 'f', 'x'], ['features', 'g', 'x'], ['a']]);
  assert.deepEqual(applyFieldSelector(thing, parseFieldSelector('features/*'), { expandFeatureWildcards: false }), {});
});

void test('missing paths and paths into non-objects select nothing', () => {
  assert.deepEqual(select(thing, 'attributes/nope'), {});
  assert.deepEqual(select(thing, 'attributes/manufacturer/deeper'), {});
  assert.deepEqual(select(thing, 'thingId,attributes/nope,attributes/manufacturer/x'), { thingId: 'org.eclipse.ditto:x' });
});

void test('a shorter pointer wins over a longer one below it, in either order', () => {
  const whole = { attributes: { complex: thing['attributes'] !== undefined ? (thing['attributes'] as JsonObject)['complex'] as JsonValue : null } };
  assert.deepEqual(select(thing, 'attributes/complex,attributes/complex/some'), whole);
  assert.deepEqual(select(thing, 'attributes/complex/some,attributes/complex'), whole);
});

// Ditto's ImmutableJsonObject#get(JsonFieldSelector) walks into arrays of objects.
void test('a path through an array selects inside each object element', () => {
  const v: JsonObject = { some: { nested: [{ a: 1, b: 2 }, { a: 11, b: 22 }, 5, { c: 3 }] }, other: 'foo' };
  assert.deepEqual(select(v, 'some/nested/b'), { some: { nested: [{ b: 2 }, { b: 22 }, 5, {}] } });
  assert.deepEqual(select({ some: { nested: [1, 2, 3] }, other: 'foo' }, 'some/nested'), { some: { nested: [1, 2, 3] } });
  assert.deepEqual(select({ list: [1, 2] }, 'list/x'), {});
});

void test("members come in the selector's order, as Ditto builds them", () => {
  assert.deepEqual(Object.keys(select(thing, 'attributes,thingId')), ['attributes', 'thingId']);
  assert.deepEqual(Object.keys(select(thing, 'attributes/complex(misc,some)').attributes as JsonObject), ['complex']);
  const complex = (select(thing, 'attributes/complex(misc,some)')['attributes'] as JsonObject)['complex'] as JsonObject;
  assert.deepEqual(Object.keys(complex), ['misc', 'some']);
});

void test('an empty object comes back as it is; selected subtrees are shared, not copied', () => {
  const empty: JsonObject = {};
  assert.equal(applyFieldSelector(empty, parseFieldSelector('a')), empty);
  const out = select(thing, 'attributes/complex');
  assert.equal((out['attributes'] as JsonObject)['complex'], (thing['attributes'] as JsonObject)['complex']);
});

void test('__proto__ is an ordinary key', () => {
  const v = JSON.parse('{"__proto__":{"x":1},"y":2}') as JsonObject;
  const out = select(v, '__proto__/x');
  assert.equal(JSON.stringify(out), '{"__proto__":{"x":1}}');
  assert.deepEqual(select({ y: 1 }, '__proto__'), {});
});

const key = fc.constantFrom('a', 'b', 'c', 'd');
const tree: fc.Arbitrary<JsonObject> = fc.letrec<{ obj: JsonObject; value: JsonValue }>((tie) => ({
  obj: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  value: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.constant(null), tie('obj')),
})).obj;
const pointer = fc.array(key, { minLength: 1, maxLength: 4 });

void test('property: every selected existing path keeps its value, nothing else is added', () => {
  fc.assert(fc.property(tree, fc.array(pointer, { minLength: 1, maxLength: 4 }), (value, pointers) => {
    const out = applyFieldSelector(value, fieldSelectorOf(pointers));
    for (const p of pointers) {
      const v = getAt(value, p);
      if (v !== undefined) assert.deepEqual(getAt(out, p), v);
    }
    // Every leaf of the output is a leaf or whole subtree of the input at the same place.
    const check = (o: JsonValue, at: string[]): void => {
      if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
        const src = getAt(value, at);
        assert.ok(src !== null && typeof src === 'object', `no object at ${at.join('/')}`);
        for (const [k, c] of Object.entries(o)) check(c, [...at, k]);
      } else {
        assert.deepEqual(o, getAt(value, at));
      }
    };
    check(out, []);
  }));
});

void test('property: parsing the formatted selector gives the same pointers', () => {
  fc.assert(fc.property(fc.array(pointer, { minLength: 1, maxLength: 5 }), (pointers) => {
    const text = pointers.map((p) => p.join('/')).join(',');
    const unique = [...new Map(pointers.map((p) => [p.join('/'), p])).values()];
    assert.deepEqual(pointersOf(text), unique);
  }));
});
