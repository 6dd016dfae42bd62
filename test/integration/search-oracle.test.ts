// Search must return exactly the things whose *readable view* matches the filter: the SQL only
// proposes candidates. This compares search and count with the RQL evaluator run over views
// computed here, for many generated filters, for a full and a partial reader. Things are guarded by
// two policies: under the first the full reader sees things whole (count adds SQL numbers) and the
// partial reader does not; under the second it is the other way round (a revoke hides a field
// from the full reader), so a count mixes both ways of counting.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonObject, JsonValue } from '../../src/model/json.ts';
import { evaluateRqlFilter, parseRqlFilter } from '../../src/rql/index.ts';
import { as, call, type TestServer } from '../support/doppel-server.ts';
import { searchBackends } from '../support/search-backends.ts';

const NS = 'org.oracle';
const FULL = 'pre:full';
const PARTIAL = 'pre:partial';

/** A small deterministic generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL: JsonValue[] = [0, 1, 2, 2.5, -1, 'a', 'b', 'ab', 'B', '', true, false, null];
const PROPS = ['attributes/a', 'attributes/b', 'attributes/o/x', 'attributes/arr', 'attributes/arr/k', 'features/*/properties/p', 'features/f1/properties/p', 'features/f2/properties/p', 'features/f2', 'thingId', 'policyId', '_revision'];

function things(rnd: () => number): Record<string, JsonObject> {
  const pick = (): JsonValue => POOL[Math.floor(rnd() * POOL.length)] ?? null;
  const maybe = (v: () => JsonValue): JsonValue | undefined => (rnd() < 0.7 ? v() : undefined);
  const out: Record<string, JsonObject> = {};
  for (let i = 0; i < 30; i++) {
    const attributes: JsonObject = {};
    const set = (k: string, v: JsonValue | undefined): void => {
      if (v !== undefined) attributes[k] = v;
    };
    set('a', maybe(pick));
    set('b', maybe(pick));
    set('o', maybe(() => ({ x: pick() })));
    // Objects in nested arrays are indexed under the outer array's path, where filters do not reach.
    set('arr', maybe(() => (rnd() < 0.2 ? [[{ k: pick() }], pick()] : [pick(), { k: pick() }])));
    const features: JsonObject = {};
    if (rnd() < 0.7) features['f1'] = { properties: { p: pick() } };
    if (rnd() < 0.7) features['f2'] = { properties: { p: pick() } };
    out[`${NS}:t${String(i).padStart(2, '0')}`] = { policyId: i % 3 === 2 ? POLICY2_ID : POLICY_ID, attributes, features };
  }
  return out;
}

type SortKey = readonly [number, number, string, boolean];
const ABSENT: SortKey = [0, 0, '', false];

/** The scalars a sort path reaches: array elements count, and fields of object elements. */
function scalarsAt(node: JsonValue | undefined, path: readonly string[]): JsonValue[] {
  if (node === undefined) return [];
  if (Array.isArray(node)) return node.flatMap((el) => scalarsAt(el, path));
  const [head, ...rest] = path;
  if (head === undefined) return node !== null && typeof node === 'object' ? [] : [node];
  if (node === null || typeof node !== 'object') return [];
  if (head === '*') return Object.values(node).flatMap((v) => scalarsAt(v, rest));
  return scalarsAt(node[head], rest);
}

function keyOf(v: JsonValue): SortKey {
  if (v === null) return [1, 0, '', false];
  if (typeof v === 'number') return [2, v, '', false];
  if (typeof v === 'string') return [3, 0, v, false];
  return [4, 0, '', v === true];
}

