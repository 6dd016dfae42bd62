import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../model/json.ts';
import { parsePointer } from '../model/json-pointer.ts';
import { compilePolicy, createDefaultPolicy } from './index.ts';
import type { Permission, Policy, PolicyEntry, ResourcePermissions } from './index.ts';

const R: Permission[] = ['READ'];
const W: Permission[] = ['WRITE'];
const p = parsePointer;

function grant(...permissions: Permission[]): ResourcePermissions {
  return { grant: permissions, revoke: [] };
}
function revoke(...permissions: Permission[]): ResourcePermissions {
  return { grant: [], revoke: permissions };
}
function entry(subjects: string[], resources: Record<string, ResourcePermissions>, extra: Partial<PolicyEntry> = {}): PolicyEntry {
  return { subjects: Object.fromEntries(subjects.map((s) => [s, { type: 't' }])), resources, ...extra };
}
function policy(entries: Record<string, PolicyEntry>): Policy {
  return { policyId: 'com.acme:p', entries };
}

const thing: JsonObject = {
  thingId: 'com.acme:t',
  policyId: 'com.acme:p',
  attributes: { location: 'here', secret: { pin: 1234 } },
  features: { f: { properties: { on: true } }, g: { properties: { level: 3 } } },
};

void test('[ditto: basic-policy grant-revoke] a revoke below a grant hides only that part', () => {
  const e = compilePolicy(policy({ owner: entry(['nginx:u'], { 'thing:/': grant('READ'), 'thing:/attributes/secret': revoke('READ') }) }));
  const view = e.filterReadable('thing', [], thing, ['nginx:u']);
  assert.deepEqual(view, { ...thing, attributes: { location: 'here' } });
  assert.equal(e.hasUnrestricted('thing', [], ['nginx:u'], R), false);
  assert.equal(e.hasPartial('thing', [], ['nginx:u'], R), true);
  assert.equal(e.hasUnrestricted('thing', p('/attributes/location'), ['nginx:u'], R), true);
  assert.equal(e.hasPartial('thing', p('/attributes/secret'), ['nginx:u'], R), false);
  assert.equal(e.hasPartial('thing', p('/attributes/secret/pin'), ['nginx:u'], R), false);
});

void test('[ditto: basic-policy] a grant on one feature only shows that feature', () => {
  const e = compilePolicy(policy({ f: entry(['nginx:u'], { 'thing:/features/f': grant('READ') }) }));
  assert.deepEqual(e.filterReadable('thing', [], thing, ['nginx:u']), { features: { f: { properties: { on: true } } } });
  assert.equal(e.hasPartial('thing', [], ['nginx:u'], R), true);
  assert.equal(e.hasPartial('thing', p('/features'), ['nginx:u'], R), true);
  assert.equal(e.hasPartial('thing', p('/features/g'), ['nginx:u'], R), false);
  assert.equal(e.hasUnrestricted('thing', p('/features'), ['nginx:u'], R), false);
  assert.equal(e.hasUnrestricted('thing', p('/features/f/properties/on'), ['nginx:u'], R), true);
});

void test('[ditto: basic-policy] the fast path answers with the very same object', () => {
  const e = compilePolicy(createDefaultPolicy('com.acme:t', 'nginx:u'));
  assert.equal(e.filterReadable('thing', [], thing, ['nginx:u']), thing);
  const attributes = thing['attributes'] as JsonObject;
  assert.equal(e.filterReadable('thing', p('/attributes'), attributes, ['nginx:u']), attributes);
  // Revokes elsewhere do not disturb it, and an object that loses nothing is returned as is.
  const partly = compilePolicy(policy({ o: entry(['nginx:u'], { 'thing:/': grant('READ'), 'thing:/features/g': revoke('READ') }) }));
  assert.equal(partly.filterReadable('thing', p('/attributes'), attributes, ['nginx:u']), attributes);
  assert.equal(partly.filterReadable('thing', [], { attributes }, ['nginx:u']) !== undefined, true);
});

