import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNamespaceRoots } from '../../src/policy/index.ts';
import { as, errorOf, useTestServer } from '../support/doppel-server.ts';

// [ditto: basic-policy "Namespace root policies"] operator-configured policies whose implicit
// entries count in every policy of the matching namespaces, without being stored there.
const ROOT = 'org.doppel.tenant:root';
const api = useTestServer({
  namespacePolicies: parseNamespaceRoots(JSON.stringify({ 'org.doppel.tenant.*': [ROOT], 'org.doppel.lonely': ['org.doppel.tenant:missing'] })),
});

const ADMIN = 'pre:admin';
const READER = 'pre:tenant-reader';
const RW = { grant: ['READ', 'WRITE'], revoke: [] };
const READ = { grant: ['READ'], revoke: [] };
const admin = { subjects: { [ADMIN]: { type: 't' } }, resources: { 'policy:/': RW, 'thing:/': RW } };

async function thingIn(namespace: string, name: string): Promise<string> {
  const id = `${namespace}:${name}`;
  assert.equal((await api.call('PUT', `/api/2/policies/${id}`, { headers: as(ADMIN), body: { entries: { admin } } })).status, 201);
  const r = await api.call('PUT', `/api/2/things/${id}`, { headers: as(ADMIN), body: { policyId: id, attributes: { a: 1 } } });
  assert.equal(r.status, 201, r.text);
  return id;
}

test('implicit root entries grant in matching namespaces, show in the resolved view, and follow root changes at once', async () => {
  const root = {
    entries: {
      admin: { ...admin, importable: 'never' },
      TENANT_READER: { subjects: { [READER]: { type: 'tenant' } }, resources: { 'thing:/': READ, 'policy:/': READ } },
      EXPLICIT: { subjects: { 'pre:explicit': { type: 't' } }, resources: { 'thing:/': READ }, importable: 'explicit' },
    },
  };
  assert.equal((await api.call('PUT', `/api/2/policies/${ROOT}`, { headers: as(ADMIN), body: root })).status, 201);
  const device = await thingIn('org.doppel.tenant.devices', 'd1');
  assert.equal((await api.call('GET', `/api/2/things/${device}`, { headers: as(READER) })).status, 200);
  assert.equal((await api.call('GET', `/api/2/things/${device}`, { headers: as('pre:explicit') })).status, 404);

  const original = await api.call('GET', `/api/2/policies/${device}`, { headers: as(ADMIN) });
  assert.deepEqual(Object.keys((original.json as { entries: object }).entries), ['admin']);
  const resolved = await api.call('GET', `/api/2/policies/${device}?policy-view=resolved`, { headers: as(ADMIN) });
  assert.deepEqual(Object.keys((resolved.json as { entries: object }).entries), ['admin', `nsimported-${ROOT}-TENANT_READER`]);
  // The reader reads the policy through the root entry too, and sees only what it may read.
  assert.equal((await api.call('GET', `/api/2/policies/${device}`, { headers: as(READER) })).status, 200);

  // A change of the root policy counts from the next request.
  const revoke = { grant: [], revoke: ['READ'] };
  assert.equal((await api.call('PUT', `/api/2/policies/${ROOT}/entries/TENANT_READER/resources/thing:`, { headers: as(ADMIN), body: revoke })).status, 204);
  assert.equal((await api.call('GET', `/api/2/things/${device}`, { headers: as(READER) })).status, 404);
});

test('the pattern needs a segment below it; a missing root contributes nothing; nsimported- labels are refused', async () => {
  const top = await thingIn('org.doppel.tenant', 't1');
  assert.equal((await api.call('GET', `/api/2/things/${top}`, { headers: as(READER) })).status, 404);
  const lonely = await thingIn('org.doppel.lonely', 'l1');
  assert.equal((await api.call('GET', `/api/2/things/${lonely}`, { headers: as(ADMIN) })).status, 200);
  const r = await api.call('PUT', `/api/2/policies/${lonely}/entries/nsimported-x`, { headers: as(ADMIN), body: admin });
  assert.equal(r.status, 400, r.text);
  assert.equal(errorOf(r), 'policies:label.invalid');
});
