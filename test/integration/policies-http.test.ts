import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusMessage } from '../../src/ports/bus.ts';
import { type Answer, as, errorOf, useTestServer } from '../support/doppel-server.ts';

const events: BusMessage[] = [];
const api = useTestServer({}, (server) => {
  server.doppel.bus.subscribe('policies.events.>', (m) => events.push(m));
});

const OWNER = 'pre:owner';
const OTHER = 'pre:other';
let n = 0;
const newId = (): string => `org.doppel.pol:p-${++n}`;
const RW = { grant: ['READ', 'WRITE'], revoke: [] };
const owner = (subject = OWNER): Record<string, unknown> => ({ subjects: { [subject]: { type: 't' } }, resources: { 'policy:/': RW, 'thing:/': RW } });
const p = (id: string, rest = ''): string => `/api/2/policies/${id}${rest}`;

async function created(entries: Record<string, unknown> = { OWNER: owner() }): Promise<string> {
  const id = newId();
  const r = await api.call('PUT', p(id), { headers: as(OWNER), body: { entries } });
  assert.equal(r.status, 201, r.text);
  return id;
}

function expectError(r: Answer, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(errorOf(r), code, r.text);
}

describe('the whole policy', () => {
  test('PUT creates (201, Location, ETag, importable spelled out), GET reads, PUT modifies (204), DELETE removes', async () => {
    const id = newId();
    const c = await api.call('PUT', p(id), { headers: as(OWNER), body: { entries: { OWNER: owner() } } });
    assert.equal(c.status, 201);
    assert.equal(c.headers.get('location'), `${api.url}${p(id)}`);
    assert.equal(c.headers.get('etag'), '"rev:1"');
    const expected = { policyId: id, entries: { OWNER: { ...owner(), importable: 'implicit' } } };
    assert.deepEqual(c.json, expected);
    const g = await api.call('GET', p(id), { headers: as(OWNER) });
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, expected);
    const m = await api.call('PUT', p(id), { headers: as(OWNER), body: { policyId: id, entries: { OWNER: owner(), X: owner(OTHER) } } });
    assert.equal(m.status, 204);
    assert.equal(m.headers.get('etag'), '"rev:2"');
    assert.equal((await api.call('GET', p(id, '/entries/X'), { headers: as(OTHER) })).status, 200);
    assert.equal((await api.call('DELETE', p(id), { headers: as(OWNER) })).status, 204);
    expectError(await api.call('GET', p(id), { headers: as(OWNER) }), 404, 'policies:policy.notfound');
    // Recreated, the revision goes on.
    const again = await api.call('PUT', p(id), { headers: as(OWNER), body: { entries: { OWNER: owner() } } });
    assert.equal(again.headers.get('etag'), '"rev:4"');
  });

  test('POST generates the ID (namespace parameter), refuses a policyId in the body', async () => {
    const r = await api.call('POST', '/api/2/policies?namespace=my.space', { headers: as(OWNER), body: { entries: { OWNER: owner() } } });
    assert.equal(r.status, 201);
    const id = (r.json as { policyId: string }).policyId;
    assert.match(id, /^my\.space:[0-9a-f-]{36}$/);
    assert.equal(r.headers.get('location'), `${api.url}/api/2/policies/${id}`);
    const d = await api.call('POST', '/api/2/policies', { headers: as(OWNER), body: { entries: { OWNER: owner() } } });
    assert.match((d.json as { policyId: string }).policyId, /^org\.eclipse\.ditto:/);
    expectError(await api.call('POST', '/api/2/policies', { headers: as(OWNER), body: { policyId: 'a:b', entries: {} } }), 400, 'policies:id.notsettable');
    expectError(await api.call('PUT', p('a:b'), { headers: as(OWNER), body: { policyId: 'a:c', entries: {} } }), 400, 'policies:id.notsettable');
    expectError(await api.call('PUT', p('nonamespace'), { headers: as(OWNER), body: { entries: {} } }), 400, 'policies:id.invalid');
  });

  test('fields select parts and special fields; policy-view must be original or resolved', async () => {
    const id = await created();
    const r = await api.call('GET', p(id, '?fields=policyId,_revision,_namespace,entries/OWNER/subjects'), { headers: as(OWNER) });
    assert.deepEqual(r.json, { policyId: id, _revision: 1, _namespace: 'org.doppel.pol', entries: { OWNER: { subjects: { [OWNER]: { type: 't' } } } } });
    expectError(await api.call('GET', p(id, '?policy-view=merged'), { headers: as(OWNER) }), 400, 'policies:view.invalid');
    assert.equal((await api.call('GET', p(id, '?policy-view=original'), { headers: as(OWNER) })).status, 200);
  });

  test('ETags: If-Match, If-None-Match on reads (304) and writes (412)', async () => {
    const id = await created();
    const g = await api.call('GET', p(id, '/entries/OWNER'), { headers: as(OWNER) });
    const tag = g.headers.get('etag') ?? '';
    assert.match(tag, /^"hash:/);
    const nm = await api.call('GET', p(id, '/entries/OWNER'), { headers: as(OWNER, { 'if-none-match': tag }) });
    assert.equal(nm.status, 304);
    expectError(await api.call('PUT', p(id), { headers: as(OWNER, { 'if-match': '"rev:7"' }), body: { entries: { OWNER: owner() } } }), 412, 'policies:precondition.failed');
    expectError(await api.call('PUT', p(newId()), { headers: as(OWNER, { 'if-match': '*' }), body: { entries: { OWNER: owner() } } }), 412, 'policies:precondition.failed');
    expectError(await api.call('PUT', p(id), { headers: as(OWNER, { 'if-none-match': '*' }), body: { entries: { OWNER: owner() } } }), 412, 'policies:precondition.failed');
    assert.equal((await api.call('PUT', p(id, '/entries/NEW'), { headers: as(OWNER, { 'if-none-match': '*' }), body: owner(OTHER) })).status, 201);
    assert.equal((await api.call('PUT', p(id), { headers: as(OWNER, { 'if-match': '"rev:2"' }), body: { entries: { OWNER: owner() } } })).status, 204);
    const same = await api.call('PUT', p(id, '/entries/OWNER'), { headers: as(OWNER, { 'if-equal': 'skip' }), body: owner() });
    expectError(same, 412, 'policies:precondition.failed');
  });

  test('response-required=false answers 202 and still applies the change', async () => {
    const id = await created();
    const r = await api.call('PUT', p(id, '/entries/LATER?response-required=false'), { headers: as(OWNER), body: owner(OTHER) });
    assert.equal(r.status, 202);
    for (let i = 0; i < 50 && (await api.call('GET', p(id, '/entries/LATER'), { headers: as(OWNER) })).status !== 200; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal((await api.call('GET', p(id, '/entries/LATER'), { headers: as(OWNER) })).status, 200);
  });

  test('each change is an event with the next revision, in the journal and on the bus', async () => {
    const id = await created();
    await api.call('PUT', p(id, '/entries/E'), { headers: as(OWNER), body: owner(OTHER) });
    await api.call('PUT', p(id, '/entries/E/subjects/pre:third'), { headers: as(OWNER), body: { type: 'x' } });
    await api.call('DELETE', p(id, '/entries/E/resources/thing:/'), { headers: as(OWNER) });
    const journal = await api.server.doppel.store.journal('policy', id, 1, 10);
    assert.deepEqual(journal.map((j) => [j.revision, j.event['type'], j.event['path']]), [
      [1, 'policies.events:policyCreated', '/'],
      [2, 'policies.events:policyEntryCreated', '/entries/E'],
      [3, 'policies.events:subjectCreated', '/entries/E/subjects/pre:third'],
      [4, 'policies.events:resourceDeleted', '/entries/E/resources/thing:/'],
    ]);
    const mine = events.filter((e) => e.payload['policyId'] === id);
    assert.deepEqual(mine.map((e) => [e.subject, e.payload['revision']]), [
      ['policies.events.created.org.doppel.pol', 1],
      ['policies.events.created.org.doppel.pol', 2],
      ['policies.events.created.org.doppel.pol', 3],
      ['policies.events.deleted.org.doppel.pol', 4],
    ]);
  });

  test('unknown routes are 404, wrong methods 405', async () => {
    const id = await created();
    assert.equal((await api.call('GET', p(id, '/nothing'), { headers: as(OWNER) })).status, 404);
    assert.equal((await api.call('PATCH', p(id), { headers: as(OWNER), body: {} })).status, 405);
    assert.equal((await api.call('DELETE', p(id, '/entries'), { headers: as(OWNER) })).status, 405);
    assert.equal((await api.call('DELETE', p(id, '/entries/OWNER/importable'), { headers: as(OWNER) })).status, 405);
    assert.equal((await api.call('GET', '/api/2/policies', { headers: as(OWNER) })).status, 405);
  });
});

describe('entries, subjects and resources', () => {
  test('entries: GET and PUT (204)', async () => {
    const id = await created();
    const put = await api.call('PUT', p(id, '/entries'), { headers: as(OWNER), body: { OWNER: owner(), B: owner(OTHER) } });
    assert.equal(put.status, 204);
    const g = await api.call('GET', p(id, '/entries'), { headers: as(OWNER) });
    assert.deepEqual(Object.keys(g.json as object), ['OWNER', 'B']);
  });

  test('an entry: PUT creates (201 with the entry) or modifies (204); DELETE; GET of a missing one is 404', async () => {
    const id = await created();
    const c = await api.call('PUT', p(id, '/entries/READER'), { headers: as(OWNER), body: { subjects: { [OTHER]: { type: 'x' } }, resources: { 'thing:': { grant: ['READ'], revoke: [] } } } });
    assert.equal(c.status, 201);
    assert.deepEqual(c.json, { subjects: { [OTHER]: { type: 'x' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } }, importable: 'implicit' });
    assert.equal((await api.call('PUT', p(id, '/entries/READER'), { headers: as(OWNER), body: owner(OTHER) })).status, 204);
    assert.equal((await api.call('DELETE', p(id, '/entries/READER'), { headers: as(OWNER) })).status, 204);
    expectError(await api.call('GET', p(id, '/entries/READER'), { headers: as(OWNER) }), 404, 'policies:entry.notfound');
    expectError(await api.call('DELETE', p(id, '/entries/READER'), { headers: as(OWNER) }), 404, 'policies:entry.notfound');
    expectError(await api.call('PUT', p(id, '/entries/imported-x'), { headers: as(OWNER), body: owner() }), 400, 'policies:label.invalid');
  });

  test('subjects and a subject (its ID is the rest of the path)', async () => {
    const id = await created();
    assert.equal((await api.call('PUT', p(id, '/entries/OWNER/subjects'), { headers: as(OWNER), body: { [OWNER]: { type: 'a' }, 'pre:b': { type: 'b' } } })).status, 204);
    const url = await api.call('PUT', p(id, '/entries/OWNER/subjects/https:%2F%2Fissuer.example:user'), { headers: as(OWNER), body: { type: 'url issuer' } });
    assert.equal(url.status, 201);
    assert.deepEqual(url.json, { type: 'url issuer' });
    const g = await api.call('GET', p(id, '/entries/OWNER/subjects/https:%2F%2Fissuer.example:user'), { headers: as(OWNER) });
    assert.deepEqual(g.json, { type: 'url issuer' });
    assert.equal((await api.call('DELETE', p(id, '/entries/OWNER/subjects/pre:b'), { headers: as(OWNER) })).status, 204);
    expectError(await api.call('GET', p(id, '/entries/OWNER/subjects/pre:b'), { headers: as(OWNER) }), 404, 'policies:subject.notfound');
    expectError(await api.call('GET', p(id, '/entries/NOPE/subjects'), { headers: as(OWNER) }), 404, 'policies:entry.notfound');
    expectError(await api.call('PUT', p(id, '/entries/OWNER/subjects/nocolon'), { headers: as(OWNER), body: { type: 'x' } }), 400, 'policies:subjectid.invalid');
  });

  test('resources and a resource (its key is the rest of the path)', async () => {
    const id = await created();
    const c = await api.call('PUT', p(id, '/entries/OWNER/resources/thing:/features/lamp/properties'), { headers: as(OWNER), body: { grant: [], revoke: ['WRITE'] } });
    assert.equal(c.status, 201);
    const all = await api.call('GET', p(id, '/entries/OWNER/resources'), { headers: as(OWNER) });
    assert.deepEqual(Object.keys(all.json as object), ['policy:/', 'thing:/', 'thing:/features/lamp/properties']);
    assert.deepEqual((await api.call('GET', p(id, '/entries/OWNER/resources/thing:/features/lamp/properties'), { headers: as(OWNER) })).json, { grant: [], revoke: ['WRITE'] });
    assert.equal((await api.call('DELETE', p(id, '/entries/OWNER/resources/thing:/features/lamp/properties'), { headers: as(OWNER) })).status, 204);
    expectError(await api.call('GET', p(id, '/entries/OWNER/resources/thing:/features/lamp/properties'), { headers: as(OWNER) }), 404, 'policies:resource.notfound');
    assert.equal((await api.call('PUT', p(id, '/entries/OWNER/resources'), { headers: as(OWNER), body: { 'policy:/': RW } })).status, 204);
    expectError(await api.call('PUT', p(id, '/entries/OWNER/resources/thing:/x'), { headers: as(OWNER), body: { grant: ['FLY'], revoke: [] } }), 400, 'policies:entry.invalid');
  });

  test('importable, namespaces, allowedAdditions and references of an entry', async () => {
    const id = await created({ OWNER: owner(), T: { subjects: {}, resources: { 'thing:/a': RW } } });
    const e = (rest: string): string => p(id, `/entries/T${rest}`);
    assert.equal((await api.call('GET', e('/importable'), { headers: as(OWNER) })).json, 'implicit');
    assert.equal((await api.call('PUT', e('/importable'), { headers: as(OWNER), body: 'explicit' })).status, 204);
    assert.equal((await api.call('GET', e('/importable'), { headers: as(OWNER) })).json, 'explicit');
    expectError(await api.call('PUT', e('/importable'), { headers: as(OWNER), body: 'sometimes' }), 400, 'policies:entry.invalid');
    expectError(await api.call('GET', e('/namespaces'), { headers: as(OWNER) }), 404, 'policies:entry.notfound');
    assert.equal((await api.call('PUT', e('/namespaces'), { headers: as(OWNER), body: ['com.acme', 'com.acme.*'] })).status, 204);
    assert.deepEqual((await api.call('GET', e('/namespaces'), { headers: as(OWNER) })).json, ['com.acme', 'com.acme.*']);
    expectError(await api.call('PUT', e('/namespaces'), { headers: as(OWNER), body: ['*'] }), 400, 'policies:entry.invalid');
    assert.deepEqual((await api.call('GET', e('/allowedAdditions'), { headers: as(OWNER) })).json, []);
    assert.equal((await api.call('PUT', e('/allowedAdditions'), { headers: as(OWNER), body: ['subjects'] })).status, 204);
    assert.deepEqual((await api.call('GET', e('/allowedAdditions'), { headers: as(OWNER) })).json, ['subjects']);
    assert.equal((await api.call('DELETE', e('/allowedAdditions'), { headers: as(OWNER) })).status, 204);
    assert.deepEqual((await api.call('GET', e('/references'), { headers: as(OWNER) })).json, []);
    const refs = await api.call('PUT', e('/references'), { headers: as(OWNER), body: [{ entry: 'OWNER' }] });
    assert.equal(refs.status, 201);
    assert.deepEqual(refs.json, [{ entry: 'OWNER' }]);
    expectError(await api.call('DELETE', p(id, '/entries/OWNER'), { headers: as(OWNER) }), 409, 'policies:entry.referenceconflict');
    expectError(await api.call('PUT', e('/references'), { headers: as(OWNER), body: [{ entry: 'T' }] }), 400, 'policies:entry.invalid');
    assert.equal((await api.call('DELETE', e('/references'), { headers: as(OWNER) })).status, 204);
    assert.equal((await api.call('DELETE', p(id, '/entries/OWNER/resources/thing:/'), { headers: as(OWNER) })).status, 204);
  });
});

describe('enforcement on policy:/ resources', () => {
  test('reads need partial READ (404 otherwise) and are filtered; writes need unrestricted WRITE (403, 404 for strangers)', async () => {
    const id = await created({
      OWNER: owner(),
      READER: { subjects: { [OTHER]: { type: 'x' } }, resources: { 'policy:/entries/READER': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/entries/READER/subjects': { grant: [], revoke: ['WRITE'] } } },
    });
    const whole = await api.call('GET', p(id), { headers: as(OTHER) });
    assert.equal(whole.status, 200);
    assert.deepEqual(Object.keys((whole.json as { entries: object }).entries), ['READER']);
    assert.equal((whole.json as { policyId: string }).policyId, id);
    expectError(await api.call('GET', p(id, '/entries/OWNER'), { headers: as(OTHER) }), 404, 'policies:entry.notfound');
    expectError(await api.call('GET', p(id, '/imports'), { headers: as(OTHER) }), 404, 'policies:imports.notfound');
    expectError(await api.call('PUT', p(id, '/entries/OWNER'), { headers: as(OTHER), body: owner(OTHER) }), 403, 'policies:entry.notmodifiable');
    expectError(await api.call('PUT', p(id, '/entries/READER/subjects/pre:x'), { headers: as(OTHER), body: { type: 'x' } }), 403, 'policies:subject.notmodifiable');
    // Unrestricted: a revoke below the entry forbids writing the whole entry.
    expectError(await api.call('PUT', p(id, '/entries/READER'), { headers: as(OTHER), body: owner(OTHER) }), 403, 'policies:entry.notmodifiable');
    assert.equal((await api.call('PUT', p(id, '/entries/READER/resources/thing:/'), { headers: as(OTHER), body: { grant: ['READ'], revoke: [] } })).status, 201);
    expectError(await api.call('DELETE', p(id), { headers: as(OTHER) }), 403, 'policies:policy.notmodifiable');
    expectError(await api.call('GET', p(id), { headers: as('pre:stranger') }), 404, 'policies:policy.notfound');
    expectError(await api.call('PUT', p(id, '/entries/X'), { headers: as('pre:stranger'), body: owner() }), 404, 'policies:policy.notfound');
    expectError(await api.call('DELETE', p(id), { headers: as('pre:stranger') }), 404, 'policies:policy.notfound');
  });
});

describe('lockout prevention and placeholders', () => {
  test('creating needs WRITE on policy:/ for the creator unless allow-policy-lockout; someone must keep it anyway', async () => {
    const foreign = { entries: { A: owner(OTHER) } };
    expectError(await api.call('PUT', p(newId()), { headers: as(OWNER), body: foreign }), 403, 'policies:policy.notcreatable');
    assert.equal((await api.call('PUT', p(newId(), '?allow-policy-lockout=true'), { headers: as(OWNER), body: foreign })).status, 201);
    const nobody = { entries: { A: { subjects: { [OWNER]: { type: 'x' } }, resources: { 'thing:/': RW } } } };
    expectError(await api.call('PUT', p(newId()), { headers: as(OWNER, { 'allow-policy-lockout': 'true' }), body: nobody }), 403, 'policies:policy.modificationinvalid');
    const expiring = { entries: { A: { subjects: { [OWNER]: { type: 'x', expiry: '2099-01-01T00:00:00Z' } }, resources: { 'policy:/': RW } } } };
    expectError(await api.call('PUT', p(newId()), { headers: as(OWNER), body: expiring }), 403, 'policies:policy.modificationinvalid');
  });

  test('modifications must keep a permanent manager', async () => {
    const id = await created();
    expectError(await api.call('DELETE', p(id, '/entries/OWNER'), { headers: as(OWNER) }), 403, 'policies:entry.modificationinvalid');
    expectError(await api.call('DELETE', p(id, `/entries/OWNER/subjects/${OWNER}`), { headers: as(OWNER) }), 403, 'policies:entry.modificationinvalid');
    expectError(await api.call('PUT', p(id, '/entries/OWNER/resources/policy:/'), { headers: as(OWNER), body: { grant: ['READ'], revoke: [] } }), 403, 'policies:entry.modificationinvalid');
    expectError(await api.call('PUT', p(id, '/entries'), { headers: as(OWNER), body: { X: { subjects: {}, resources: {} } } }), 403, 'policies:policy.modificationinvalid');
    // Handing management to someone else is fine.
    assert.equal((await api.call('PUT', p(id, '/entries/OWNER/subjects'), { headers: as(OWNER), body: { [OTHER]: { type: 'x' } } })).status, 204);
    expectError(await api.call('GET', p(id), { headers: as(OWNER) }), 404, 'policies:policy.notfound');
  });

  test('{{ request:subjectId }} and ${request.subjectId} become the caller; unknown placeholders are refused', async () => {
    const id = newId();
    const body = { entries: { A: { subjects: { '{{ request:subjectId }}': { type: 'me' }, '${request.subjectId}': { type: 'me too' } }, resources: { 'policy:/': RW } } } };
    const r = await api.call('PUT', p(id), { headers: as(OWNER), body });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys((r.json as { entries: { A: { subjects: object } } }).entries.A.subjects), [OWNER]);
    const sub = await api.call('PUT', p(id, '/entries/A/subjects/{{ request:subjectId }}'), { headers: as(OTHER, { 'allow-policy-lockout': 'true' }), body: { type: 'x' } });
    assert.equal(sub.status, 404);
    assert.equal((await api.call('PUT', p(id, '/entries/A/subjects/%7B%7Brequest:subjectId%7D%7D'), { headers: as(OWNER), body: { type: 'again' } })).status, 204);
    for (const bad of ['{{ unknown }}', '${unknown}', '{{ request:other }}']) {
      const b = { entries: { A: { subjects: { [bad]: { type: 'x' } }, resources: { 'policy:/': RW } } } };
      expectError(await api.call('PUT', p(newId(), '?allow-policy-lockout=true'), { headers: as(OWNER), body: b }), 400, 'placeholder:placeholder.notresolvable');
    }
  });
});
