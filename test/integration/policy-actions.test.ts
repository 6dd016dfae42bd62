import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/app/config.ts';
import type { BusMessage } from '../../src/ports/bus.ts';
import { call, errorOf, startTestServer, type Answer, type TestServer } from '../support/doppel-server.ts';
import { newSigningKey, OidcProvider, type SigningKey } from '../support/oidc-provider.ts';

// [ditto: basic-policy "Actions"] activateTokenIntegration / deactivateTokenIntegration over HTTP,
// with tokens of a real (local) OpenID Connect provider.

let server: TestServer;
let provider: OidcProvider;
let key: SigningKey;
const events: BusMessage[] = [];

before(async () => {
  key = await newSigningKey('k1', 'RS256');
  provider = await OidcProvider.start([key]);
  const oauth = loadConfig({
    DOPPEL_OAUTH_ISSUERS: JSON.stringify({ test: { issuer: provider.issuer } }),
    DOPPEL_OAUTH_PROTOCOL: 'http',
  });
  server = await startTestServer({
    oauthIssuers: oauth.oauthIssuers,
    oauthProtocol: oauth.oauthProtocol,
    policySubjectExpiryGranularityMs: 1000,
    policySubjectDeletionAnnouncementGranularityMs: 1000,
  });
  server.doppel.bus.subscribe('policies.events.>', (m) => events.push(m));
});
after(async () => {
  await server.close();
  await provider.close();
});

const ALICE = 'test:alice';
const READ = { grant: ['READ'], revoke: [] };
const EXEC = { grant: ['EXECUTE'], revoke: [] };
let n = 0;

function expectError(r: Answer, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(errorOf(r), code, r.text);
}