void test('[ditto: basic-policy "write does not imply read"] permissions are independent', () => {
  const e = compilePolicy(policy({ w: entry(['nginx:u'], { 'thing:/': grant('WRITE'), 'message:/': grant('EXECUTE') }) }));
  assert.equal(e.hasUnrestricted('thing', [], ['nginx:u'], W), true);
  assert.equal(e.hasPartial('thing', [], ['nginx:u'], R), false);
  assert.equal(e.hasUnrestricted('thing', [], ['nginx:u'], ['READ', 'WRITE']), false);
  assert.equal(e.filterReadable('thing', [], thing, ['nginx:u']), undefined);
  assert.equal(e.hasUnrestricted('message', p('/inbox/messages/x'), ['nginx:u'], ['EXECUTE']), true);
  assert.equal(e.hasUnrestricted('message', [], ['nginx:u'], W), false);
});

void test('[ditto: basic-policy] resource types are separate trees', () => {
  const e = compilePolicy(policy({ t: entry(['nginx:u'], { 'thing:/': grant('READ', 'WRITE') }) }));
  assert.equal(e.hasPartial('policy', [], ['nginx:u'], R), false);
  assert.equal(e.hasPartial('message', p('/inbox'), ['nginx:u'], W), false);
});

void test('[ditto: basic-policy] entries of all the caller\'s subjects are combined', () => {
  const e = compilePolicy(policy({
    readers: entry(['nginx:a'], { 'thing:/attributes': grant('READ') }),
    writers: entry(['nginx:b'], { 'thing:/attributes': grant('WRITE') }),
  }));
  assert.equal(e.hasUnrestricted('thing', p('/attributes'), ['nginx:a'], ['READ', 'WRITE']), false);
  assert.equal(e.hasUnrestricted('thing', p('/attributes'), ['nginx:a', 'nginx:b'], ['READ', 'WRITE']), true);
  assert.equal(e.hasUnrestricted('thing', p('/attributes'), ['x:unknown', 'nginx:b'], W), true);
});

void test('[ditto: basic-policy grant-revoke] a revoke for one of the caller\'s subjects beats a grant for another', () => {
  const e = compilePolicy(policy({
    all: entry(['nginx:a'], { 'thing:/': grant('READ') }),
    deny: entry(['group:g'], { 'thing:/attributes': revoke('READ') }),
  }));
  assert.equal(e.hasPartial('thing', p('/attributes/location'), ['nginx:a'], R), true);
  assert.equal(e.hasPartial('thing', p('/attributes/location'), ['nginx:a', 'group:g'], R), false);
  assert.deepEqual(e.filterReadable('thing', [], thing, ['nginx:a', 'group:g']),
    { thingId: thing['thingId'], policyId: thing['policyId'], features: thing['features'] });
});

void test('[ditto: basic-policy grant-revoke] at equal depth a revoke wins; a deeper grant reopens', () => {
  const e = compilePolicy(policy({
    a: entry(['nginx:u'], { 'thing:/attributes': grant('READ') }),
    b: entry(['nginx:u'], { 'thing:/attributes': revoke('READ'), 'thing:/attributes/location': grant('READ') }),
  }));
  assert.equal(e.hasPartial('thing', p('/attributes/secret'), ['nginx:u'], R), false);
  assert.equal(e.hasUnrestricted('thing', p('/attributes/location'), ['nginx:u'], R), true);
  assert.equal(e.hasUnrestricted('thing', p('/attributes'), ['nginx:u'], R), false);
  assert.equal(e.hasPartial('thing', p('/attributes'), ['nginx:u'], R), true);
  assert.deepEqual(e.filterReadable('thing', p('/attributes'), thing['attributes'] as JsonObject, ['nginx:u']), { location: 'here' });
});

