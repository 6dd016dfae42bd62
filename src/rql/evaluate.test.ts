import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../model/json.ts';
import { compileRqlFilter, evaluateRqlFilter, type RqlEvaluateOptions } from './evaluate.ts';
import { rqlFilterFields } from './fields.ts';
import { parseRqlFilter } from './parser.ts';

const thing: JsonObject = {
  thingId: 'org.example:lamp-1',
  policyId: 'org.example:policy',
  _namespace: 'org.example',
  _revision: 7,
  _created: '2024-01-01T00:00:00.000Z',
  _modified: '2024-01-06T14:23:42.123Z',
  definition: 'org.example:lamp:1.0.0',
  attributes: {
    location: 'kitchen',
    floor: 2,
    ratio: 0.5,
    on: true,
    off: false,
    nothing: null,
    blank: '',
    noList: [],
    noObject: {},
    owner: { name: 'Ann', id: 'SID123' },
    tags: ['misc', 'no-due-date', 'high-priority', 2, 3, 5, false, { room: 'kitchen', floor: 2 }],
    nested: [[1, 2], [3]],
    list: [{ room: 'hall' }, { room: 'attic', size: 4 }, 'text', [{ room: 'deep' }]],
    constructor: 'own',
  },
  features: {
    lamp: { definition: ['org.example:lamp:1'], properties: { brightness: 80, color: 'RED' }, desiredProperties: { brightness: 100 } },
    sensor: { properties: { brightness: 20, temperature: 21.5 } },
    empty: {},
  },
  _metadata: { attributes: { location: { source: 'manual' } } },
};

function check(filter: string, expected: boolean, options: RqlEvaluateOptions = {}, on: JsonObject = thing): void {
  assert.equal(evaluateRqlFilter(parseRqlFilter(filter), on, options), expected, filter);
}

test('[ditto: basic-rql eq] eq matches equal values of the same type only', () => {
  check('eq(attributes/location,"kitchen")', true);
  check("eq(attributes/location,'kitchen')", true);
  check('eq(attributes/location,"Kitchen")', false);
  check('eq(attributes/floor,2)', true);
  check('eq(attributes/floor,2.0)', true);
  check('eq(attributes/floor,"2")', false);
  check('eq(attributes/ratio,0.5)', true);
  check('eq(attributes/on,true)', true);
  check('eq(attributes/on,"true")', false);
  check('eq(attributes/nothing,null)', true);
  check('eq(attributes/missing,null)', false);
  check('eq(attributes/blank,null)', false);
  check('eq(attributes/owner,null)', false);
  check('eq(thingId,"org.example:lamp-1")', true);
  check('eq(_revision,7)', true);
  check('eq(definition,"org.example:lamp:1.0.0")', true);
  check('eq(attributes/constructor,"own")', true);
  check('exists(attributes/toString)', false);
});

test('[ditto: basic-rql ne] ne matches only where the property exists and differs', () => {
  check('ne(attributes/location,"hall")', true);
  check('ne(attributes/location,"kitchen")', false);
  check('ne(attributes/missing,"kitchen")', false);
  check('ne(attributes/floor,"2")', true);
  check('ne(attributes/nothing,null)', false);
  check('ne(attributes/floor,null)', true);
  check('ne(attributes/owner,1)', true);
});

test('[ditto: basic-rql gt ge lt le] order comparisons need values of the same type', () => {
  check('gt(attributes/floor,1)', true);
  check('gt(attributes/floor,2)', false);
  check('ge(attributes/floor,2)', true);
  check('lt(attributes/floor,2.5)', true);
  check('le(attributes/floor,1)', false);
  check('gt(attributes/floor,"1")', false);
  check('lt(attributes/floor,"3")', false);
  check('gt(attributes/location,"hall")', true);
  check('lt(attributes/location,"kitchens")', true);
  check('ge(attributes/location,"kitchen")', true);
  check('gt(attributes/location,1)', false);
  check('gt(attributes/on,false)', true);
  check('lt(attributes/off,true)', true);
  check('gt(attributes/on,0)', false);
  check('ge(attributes/nothing,null)', false);
  check('le(attributes/nothing,null)', false);
  check('gt(attributes/missing,0)', false);
  check('gt(_modified,"2024-01-06T00:00:00Z")', true);
});

test('[ditto: basic-rql in] in matches when any listed value is equal', () => {
  check('in(attributes/location,"hall","kitchen")', true);
  check('in(attributes/location,"hall")', false);
  check('in(attributes/floor,"2",2)', true);
  check('in(attributes/floor,"2","3")', false);
  check('in(attributes/nothing,1,null)', true);
  check('in(attributes/missing,null)', false);
});