/** A policy managed by nginx:ditto (Basic) in which alice may execute actions on some entries. */
async function newPolicy(): Promise<string> {
  const id = `org.doppel.actions:p-${++n}`;
  const entries = {
    owner: { subjects: { 'nginx:ditto': { type: 'basic' } }, resources: { 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
    reader: { subjects: { [ALICE]: { type: 'jwt' } }, resources: { 'thing:/attributes': READ, 'policy:/entries/reader/actions': EXEC } },
    // EXECUTE but no READ on a thing: activation does not apply here.
    messenger: { subjects: { [ALICE]: { type: 'jwt' } }, resources: { 'message:/': READ, 'policy:/entries/messenger/actions': EXEC } },
    // READ on things but alice may not execute actions here.
    viewer: { subjects: { [ALICE]: { type: 'jwt' } }, resources: { 'thing:/': READ } },
  };
  const r = await call(server.url, 'PUT', `/api/2/policies/${id}`, { body: { entries } });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function token(claims: Record<string, unknown> = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await provider.sign(key, { sub: 'alice', aud: 'doppel', ...claims })}` };
}

const post = (path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> =>
  call(server.url, 'POST', path, { headers, ...(body === undefined ? {} : { body }) });

async function subjectsOf(policy: string, label: string): Promise<Record<string, { type: string; expiry?: string; announcement?: unknown }>> {
  const r = await call(server.url, 'GET', `/api/2/policies/${policy}/entries/${label}/subjects`);
  assert.equal(r.status, 200, r.text);
  return r.json as Record<string, { type: string; expiry?: string }>;
}

describe('activateTokenIntegration', () => {
  test('[ditto: basic-policy activateTokenIntegration] one entry: the token subject is injected until the token expires', async () => {
    const policy = await newPolicy();
    const exp = Math.floor(Date.now() / 1000) + 120;
    const before = events.length;
    const r = await post(`/api/2/policies/${policy}/entries/reader/actions/activateTokenIntegration`, await token({ exp }));
    assert.equal(r.status, 204, r.text);
    assert.equal(r.headers.get('etag'), null);
    const subject = (await subjectsOf(policy, 'reader'))['integration:reader:doppel'];
    assert.ok(subject !== undefined);
    assert.equal(Date.parse(subject.expiry ?? ''), exp * 1000);
    assert.match(subject.type, /^added via action <activateTokenIntegration> at <.+>$/);
    const event = events.slice(before).find((e) => (e.payload['policyId'] as string) === policy);
    assert.equal(event?.payload['type'], 'policies.events:subjectCreated');
    assert.equal(event?.payload['path'], '/entries/reader/subjects/integration:reader:doppel');
  });

  test('top level: every entry the caller may execute it on and that grants READ on things; one aggregated event', async () => {
    const policy = await newPolicy();
    const before = events.length;
    const r = await post(`/api/2/policies/${policy}/actions/activateTokenIntegration`, await token({ aud: ['a1', 'a2'] }), { announcement: { whenDeleted: true, beforeExpiry: '90s' } });
    assert.equal(r.status, 204, r.text);
    const reader = await subjectsOf(policy, 'reader');
    assert.deepEqual(Object.keys(reader).sort(), ['integration:reader:a1', 'integration:reader:a2', ALICE].sort());
    assert.deepEqual(reader['integration:reader:a1']?.announcement, { beforeExpiry: '90s', whenDeleted: true });
    assert.deepEqual(Object.keys(await subjectsOf(policy, 'messenger')), [ALICE]);
    assert.deepEqual(Object.keys(await subjectsOf(policy, 'viewer')), [ALICE]);
    const event = events.slice(before).find((e) => (e.payload['policyId'] as string) === policy);
    assert.equal(event?.payload['type'], 'policies.events:subjectsModifiedPartially');
    assert.deepEqual(Object.keys(event?.payload['value'] as object), ['reader']);
  });

  test('the injected subject may then read the thing parts its entry grants', async () => {
    const policy = await newPolicy();
    const thing = `org.doppel.actions:t-${++n}`;
    assert.equal((await call(server.url, 'PUT', `/api/2/things/${thing}`, { body: { policyId: policy, attributes: { a: 1 }, features: { f: {} } } })).status, 201);
    assert.equal((await post(`/api/2/policies/${policy}/entries/reader/actions/activateTokenIntegration`, await token())).status, 204);
    const r = await call(server.url, 'GET', `/api/2/things/${thing}`, { headers: { 'x-ditto-pre-authenticated': 'integration:reader:doppel' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { thingId: thing, attributes: { a: 1 } });
  });
});

describe('deactivateTokenIntegration', () => {
  test('removes the token subject again, from one entry or top level', async () => {
    const policy = await newPolicy();
    const headers = await token();
    assert.equal((await post(`/api/2/policies/${policy}/actions/activateTokenIntegration`, headers)).status, 204);
    assert.ok('integration:reader:doppel' in (await subjectsOf(policy, 'reader')));
    const before = events.length;
    assert.equal((await post(`/api/2/policies/${policy}/entries/reader/actions/deactivateTokenIntegration`, headers)).status, 204);
    assert.deepEqual(Object.keys(await subjectsOf(policy, 'reader')), [ALICE]);
    assert.equal(events.slice(before).find((e) => e.payload['policyId'] === policy)?.payload['type'], 'policies.events:subjectDeleted');
    // Deactivation needs no READ on things: it applies to every entry naming the caller with EXECUTE.
    assert.equal((await post(`/api/2/policies/${policy}/actions/deactivateTokenIntegration`, headers)).status, 204);
  });
});

describe('errors as Ditto answers them', () => {
  test('[ditto: PoliciesRoute.extractJwt] without JWT authentication → 400 policies:action.failed, before the method is looked at', async () => {
    const policy = await newPolicy();
    const r = await call(server.url, 'POST', `/api/2/policies/${policy}/actions/activateTokenIntegration`);
    expectError(r, 400, 'policies:action.failed');
    assert.equal((r.json as { description: string }).description, 'Policy action is only possible with JWT authentication.');
    expectError(await call(server.url, 'GET', `/api/2/policies/${policy}/entries/reader/actions/deactivateTokenIntegration`), 400, 'policies:action.failed');
    assert.equal((await call(server.url, 'GET', `/api/2/policies/${policy}/actions/activateTokenIntegration`, { headers: await token() })).status, 405);
  });

  test('no EXECUTE → 403; EXECUTE but nothing the action applies to → 404; unknown policy → 404', async () => {
    const policy = await newPolicy();
    expectError(await post(`/api/2/policies/${policy}/entries/viewer/actions/activateTokenIntegration`, await token()), 403, 'policies:action.failed');
    expectError(await post(`/api/2/policies/${policy}/actions/activateTokenIntegration`, await token({ sub: 'mallory' })), 403, 'policies:action.failed');
    expectError(await post(`/api/2/policies/${policy}/entries/messenger/actions/activateTokenIntegration`, await token()), 404, 'policies:action.failed');
    expectError(await post(`/api/2/policies/${policy}/entries/nothing/actions/activateTokenIntegration`, await token()), 403, 'policies:action.failed');
    expectError(await post('/api/2/policies/org.doppel.actions:none/actions/activateTokenIntegration', await token()), 404, 'policies:policy.notfound');
  });

  test('a template placeholder the token cannot fill → 400; a bad announcement → 400; an unknown action → 404', async () => {
    const policy = await newPolicy();
    expectError(await post(`/api/2/policies/${policy}/actions/activateTokenIntegration`, await token({ aud: undefined })), 400, 'policies:action.failed');
    expectError(await post(`/api/2/policies/${policy}/actions/activateTokenIntegration`, await token(), { announcement: { beforeExpiry: '5ms' } }), 400, 'policies:subjectannouncement.invalid');
    assert.equal((await post(`/api/2/policies/${policy}/actions/launchRocket`, await token())).status, 404);
  });
});