void test('[ditto: basic-policy] a grant and a revoke on the same path below still count as partial', () => {
  // Ditto weighs the grant below the requested path above any revoke at or above that path, so a
  // retrieve is allowed although no leaf can be shown.
  const e = compilePolicy(policy({ x: entry(['nginx:u'], { 'thing:/attributes': { grant: ['READ'], revoke: ['READ'] } }) }));
  assert.equal(e.hasPartial('thing', [], ['nginx:u'], R), true);
  assert.equal(e.hasPartial('thing', p('/attributes'), ['nginx:u'], R), false);
  assert.equal(e.filterReadable('thing', [], thing, ['nginx:u']), undefined);
});

void test('scalars, arrays and empty objects are leaves judged at their own path', () => {
  const e = compilePolicy(policy({ x: entry(['nginx:u'], {
    'thing:/attributes/list/0': grant('READ'), 'thing:/attributes/n/deeper': grant('READ'), 'thing:/attributes/empty': grant('READ'),
  }) }));
  const value = { list: [1, 2], n: 5, empty: {}, other: {} };
  assert.deepEqual(e.filterReadable('thing', p('/attributes'), value, ['nginx:u']), { empty: {} });
  assert.equal(e.filterReadable('thing', p('/attributes/n'), 5, ['nginx:u']), undefined);
  assert.equal(e.filterReadable('thing', p('/attributes/n/deeper'), 5, ['nginx:u']), 5);
});

void test('callers without any subject of the policy get nothing', () => {
  const e = compilePolicy(createDefaultPolicy('com.acme:t', 'nginx:u'));
  assert.equal(e.hasPartial('thing', [], [], R), false);
  assert.equal(e.hasPartial('thing', [], ['nginx:other'], R), false);
  assert.equal(e.filterReadable('thing', [], thing, ['nginx:other', 'x:y']), undefined);
  assert.equal(e.hasUnrestricted('thing', [], ['nginx:u'], []), false);
});

void test('[ditto: basic-policy namespaces] entries scoped to namespaces apply only there', () => {
  const pol = policy({
    exact: entry(['nginx:a'], { 'thing:/': grant('READ') }, { namespaces: ['com.acme'] }),
    below: entry(['nginx:b'], { 'thing:/': grant('READ') }, { namespaces: ['com.acme.*'] }),
    everywhere: entry(['nginx:c'], { 'thing:/': grant('READ') }, { namespaces: [] }),
  });
  const reads = (namespace: string | undefined, subject: string): boolean =>
    compilePolicy(pol, namespace === undefined ? {} : { namespace }).hasPartial('thing', [], [subject], R);
  assert.deepEqual([reads('com.acme', 'nginx:a'), reads('com.acme', 'nginx:b'), reads('com.acme', 'nginx:c')], [true, false, true]);
  assert.deepEqual([reads('com.acme.x.y', 'nginx:a'), reads('com.acme.x.y', 'nginx:b')], [false, true]);
  assert.deepEqual([reads('com.acmex', 'nginx:b'), reads('org', 'nginx:c')], [false, true]);
  // Without a namespace the policy's own one is used.
  assert.equal(reads(undefined, 'nginx:a'), true);
});

void test('[ditto: basic-policy expiring-subjects] expired subjects are ignored', () => {
  const pol = policy({ x: { subjects: {
    'nginx:old': { type: 't', expiry: '2020-01-01T00:00:00Z' },
    'nginx:new': { type: 't', expiry: '2030-01-01T00:00:00Z' },
    'nginx:later': { type: 't', expiry: '2031-01-01T00:00:00Z' },
  }, resources: { 'thing:/': grant('READ') } } });
  const now = (): Date => new Date('2025-06-01T00:00:00Z');
  const e = compilePolicy(pol, { now });
  assert.equal(e.hasPartial('thing', [], ['nginx:old'], R), false);
  assert.equal(e.hasPartial('thing', [], ['nginx:new'], R), true);
  assert.deepEqual(e.nextSubjectExpiry, new Date('2030-01-01T00:00:00Z'));
  // The expiry instant itself still counts; only after it the subject is gone.
  const atExpiry = compilePolicy(pol, { now: () => new Date('2030-01-01T00:00:00Z') });
  assert.equal(atExpiry.hasPartial('thing', [], ['nginx:new'], R), true);
  // No clock: a subject with an expiry cannot be trusted.
  assert.equal(compilePolicy(pol).hasPartial('thing', [], ['nginx:new'], R), false);
});

