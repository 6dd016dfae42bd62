import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, errorOf, useTestServer } from '../support/doppel-server.ts';

const api = useTestServer();

const OWNER = 'pre:owner';
const READER = 'pre:reader';
const STRANGER = 'pre:stranger';
let n = 0;
const newId = (): string => `org.doppel.policy:thing-${++n}`;

/** owner: everything; reader: READ on attributes except `secret`, WRITE on attributes/notes only. */
function finePolicy(): unknown {
  return {
    entries: {
      OWNER: {
        subjects: { [OWNER]: { type: 'test' } },
        resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } },
      },
      READER: {
        subjects: { [READER]: { type: 'test' } },
        resources: {
          'thing:/attributes': { grant: ['READ'], revoke: [] },
          'thing:/attributes/secret': { grant: [], revoke: ['READ'] },
          'thing:/attributes/notes': { grant: ['WRITE'], revoke: [] },
        },
      },
    },
  };
}

async function createFine(): Promise<string> {
  const id = newId();
  const r = await api.call('PUT', `/api/2/things/${id}`, {
    headers: as(OWNER),
    body: { _policy: finePolicy(), attributes: { public: 1, secret: 'x', notes: 'n' }, features: { f: { properties: { p: 1 } } } },
  });
  assert.equal(r.status, 201, r.text);
  return id;
}

