// Search must return exactly the things whose *readable view* matches the filter: the SQL only
// proposes candidates. This compares search and count with the RQL evaluator run over views
// computed here, for many generated filters, for a full and a partial reader.

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
    set('arr', maybe(() => [pick(), { k: pick() }]));
    const features: JsonObject = {};
    if (rnd() < 0.7) features['f1'] = { properties: { p: pick() } };
    if (rnd() < 0.7) features['f2'] = { properties: { p: pick() } };
    out[`${NS}:t${String(i).padStart(2, '0')}`] = { attributes, features };
  }
  return out;
}

function literal(v: JsonValue): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function filter(rnd: () => number, depth = 0): string {
  const prop = PROPS[Math.floor(rnd() * PROPS.length)] as string;
  const value = (): string => (prop === 'thingId' ? JSON.stringify(`${NS}:t0${Math.floor(rnd() * 10)}`) : literal(POOL[Math.floor(rnd() * POOL.length)] ?? null));
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

/** What each reader may see of a thing (as the policy below grants), with the special fields. */
function view(id: string, thing: JsonObject, who: string): JsonObject {
  const base: JsonObject = { thingId: id, _namespace: NS, _revision: 1 };
  if (who === FULL) return { ...base, policyId: `${NS}:policy`, ...thing };
  const attributes = { ...(thing['attributes'] as JsonObject) };
  delete attributes['b'];
  const features = { ...(thing['features'] as JsonObject) };
  delete features['f2'];
  return { ...base, attributes, features };
}

const POLICY = {
  entries: {
    FULL: { subjects: { [FULL]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
    PARTIAL: {
      subjects: { [PARTIAL]: { type: 't' } },
      resources: {
        'thing:/attributes': { grant: ['READ'], revoke: [] },
        'thing:/attributes/b': { grant: [], revoke: ['READ'] },
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
      const p = await call(server.url, 'PUT', `/api/2/policies/${NS}:policy`, { headers: as(FULL), body: POLICY });
      assert.equal(p.status, 201, p.text);
      for (const [id, thing] of Object.entries(data)) {
        const r = await call(server.url, 'PUT', `/api/2/things/${id}`, { headers: as(FULL), body: { policyId: `${NS}:policy`, ...thing } });
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
  });
}
