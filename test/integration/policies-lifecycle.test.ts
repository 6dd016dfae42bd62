import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusMessage } from '../../src/ports/bus.ts';
import { type Answer, as, errorOf, useTestServer, call, startTestServer } from '../support/doppel-server.ts';

// A fine expiry granularity keeps the expiry tests fast; Ditto's default is one hour.
const GRANULARITY_MS = 100;
const events: BusMessage[] = [];
const api = useTestServer({ policySubjectExpiryGranularityMs: GRANULARITY_MS }, (server) => {
  server.doppel.bus.subscribe('policies.events.>', (m) => events.push(m));
});

const ADMIN = 'pre:admin';
const USER = 'pre:user';
let n = 0;
const newId = (): string => `org.doppel.life:x-${++n}`;
const RW = { grant: ['READ', 'WRITE'], revoke: [] };
const admin = { subjects: { [ADMIN]: { type: 't' } }, resources: { 'policy:/': RW, 'thing:/': RW } };
const p = (id: string, rest = ''): string => `/api/2/policies/${id}${rest}`;
const t = (id: string, rest = ''): string => `/api/2/things/${id}${rest}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function expectError(r: Answer, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(errorOf(r), code, r.text);
}

async function thingWithPolicy(entries: Record<string, unknown>): Promise<{ policy: string; thing: string }> {
  const policy = newId();
  assert.equal((await api.call('PUT', p(policy), { headers: as(ADMIN), body: { entries: { ADMIN: admin, ...entries } } })).status, 201);
  const thing = newId();
  const r = await api.call('PUT', t(thing), { headers: as(ADMIN), body: { policyId: policy, attributes: { a: 1 } } });
  assert.equal(r.status, 201, r.text);
  return { policy, thing };
}

describe('expiring subjects', () => {
  test('an expiry is rounded up to the granularity; one in the past is refused', async () => {
    const { policy } = await thingWithPolicy({});
    const r = await api.call('PUT', p(policy, `/entries/ADMIN/subjects/${USER}`), { headers: as(ADMIN), body: { type: 'x', expiry: '2099-01-01T10:20:00.123Z' } });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json, { type: 'x', expiry: '2099-01-01T10:20:00.200Z' });
    const exact = await api.call('PUT', p(policy, '/entries/ADMIN/subjects/pre:exact'), { headers: as(ADMIN), body: { type: 'x', expiry: '2099-01-01T10:20:00+01:00' } });
    assert.deepEqual(exact.json, { type: 'x', expiry: '2099-01-01T09:20:00Z' });
    expectError(await api.call('PUT', p(policy, '/entries/ADMIN/subjects/pre:late'), { headers: as(ADMIN), body: { type: 'x', expiry: '2001-01-01T00:00:00Z' } }), 400, 'policies:subjectexpiry.invalid');
    expectError(await api.call('PUT', p(policy, '/entries/ADMIN/subjects/pre:late'), { headers: as(ADMIN), body: { type: 'x', expiry: 'tomorrow' } }), 400, 'policies:subjectexpiry.invalid');
  });

  test('an expired subject loses access at once and is removed from the policy with an event', async () => {
    const expiry = new Date(Date.now() + 600).toISOString();
    const { policy, thing } = await thingWithPolicy({ TEMP: { subjects: { [USER]: { type: 'x', expiry } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } } });
    assert.equal((await api.call('GET', t(thing), { headers: as(USER) })).status, 200);
    const stored = (await api.call('GET', p(policy, `/entries/TEMP/subjects/${USER}`), { headers: as(ADMIN) })).json as { expiry: string };
    const at = Date.parse(stored.expiry);
    assert.ok(at >= Date.parse(expiry) && at - Date.parse(expiry) < GRANULARITY_MS);
    await sleep(Math.max(0, at - Date.now()) + 5);
    expectError(await api.call('GET', t(thing), { headers: as(USER) }), 404, 'things:thing.notfound');
    for (let i = 0; i < 100 && (await api.call('GET', p(policy, '/entries/TEMP/subjects'), { headers: as(ADMIN) })).text !== '{}'; i++) await sleep(10);
    assert.deepEqual((await api.call('GET', p(policy, '/entries/TEMP/subjects'), { headers: as(ADMIN) })).json, {});
    const journal = await api.server.doppel.store.journal('policy', policy, 1, 10);
    assert.deepEqual(journal.map((j) => [j.event['type'], j.event['path']]), [
      ['policies.events:policyCreated', '/'],
      ['policies.events:subjectDeleted', `/entries/TEMP/subjects/${USER}`],
    ]);
    assert.ok(events.some((e) => e.payload['policyId'] === policy && e.payload['type'] === 'policies.events:subjectDeleted'));
  });

  test('several expired subjects go in one event', async () => {
    const expiry = new Date(Date.now() + 300).toISOString();
    const { policy } = await thingWithPolicy({
      A: { subjects: { 'pre:a1': { type: 'x', expiry }, 'pre:a2': { type: 'x', expiry } }, resources: {} },
      B: { subjects: { 'pre:b1': { type: 'x', expiry } }, resources: {} },
    });
    for (let i = 0; i < 100 && !events.some((e) => e.payload['policyId'] === policy && e.payload['revision'] === 2); i++) await sleep(10);
    const e = events.find((x) => x.payload['policyId'] === policy && x.payload['revision'] === 2);
    assert.equal(e?.payload['type'], 'policies.events:subjectsDeletedPartially');
    assert.deepEqual(e?.payload['value'], { A: ['pre:a1', 'pre:a2'], B: ['pre:b1'] });
  });
});

describe('policies and their things', () => {
  test('deleting a policy makes its things inaccessible until it is created again', async () => {
    const { policy, thing } = await thingWithPolicy({});
    assert.equal((await api.call('DELETE', p(policy), { headers: as(ADMIN) })).status, 204);
    expectError(await api.call('GET', t(thing), { headers: as(ADMIN) }), 404, 'things:thing.notfound');
    expectError(await api.call('PUT', t(thing, '/attributes/a'), { headers: as(ADMIN), body: 2 }), 403, 'things:attribute.notmodifiable');
    assert.equal((await api.call('PUT', p(policy), { headers: as(ADMIN), body: { entries: { ADMIN: admin } } })).status, 201);
    assert.equal((await api.call('GET', t(thing, '/attributes/a'), { headers: as(ADMIN) })).json, 1);
  });

  test('a policy change is seen by the very next thing request', async () => {
    const { policy, thing } = await thingWithPolicy({});
    expectError(await api.call('GET', t(thing), { headers: as(USER) }), 404, 'things:thing.notfound');
    await api.call('PUT', p(policy, '/entries/U'), { headers: as(ADMIN), body: { subjects: { [USER]: { type: 'x' } }, resources: { 'thing:/attributes': RW } } });
    assert.equal((await api.call('PUT', t(thing, '/attributes/a'), { headers: as(USER), body: 5 })).status, 204);
    await api.call('PUT', p(policy, '/entries/U/resources/thing:/attributes'), { headers: as(ADMIN), body: { grant: ['READ'], revoke: [] } });
    expectError(await api.call('PUT', t(thing, '/attributes/a'), { headers: as(USER), body: 6 }), 403, 'things:attribute.notmodifiable');
  });
});

describe('never failing open', () => {
  test('a policy that cannot be loaded makes its things unavailable (503), not open', async () => {
    const limited = await startTestServer({ cacheMaxPolicies: 1 });
    try {
      const policy = newId();
      await call(limited.url, 'PUT', p(policy), { headers: as(ADMIN), body: { entries: { ADMIN: admin } } });
      const thing = newId();
      assert.equal((await call(limited.url, 'PUT', t(thing), { headers: as(ADMIN), body: { policyId: policy } })).status, 201);
      // Another policy pushes the first out of the (one-policy) cache.
      await call(limited.url, 'PUT', p(newId()), { headers: as(ADMIN), body: { entries: { ADMIN: admin } } });
      const store = limited.doppel.store;
      const load = store.load.bind(store);
      store.load = (type, id) => (type === 'policy' ? Promise.reject(new Error('store down')) : load(type, id));
      expectError(await call(limited.url, 'GET', t(thing), { headers: as(ADMIN) }), 503, 'policies:policy.unavailable');
      expectError(await call(limited.url, 'PUT', t(thing, '/attributes/x'), { headers: as(ADMIN), body: 1 }), 503, 'policies:policy.unavailable');
      expectError(await call(limited.url, 'GET', p(policy), { headers: as(ADMIN) }), 503, 'policies:policy.unavailable');
      store.load = load;
      assert.equal((await call(limited.url, 'GET', t(thing), { headers: as(ADMIN) })).status, 200);
    } finally {
      await limited.close();
    }
  });
});

describe('checkPermissions', () => {
  test('answers per named check with the caller\'s subjects; unknown entities are false', async () => {
    const { policy, thing } = await thingWithPolicy({
      U: { subjects: { [USER]: { type: 'x' } }, resources: { 'thing:/attributes': RW, 'thing:/attributes/secret': { grant: [], revoke: ['WRITE'] }, 'message:/inbox': { grant: ['WRITE'], revoke: [] }, 'policy:/entries/U': { grant: ['READ'], revoke: [] } } },
    });
    const body = {
      readAttrs: { resource: 'thing:/attributes', entityId: thing, hasPermissions: ['READ'] },
      writeAttrs: { resource: 'thing:/attributes', entityId: thing, hasPermissions: ['READ', 'WRITE'] },
      writeSecret: { resource: 'thing:/attributes/secret', entityId: thing, hasPermissions: ['WRITE'] },
      readRoot: { resource: 'thing:/', entityId: thing, hasPermissions: ['READ'] },
      send: { resource: 'message:/inbox/messages/hello', entityId: thing, hasPermissions: ['WRITE'] },
      readEntry: { resource: 'policy:/entries/U', entityId: policy, hasPermissions: ['READ'] },
      writePolicy: { resource: 'policy:/', entityId: policy, hasPermissions: ['WRITE'] },
      unknownThing: { resource: 'thing:/', entityId: 'org.doppel.life:nothing', hasPermissions: ['READ'] },
      unknownPolicy: { resource: 'policy:/', entityId: 'org.doppel.life:nothing', hasPermissions: ['READ'] },
      fly: { resource: 'thing:/attributes', entityId: thing, hasPermissions: ['FLY'] },
    };
    const r = await api.call('POST', '/api/2/checkPermissions', { headers: as(USER), body });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      readAttrs: true, writeAttrs: false, writeSecret: false, readRoot: false, send: true, readEntry: true, writePolicy: false,
      unknownThing: false, unknownPolicy: false, fly: false,
    });
    assert.deepEqual(Object.keys(r.json as object), Object.keys(body));
    const asAdmin = await api.call('POST', '/api/2/checkPermissions', { headers: as(ADMIN), body: { w: body.writePolicy } });
    assert.deepEqual(asAdmin.json, { w: true });
  });

  test('invalid checks are 400', async () => {
    const check = (c: unknown): Promise<Answer> => api.call('POST', '/api/2/checkPermissions', { headers: as(USER), body: { c } });
    expectError(await check({ resource: 'thing:/', entityId: 'no-namespace', hasPermissions: ['READ'] }), 400, 'things:id.invalid');
    expectError(await check({ resource: 'policy:/', entityId: 'no-namespace', hasPermissions: ['READ'] }), 400, 'policies:id.invalid');
    expectError(await check({ resource: 'car:/', entityId: 'a:b', hasPermissions: ['READ'] }), 400, 'json.invalid');
    expectError(await check({ resource: 'thing:/', hasPermissions: ['READ'] }), 400, 'json.field.missing');
    assert.equal((await api.call('GET', '/api/2/checkPermissions', { headers: as(USER) })).status, 405);
  });
});