test('[ditto: basic-rql like] like: * any sequence, ? one character, whole string, others literal', () => {
  check('like(attributes/location,"kit*")', true);
  check('like(attributes/location,"*chen")', true);
  check('like(attributes/location,"*tch*")', true);
  check('like(attributes/location,"k?tchen")', true);
  check('like(attributes/location,"k?chen")', false);
  check('like(attributes/location,"kitchen")', true);
  check('like(attributes/location,"kit")', false);
  check('like(attributes/location,"Kit*")', false);
  check('like(attributes/location,"k.*")', false);
  check('like(attributes/floor,"2")', false);
  check('like(attributes/missing,"*")', false);
  check('like(attributes/blank,"*")', true);
  check('like(features/lamp/properties/color,"r*")', false);
});

test('[ditto: basic-rql ilike] ilike ignores case', () => {
  check('ilike(features/lamp/properties/color,"r*")', true);
  check('ilike(attributes/location,"KIT?HEN")', true);
  check('ilike(attributes/location,"*HALL*")', false);
});

test('[ditto: basic-rql exists] exists holds for present properties, even null ones', () => {
  check('exists(attributes/location)', true);
  check('exists(attributes/nothing)', true);
  check('exists(attributes/missing)', false);
  check('exists(features/lamp)', true);
  check('exists(features/empty)', true);
  check('exists(features/nope)', false);
  check('exists(features/lamp/properties)', true);
  check('exists(features/empty/properties)', false);
  check('exists(features/lamp/definition)', true);
  check('exists(attributes/owner/name)', true);
  check('exists(attributes/location/deeper)', false);
  check('exists(_metadata/attributes/location/source)', true);
});

test('[ditto: basic-rql empty] empty: absent, null, "", [] or {}; numbers and booleans never', () => {
  for (const key of ['missing', 'nothing', 'blank', 'noList', 'noObject']) check(`empty(attributes/${key})`, true);
  for (const key of ['location', 'floor', 'on', 'off', 'tags', 'owner']) check(`empty(attributes/${key})`, false);
  check('empty(attributes/zero)', false, {}, { attributes: { zero: 0 } });
  check('empty(features/empty)', true);
  check('empty(features/lamp)', false);
  check('empty(features/empty/properties)', true);
  check('not(empty(attributes/tags))', true);
});

test('[ditto: basic-search querying-json-arrays] array elements are matched one by one', () => {
  check('eq(attributes/tags,"high-priority")', true);
  check('ne(attributes/tags,"high-priority")', false);
  check('in(attributes/tags,"misc","something-non-matching")', true);
  check('like(attributes/tags,"*-priority")', true);
  check('ne(attributes/tags,1)', true);
  check('gt(attributes/tags,6)', false);
  check('gt(attributes/tags,4)', true);
  check('eq(attributes/tags,false)', true);
  check('exists(attributes/tags/room)', true);
  check('eq(attributes/tags/room,"kitchen")', true);
  check('ge(attributes/tags/floor,2)', true);
  check('exists(attributes/tags/nothing)', false);
  check('eq(attributes/nested,3)', true);
  check('eq(attributes/list/room,"attic")', true);
  check('eq(attributes/list/size,4)', true);
  check('ne(attributes/list/room,"hall")', false);
  check('ne(attributes/list/room,"cellar")', true);
  // Arrays nested in arrays are not entered on the way to a key.
  check('eq(attributes/list/room,"deep")', false);
  check('empty(attributes/noList/room)', true);
});

test('[ditto: basic-search searchable fields] features/* matches when any feature matches', () => {
  check('gt(features/*/properties/brightness,50)', true);
  check('lt(features/*/properties/brightness,50)', true);
  check('gt(features/*/properties/brightness,90)', false);
  check('exists(features/*/properties/temperature)', true);
  check('exists(features/*/desiredProperties/brightness)', true);
  check('eq(features/*/definition,"org.example:lamp:1")', true);
  check('exists(features/*)', true);
  check('exists(features/*)', false, {}, { thingId: 'a:b', features: {} });
});

test('[ditto: basic-search searchable fields] namespace is _namespace, derived from thingId if absent', () => {
  check('eq(namespace,"org.example")', true);
  check('eq(_namespace,"org.example")', true);
  check('eq(namespace,"other")', false);
  check('eq(namespace,"derived")', true, {}, { thingId: 'derived:x' });
  check('exists(namespace)', false, {}, { attributes: {} });
  check('eq(namespace,"view")', true, {}, { thingId: 'derived:x', _namespace: 'view' });
});