function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < 4; i++) {
    const x = a[i] as number | string | boolean;
    const y = b[i] as number | string | boolean;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Ditto's order on a view: the smallest value of a field ascending, the largest descending,
 * grouped by type (absent, null, numbers, strings, booleans); ties by thing ID.
 */
function expectedOrder(views: readonly [string, JsonObject][], sort: readonly string[]): string[] {
  const fields = sort.map((s) => ({ desc: s.startsWith('-'), path: s.slice(1).split('/') }));
  const keys = new Map(views.map(([id, v]) => [id, fields.map((f) => {
    const all = scalarsAt(v, f.path).map(keyOf).sort(compareKeys);
    return (f.desc ? all[all.length - 1] : all[0]) ?? ABSENT;
  })]));
  return views.map(([id]) => id).sort((a, b) => {
    const ka = keys.get(a) ?? [];
    const kb = keys.get(b) ?? [];
    for (let i = 0; i < fields.length; i++) {
      const c = compareKeys(ka[i] ?? ABSENT, kb[i] ?? ABSENT);
      if (c !== 0) return fields[i]?.desc === true ? -c : c;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

function literal(v: JsonValue): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function filter(rnd: () => number, depth = 0): string {
  const prop = PROPS[Math.floor(rnd() * PROPS.length)] as string;
  const value = (): string => (prop === 'thingId'
    ? JSON.stringify(`${NS}:t0${Math.floor(rnd() * 10)}`)
    : prop === 'policyId' && rnd() < 0.7 ? JSON.stringify(rnd() < 0.5 ? POLICY_ID : POLICY2_ID) : literal(POOL[Math.floor(rnd() * POOL.length)] ?? null));
  const r = rnd();
  if (depth < 2 && r < 0.25) {
    const op = ['and', 'or', 'not'][Math.floor(rnd() * 3)] as string;
    return op === 'not' ? `not(${filter(rnd, depth + 1)})` : `${op}(${filter(rnd, depth + 1)},${filter(rnd, depth + 1)})`;
  }
  const ops = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in', 'like', 'ilike', 'exists', 'empty'];
  const op = ops[Math.floor(rnd() * ops.length)] as string;
  const wholeFeature = prop === 'features/f2';
  if (op === 'exists' || op === 'empty' || wholeFeature) return `${wholeFeature ? (rnd() < 0.5 ? 'exists' : 'empty') : op}(${prop})`;
  if (op === 'in') return `in(${prop},${value()},${value()})`;
  if (op === 'like' || op === 'ilike') return `${op}(${prop},${JSON.stringify(['a*', '*b', '?', 'A*', '*'][Math.floor(rnd() * 5)])})`;
  return `${op}(${prop},${value()})`;
}

/** What each reader may see of a thing (as the policies below grant), with the special fields. */
function view(id: string, thing: JsonObject, who: string): JsonObject {
  const base: JsonObject = { thingId: id, _namespace: NS, _revision: 1 };
  if (thing['policyId'] === POLICY2_ID) {
    if (who === PARTIAL) return { ...base, ...thing };
    const attributes = { ...(thing['attributes'] as JsonObject) };
    delete attributes['b'];
    return { ...base, ...thing, attributes };
  }
  if (who === FULL) return { ...base, ...thing };
  const attributes = { ...(thing['attributes'] as JsonObject) };
  delete attributes['b'];
  // attributes/o/x is revoked: o holds nothing else, so it goes; attributes/arr/k is revoked too,
  // but an array is a leaf, readable as a whole.
  delete attributes['o'];
  const features = { ...(thing['features'] as JsonObject) };
  delete features['f2'];
  return { ...base, attributes, features };
}

const POLICY_ID = `${NS}:policy`;
const POLICY2_ID = `${NS}:policy2`;

/** The full reader reads all but attributes/b, the partial reader everything. */
const POLICY2 = {
  entries: {
    FULL: {
      subjects: { [FULL]: { type: 't' } },
      resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'thing:/attributes/b': { grant: [], revoke: ['READ'] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } },
    },
    PARTIAL: { subjects: { [PARTIAL]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
  },
};

const POLICY = {
  entries: {
    FULL: { subjects: { [FULL]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
    PARTIAL: {
      subjects: { [PARTIAL]: { type: 't' } },
      resources: {
        'thing:/attributes': { grant: ['READ'], revoke: [] },
        'thing:/attributes/b': { grant: [], revoke: ['READ'] },
        'thing:/attributes/o/x': { grant: [], revoke: ['READ'] },
        'thing:/attributes/arr/k': { grant: [], revoke: ['READ'] },
        'thing:/features': { grant: ['READ'], revoke: [] },
        'thing:/features/f2': { grant: [], revoke: ['READ'] },
      },
    },
  },
};

for (const backend of await searchBackends()) {
  void describe(`search equals evaluation on the readable view (${backend.name})`, { skip: backend.skip ?? false }, () => {
    let server: TestServer;
    const data = things(random(7));
    before(async () => {
      server = await backend.start();
      for (const [id, body] of [[POLICY_ID, POLICY], [POLICY2_ID, POLICY2]] as const) {
        const p = await call(server.url, 'PUT', `/api/2/policies/${id}`, { headers: as(FULL), body });
        assert.equal(p.status, 201, p.text);
      }
      for (const [id, thing] of Object.entries(data)) {
        const r = await call(server.url, 'PUT', `/api/2/things/${id}`, { headers: as(FULL), body: thing });
        assert.equal(r.status, 201, r.text);
      }
    });
    after(() => server.close());

    test('generated filters', async () => {
      const rnd = random(42);
      for (let i = 0; i < 150; i++) {
        const f = filter(rnd);
        const parsed = parseRqlFilter(f);
        for (const who of [FULL, PARTIAL]) {
          const expected = Object.entries(data).filter(([id, t]) => evaluateRqlFilter(parsed, view(id, t, who))).map(([id]) => id);
          const q = `filter=${encodeURIComponent(f)}&namespaces=${NS}&option=size(200)&fields=thingId`;
          const r = await call(server.url, 'GET', `/api/2/search/things?${q}`, { headers: as(who) });
          assert.equal(r.status, 200, `${f}: ${r.text}`);
          const got = (r.json as { items: { thingId: string }[] }).items.map((t) => t.thingId);
          assert.deepEqual(got, expected, `${who} ${f}`);
          const c = await call(server.url, 'GET', `/api/2/search/things/count?filter=${encodeURIComponent(f)}&namespaces=${NS}`, { headers: as(who) });
          assert.equal(c.json, expected.length, `count ${who} ${f}`);
        }
      }
    });

    // A field the caller may not read orders as if it were absent, for that caller, also when
    // paging with cursors: attributes/b, attributes/o/x, features/f2 and policyId are hidden from
    // the partial reader, attributes/arr/k is not (its array is readable as a whole).
    test('sort orders by what the caller may read', async () => {
      const sorts = [
        ['+attributes/b'], ['-attributes/b'], ['+attributes/o/x'], ['-attributes/o/x'], ['+attributes/arr/k'], ['-attributes/arr'],
        ['+features/*/properties/p'], ['-features/*/properties/p'], ['-features/f2/properties/p'], ['+policyId'],
        ['-attributes/b', '+attributes/a'], ['+attributes/a', '-features/f2/properties/p'],
      ];
      for (const sort of sorts) {
        for (const who of [FULL, PARTIAL]) {
          const expected = expectedOrder(Object.entries(data).map(([id, t]) => [id, view(id, t, who)]), sort);
          const got: string[] = [];
          let cursor: string | undefined;
          for (let page = 0; page < 10; page++) {
            const option = `sort(${sort.join(',')}),size(7)${cursor === undefined ? '' : `,cursor(${cursor})`}`;
            const r = await call(server.url, 'GET', `/api/2/search/things?namespaces=${NS}&fields=thingId&option=${encodeURIComponent(option)}`, { headers: as(who) });
            assert.equal(r.status, 200, `${sort.join(',')}: ${r.text}`);
            const body = r.json as { items: { thingId: string }[]; cursor?: string };
            got.push(...body.items.map((t) => t.thingId));
            cursor = body.cursor;
            if (cursor === undefined) break;
          }
          assert.deepEqual(got, expected, `${who} sort(${sort.join(',')})`);
        }
      }
    });
  });
}