void test('subjects holding a permission, each on its own', () => {
  const e = compilePolicy(policy({
    all: entry(['nginx:a', 'nginx:b'], { 'thing:/': grant('READ') }),
    some: entry(['nginx:c'], { 'thing:/features/f': grant('READ') }),
    deny: entry(['nginx:b'], { 'thing:/features': revoke('READ') }),
  }));
  assert.deepEqual([...e.subjectsWithPartial('thing', [], R)].sort(), ['nginx:a', 'nginx:b', 'nginx:c']);
  assert.deepEqual([...e.subjectsWithUnrestricted('thing', [], R)].sort(), ['nginx:a']);
  assert.deepEqual([...e.subjectsWithPartial('thing', p('/features/f/properties'), R)].sort(), ['nginx:a', 'nginx:c']);
  assert.equal(e.subjectsWithPartial('thing', [], R), e.subjectsWithPartial('thing', [], R));
});

void test('[ditto: basic-policy default policy] the default policy of a new thing', () => {
  const pol = createDefaultPolicy('com.acme:t', 'nginx:u');
  assert.deepEqual(JSON.parse(JSON.stringify(pol)), {
    policyId: 'com.acme:t',
    entries: { DEFAULT: {
      subjects: { 'nginx:u': { type: 'generated' } },
      resources: {
        'thing:/': { grant: ['READ', 'WRITE'], revoke: [] },
        'policy:/': { grant: ['READ', 'WRITE'], revoke: [] },
        'message:/': { grant: ['READ', 'WRITE'], revoke: [] },
      },
    } },
  });
  const e = compilePolicy(pol);
  for (const type of ['thing', 'policy', 'message'] as const) {
    assert.equal(e.hasUnrestricted(type, p('/a/b'), ['nginx:u'], ['READ', 'WRITE']), true);
    assert.equal(e.hasPartial(type, [], ['nginx:u'], ['EXECUTE']), false);
  }
});

void test('frozen subject arrays are served from the identity cache with the same answers', () => {
  const e = compilePolicy(policy({
    a: entry(['nginx:a'], { 'thing:/': grant('READ') }),
    b: entry(['nginx:b'], { 'thing:/attributes': revoke('READ') }),
  }));
  const subjects = Object.freeze(['nginx:a', 'nginx:b']);
  for (let i = 0; i < 3; i++) {
    assert.equal(e.hasPartial('thing', p('/attributes'), subjects, R), false);
    assert.equal(e.hasPartial('thing', p('/features'), subjects, R), true);
  }
  // A mutable array is looked up afresh each time, so changing it is safe.
  const mutable = ['nginx:a', 'nginx:b'];
  assert.equal(e.hasPartial('thing', p('/attributes'), mutable, R), false);
  mutable.pop();
  assert.equal(e.hasPartial('thing', p('/attributes'), mutable, R), true);
});

void test('a "__proto__" key stays plain data in a filtered view', () => {
  const e = compilePolicy(policy({ x: entry(['nginx:u'], { 'thing:/attributes': grant('READ'), 'thing:/attributes/hidden': revoke('READ') }) }));
  const value = JSON.parse('{"__proto__": {"polluted": true}, "hidden": 1, "shown": 2}') as JsonObject;
  const view = e.filterReadable('thing', p('/attributes'), value, ['nginx:u']) as JsonObject;
  assert.deepEqual(Object.keys(view), ['__proto__', 'shown']);
  assert.equal(Object.getPrototypeOf(view), Object.prototype);
});