test('[ditto: basic-rql] and, or and not combine as boolean logic', () => {
  check('and(eq(attributes/floor,2),eq(attributes/location,"kitchen"))', true);
  check('and(eq(attributes/floor,2),eq(attributes/location,"hall"))', false);
  check('or(eq(attributes/floor,3),eq(attributes/location,"kitchen"))', true);
  check('or(eq(attributes/floor,3),eq(attributes/location,"hall"))', false);
  check('not(eq(attributes/missing,1))', true);
  check('not(like(thingId,"org.example:lamp*"))', false);
  check('and(exists(features/lamp),not(exists(features/nope)),or(empty(attributes/blank)))', true);
});

const clock = (iso: string) => () => new Date(iso);

test('[ditto: basic-placeholders time] time:now compares as the ISO string, time:now_epoch_millis as a number', () => {
  const now = clock('2024-01-06T15:00:00.000Z');
  check('lt(_modified,time:now)', true, { now });
  check('gt(_modified,time:now-1h)', true, { now });
  check('gt(_modified,time:now-30m)', false, { now });
  check('ge(_modified,time:now[d])', true, { now });
  check('le(_created,time:now-5d[d])', true, { now });
  check('lt(_created,time:now-5d[d])', false, { now });
  check('eq(attributes/at,time:now_epoch_millis)', true, { now }, { attributes: { at: Date.parse('2024-01-06T15:00:00Z') } });
  check('eq(attributes/at,time:now_epoch_millis)', false, { now }, { attributes: { at: String(Date.parse('2024-01-06T15:00:00Z')) } });
  check('in(attributes/at,1,time:now[h])', true, { now }, { attributes: { at: '2024-01-06T15:00:00.000Z' } });
  check('eq(attributes/at,time:now+999999999999999y)', false, { now }, { attributes: { at: 1 } });
  assert.throws(() => check('lt(_modified,time:now)', true), /needs a clock/);
});

test('all time placeholders of one evaluation see the same instant', () => {
  let calls = 0;
  const now = (): Date => new Date(Date.UTC(2024, 0, 1) + calls++ * 1000);
  check('and(eq(attributes/t,time:now),eq(attributes/t,time:now),in(attributes/t,time:now))', true, { now }, { attributes: { t: '2024-01-01T00:00:00.000Z' } });
  assert.equal(calls, 1);
});

test('[ditto: basic-changenotifications] placeholder properties are resolved by the caller', () => {
  const filter = parseRqlFilter("and(in(topic:action,'created','deleted'),eq(resource:path,'/'))", { placeholderPrefixes: ['topic', 'resource'] });
  const resolver = (values: Record<string, string>) => (prefix: string, name: string) => values[`${prefix}:${name}`];
  assert.equal(evaluateRqlFilter(filter, {}, { resolvePlaceholder: resolver({ 'topic:action': 'created', 'resource:path': '/' }) }), true);
  assert.equal(evaluateRqlFilter(filter, {}, { resolvePlaceholder: resolver({ 'topic:action': 'modified', 'resource:path': '/' }) }), false);
  assert.equal(evaluateRqlFilter(filter, {}, {}), false);
  const exists = parseRqlFilter('exists(topic:subject)', { placeholderPrefixes: ['topic'] });
  assert.equal(evaluateRqlFilter(exists, {}, { resolvePlaceholder: resolver({}) }), false);
  assert.equal(evaluateRqlFilter(exists, {}, { resolvePlaceholder: resolver({ 'topic:subject': 'x' }) }), true);
});

test('a compiled filter gives the same answers and can be reused', () => {
  const f = parseRqlFilter('and(gt(attributes/floor,1),like(attributes/location,"k*"))');
  const predicate = compileRqlFilter(f);
  assert.equal(predicate(thing), true);
  assert.equal(predicate({ attributes: { floor: 2, location: 'hall' } }), false);
  assert.equal(predicate(thing), evaluateRqlFilter(f, thing));
});

test('rqlFilterFields lists every field read, once, in order, without placeholders', () => {
  const f = parseRqlFilter(
    'and(eq(attributes/a,1),or(exists(features/*/properties/p),not(eq(/attributes/a,2))),in(namespace,"x"),eq(topic:action,"x"),empty(_metadata/m))',
    { placeholderPrefixes: ['topic'] },
  );
  assert.deepEqual(rqlFilterFields(f), [['attributes', 'a'], ['features', '*', 'properties', 'p'], ['_namespace'], ['_metadata', 'm']]);
});