describe('fine-grained policies through _policy', () => {
  test('the whole thing: its stored text for a caller who may read all of it, a filtered copy for others', async () => {
    const id = await createFine();
    const put = await api.call('PUT', `/api/2/things/${id}/attributes`, { headers: as(OWNER), body: { zeta: 1, secret: 's', alpha: { b: 2, a: 1 }, notes: 'n' } });
    assert.equal(put.status, 204, put.text);
    const owner = await api.call('GET', `/api/2/things/${id}`, { headers: as(OWNER) });
    assert.equal(owner.status, 200);
    assert.equal(owner.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(owner.headers.get('etag'), '"rev:2"');
    // Byte for byte as written: no spaces, keys in the order they were given.
    assert.equal(owner.text, JSON.stringify({ thingId: id, policyId: id, attributes: { zeta: 1, secret: 's', alpha: { b: 2, a: 1 }, notes: 'n' }, features: { f: { properties: { p: 1 } } } }));
    const reader = await api.call('GET', `/api/2/things/${id}`, { headers: as(READER) });
    assert.equal(reader.text, JSON.stringify({ thingId: id, attributes: { zeta: 1, alpha: { b: 2, a: 1 }, notes: 'n' } }));
    const notModified = await api.call('GET', `/api/2/things/${id}`, { headers: as(OWNER, { 'if-none-match': '"rev:2"' }) });
    assert.equal(notModified.status, 304);
    const unmet = await api.call('GET', `/api/2/things/${id}?condition=eq(attributes/zeta,2)`, { headers: as(OWNER) });
    assert.equal(unmet.status, 412);
  });

  test('a partial reader sees only readable parts, thingId always', async () => {
    const id = await createFine();
    const r = await api.call('GET', `/api/2/things/${id}`, { headers: as(READER) });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { thingId: id, attributes: { public: 1, notes: 'n' } });
    const secret = await api.call('GET', `/api/2/things/${id}/attributes/secret`, { headers: as(READER) });
    assert.equal(secret.status, 404);
    assert.equal(errorOf(secret), 'things:attribute.notfound');
    const features = await api.call('GET', `/api/2/things/${id}/features`, { headers: as(READER) });
    assert.equal(errorOf(features), 'things:features.notfound');
    const owner = await api.call('GET', `/api/2/things/${id}`, { headers: as(OWNER) });
    assert.deepEqual((owner.json as { attributes: unknown }).attributes, { public: 1, secret: 'x', notes: 'n' });
  });

  test('a reader may not write (403), a stranger may not even know (404)', async () => {
    const id = await createFine();
    const w = await api.call('PUT', `/api/2/things/${id}/attributes/public`, { headers: as(READER), body: 2 });
    assert.equal(w.status, 403);
    assert.equal(errorOf(w), 'things:attribute.notmodifiable');
    const d = await api.call('DELETE', `/api/2/things/${id}`, { headers: as(READER) });
    assert.equal(errorOf(d), 'things:thing.notdeletable');
    const notes = await api.call('PUT', `/api/2/things/${id}/attributes/notes`, { headers: as(READER), body: 'mine' });
    assert.equal(notes.status, 204);
    const s = await api.call('GET', `/api/2/things/${id}`, { headers: as(STRANGER) });
    assert.equal(s.status, 404);
    assert.equal(errorOf(s), 'things:thing.notfound');
    const sw = await api.call('PUT', `/api/2/things/${id}/attributes/public`, { headers: as(STRANGER), body: 2 });
    assert.equal(sw.status, 404);
    const ids = await api.call('GET', `/api/2/things?ids=${id}`, { headers: as(STRANGER) });
    assert.deepEqual(ids.json, []);
  });

  test('a merge needs WRITE on every path it touches', async () => {
    const id = await createFine();
    const mixed = await api.call('PATCH', `/api/2/things/${id}`, { headers: as(READER), body: { attributes: { notes: 'a', public: 5 } } });
    assert.equal(mixed.status, 403);
    const attrs = await api.call('GET', `/api/2/things/${id}/attributes`, { headers: as(OWNER) });
    assert.deepEqual(attrs.json, { public: 1, secret: 'x', notes: 'n' });
    const allowed = await api.call('PATCH', `/api/2/things/${id}`, { headers: as(READER), body: { attributes: { notes: 'b' } } });
    assert.equal(allowed.status, 204);
  });

  test('a condition on an unreadable field does not hold', async () => {
    const id = await createFine();
    const r = await api.call('GET', `/api/2/things/${id}/attributes/public`, { headers: as(READER, { condition: 'eq(attributes/secret,"x")' }) });
    assert.equal(r.status, 412);
    const owner = await api.call('GET', `/api/2/things/${id}/attributes/public`, { headers: as(OWNER, { condition: 'eq(attributes/secret,"x")' }) });
    assert.equal(owner.status, 200);
  });

  test('fields=_policy shows the policy only to who may read it', async () => {
    const id = await createFine();
    const owner = await api.call('GET', `/api/2/things/${id}?fields=_policy/entries/READER/subjects`, { headers: as(OWNER) });
    assert.deepEqual(owner.json, { _policy: { entries: { READER: { subjects: { [READER]: { type: 'test' } } } } } });
    const reader = await api.call('GET', `/api/2/things/${id}?fields=thingId,_policy`, { headers: as(READER) });
    assert.deepEqual(reader.json, { thingId: id });
  });

  test('{{ request:subjectId }} in an inline policy becomes the creator', async () => {
    const id = newId();
    const policy = { entries: { ME: { subjects: { '{{ request:subjectId }}': { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } } } };
    assert.equal((await api.call('PUT', `/api/2/things/${id}`, { headers: as('pre:creator'), body: { _policy: policy } })).status, 201);
    assert.equal((await api.call('GET', `/api/2/things/${id}`, { headers: as('pre:creator') })).status, 200);
    assert.equal((await api.call('GET', `/api/2/things/${id}`, { headers: as(OWNER) })).status, 404);
  });
});

describe('inline policy rules', () => {
  test('an inline policy that does not let the creator write is refused', async () => {
    const id = newId();
    const policy = { entries: { R: { subjects: { [OWNER]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } } } };
    const r = await api.call('PUT', `/api/2/things/${id}`, { headers: as(OWNER), body: { _policy: policy } });
    assert.equal(r.status, 403);
    assert.equal((await api.call('GET', `/api/2/things/${id}`, { headers: as(OWNER) })).status, 404);
  });

  test('_policy with _copyPolicyFrom conflicts, _policy on an existing thing is not allowed', async () => {
    const id = await createFine();
    const both = await api.call('PUT', `/api/2/things/${newId()}`, { headers: as(OWNER), body: { _policy: finePolicy(), _copyPolicyFrom: id } });
    assert.equal(errorOf(both), 'things:policy.conflicting');
    const again = await api.call('PUT', `/api/2/things/${id}`, { headers: as(OWNER), body: { _policy: finePolicy() } });
    assert.equal(errorOf(again), 'things:policy.notallowed');
    const invalid = await api.call('PUT', `/api/2/things/${newId()}`, { headers: as(OWNER), body: { _policy: { entries: { 'bad/label': {} } } } });
    assert.equal(invalid.status, 400);
    assert.equal(errorOf(invalid), 'things:policy.invalid');
  });

  test('_copyPolicyFrom copies a readable policy, by ID or by a thing reference', async () => {
    const source = await createFine();
    const copy = newId();
    const r = await api.call('PUT', `/api/2/things/${copy}`, { headers: as(OWNER), body: { _copyPolicyFrom: source } });
    assert.equal(r.status, 201, r.text);
    assert.equal((r.json as { policyId: string }).policyId, copy);
    assert.deepEqual((await api.call('GET', `/api/2/things/${copy}`, { headers: as(READER) })).json, { thingId: copy });
    const byRef = newId();
    const ref = await api.call('PUT', `/api/2/things/${byRef}`, { headers: as(OWNER), body: { _copyPolicyFrom: `{{ ref:things/${source}/policyId }}` } });
    assert.equal(ref.status, 201, ref.text);
    const stranger = await api.call('PUT', `/api/2/things/${newId()}`, { headers: as(STRANGER), body: { _copyPolicyFrom: source } });
    assert.equal(errorOf(stranger), 'policies:policy.notfound');
  });

  test('a thing may use an existing policy that lets its creator write', async () => {
    const source = await createFine();
    const other = newId();
    assert.equal((await api.call('PUT', `/api/2/things/${other}`, { headers: as(OWNER), body: { policyId: source } })).status, 201);
    const denied = await api.call('PUT', `/api/2/things/${newId()}`, { headers: as(READER), body: { policyId: source } });
    assert.equal(denied.status, 403);
  });
});

describe('special fields', () => {
  test('an attribute named _policy is an attribute, not the policy', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { headers: as(OWNER), body: { attributes: { _policy: 'mine' } } });
    const r = await api.call('GET', `/api/2/things/${id}?fields=attributes/_policy`, { headers: as(OWNER) });
    assert.deepEqual(r.json, { attributes: { _policy: 'mine' } });
    const both = await api.call('GET', `/api/2/things/${id}?fields=attributes(_policy),_policy/policyId`, { headers: as(OWNER) });
    assert.deepEqual(both.json, { attributes: { _policy: 'mine' }, _policy: { policyId: id } });
  });
});
