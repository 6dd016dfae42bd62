import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/app/config.ts';
import { startTestServer, type TestServer } from '../support/doppel-server.ts';
import { newSigningKey, OidcProvider, type SigningKey } from '../support/oidc-provider.ts';
import { WsClient, wsUrl } from '../support/stream-clients.ts';

// [ditto: WebSocketJwtExtractor, StreamingSessionActor] JWT sessions: the token in the header or
// in `access_token`, refreshed with JWT-TOKEN, and the session ends when the token expires.

let server: TestServer;
let provider: OidcProvider;
let key: SigningKey;

before(async () => {
  key = await newSigningKey('k1');
  provider = await OidcProvider.start([key]);
  const oauth = loadConfig({ DOPPEL_OAUTH_ISSUERS: JSON.stringify({ test: { issuer: provider.issuer } }), DOPPEL_OAUTH_PROTOCOL: 'http' });
  server = await startTestServer({ oauthIssuers: oauth.oauthIssuers, oauthProtocol: oauth.oauthProtocol });
});
after(async () => {
  await server.close();
  await provider.close();
});

const now = (): number => Math.floor(Date.now() / 1000);
const token = (sub: string, expiresIn: number): Promise<string> => provider.sign(key, { sub, exp: now() + expiresIn });

test('access_token authenticates the session as the token subject', async () => {
  const c = await WsClient.open(wsUrl(server.url, `?access_token=${await token('alice', 300)}`), {});
  const created = await c.request({ topic: 'org.example.jwt/a/things/twin/commands/create', path: '/', value: {} });
  assert.equal(created.status, 201);
  const subjects = await c.request({ topic: 'org.example.jwt/a/policies/commands/retrieve', path: '/entries/DEFAULT/subjects' });
  assert.deepEqual(Object.keys(subjects.value as object), ['test:alice']);
  await c.close();
});

test('a Bearer header works too; both at once, or an invalid token, are refused with 401', async () => {
  const t = await token('alice', 300);
  const c = await WsClient.open(wsUrl(server.url), { authorization: `Bearer ${t}` });
  await c.close();
  await assert.rejects(WsClient.open(wsUrl(server.url, `?access_token=${t}`), { authorization: `Bearer ${t}` }), (e: { status?: number }) => e.status === 401);
  await assert.rejects(WsClient.open(wsUrl(server.url, '?access_token=a.b.c'), {}), (e: { status?: number }) => e.status === 400 || e.status === 401);
});

test('the session ends with gateway:websocket.session.expired when the token expires', async () => {
  const c = await WsClient.open(wsUrl(server.url, `?access_token=${await token('bob', 2)}`), {});
  const error = await c.next(() => true, 6_000);
  assert.equal(error.topic, '_/_/things/twin/errors');
  assert.equal(error.status, 401);
  assert.equal((error.value as { error: string }).error, 'gateway:websocket.session.expired');
  const closed = await c.closed;
  assert.equal(closed.code, 1000);
  assert.equal(closed.reason, 'gateway:websocket.session.expired');
});

test('JWT-TOKEN with a fresh token for the same subject keeps the session open', async () => {
  const c = await WsClient.open(wsUrl(server.url, `?access_token=${await token('carol', 2)}`), {});
  c.sendText(`JWT-TOKEN?jwtToken=${await token('carol', 300)}`);
  await new Promise((r) => setTimeout(r, 3_000));
  const answer = await c.request({ topic: 'org.example.jwt/c/things/twin/commands/retrieve', path: '/' });
  assert.equal(answer.status, 404);
  await c.close();
});

test('JWT-TOKEN for another subject, or an invalid one, closes the session with gateway:websocket.session.closed', async () => {
  for (const next of [await token('mallory', 300), 'not-a-token']) {
    const c = await WsClient.open(wsUrl(server.url, `?access_token=${await token('dave', 300)}`), {});
    c.sendText(`JWT-TOKEN?jwtToken=${next}`);
    const error = await c.next();
    assert.equal(error.status, 403);
    assert.equal((error.value as { error: string }).error, 'gateway:websocket.session.closed');
    assert.equal((await c.closed).code, 1000);
  }
});
