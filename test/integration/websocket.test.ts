import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, call, DITTO_BASIC, startTestServer, type TestServer } from '../support/doppel-server.ts';
import { WsClient, wsUrl } from '../support/stream-clients.ts';

// [ditto: httpapi-protocol-bindings-websocket] Ditto Protocol commands over /ws/2, answered with
// responses and errors that carry the request's correlation ID.

let server: TestServer;
let ws: WsClient;

before(async () => {
  server = await startTestServer();
  ws = await WsClient.open(wsUrl(server.url));
});
after(async () => {
  await ws.close();
  await server.close();
});

const thing = (name: string): string => `org.example.ws/${name}/things/twin/commands`;

describe('commands over the socket', () => {
  test('create, modify, merge, retrieve and delete a thing; answers carry the correlation ID', async () => {
    const created = await ws.request({ topic: `${thing('lamp')}/create`, path: '/', value: { attributes: { on: false } } });
    assert.equal(created.status, 201, JSON.stringify(created));
    assert.equal(created.topic, 'org.example.ws/lamp/things/twin/commands/create');
    assert.equal(created.path, '/');
    assert.deepEqual((created.value as { attributes: unknown }).attributes, { on: false });
    assert.equal(created.headers['content-type'], 'application/json');
    assert.equal(created.headers['etag'], '"rev:1"');
    assert.equal(created.headers['ditto-origin'], undefined, 'internal headers stay inside');

    const modified = await ws.request({ topic: `${thing('lamp')}/modify`, path: '/attributes/on', value: true });
    assert.equal(modified.status, 204);
    assert.equal(modified.value, undefined);

    const merged = await ws.request({ topic: `${thing('lamp')}/merge`, path: '/attributes', value: { room: 'kitchen' }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(merged.status, 204);

    const retrieved = await ws.request({ topic: `${thing('lamp')}/retrieve`, path: '/attributes' });
    assert.equal(retrieved.status, 200);
    assert.deepEqual(retrieved.value, { on: true, room: 'kitchen' });

    const fields = await ws.request({ topic: `${thing('lamp')}/retrieve`, path: '/', fields: 'thingId,_revision' });
    assert.deepEqual(fields.value, { thingId: 'org.example.ws:lamp', _revision: 3 });

    // What the socket did is what HTTP sees.
    const http = await call(server.url, 'GET', '/api/2/things/org.example.ws:lamp/attributes');
    assert.deepEqual(http.json, { on: true, room: 'kitchen' });

    const deleted = await ws.request({ topic: `${thing('lamp')}/delete`, path: '/' });
    assert.equal(deleted.status, 204);
    const gone = await ws.request({ topic: `${thing('lamp')}/retrieve`, path: '/' });
    assert.equal(gone.status, 404);
    assert.equal(gone.topic, 'org.example.ws/lamp/things/twin/errors');
    assert.equal((gone.value as { error: string }).error, 'things:thing.notfound');
  });

  test('features and feature properties', async () => {
    await ws.request({ topic: `${thing('f')}/create`, path: '/', value: {} });
    const feature = await ws.request({ topic: `${thing('f')}/modify`, path: '/features/lamp', value: { properties: { on: false } } });
    assert.equal(feature.status, 201);
    const prop = await ws.request({ topic: `${thing('f')}/modify`, path: '/features/lamp/properties/on', value: true });
    assert.equal(prop.status, 204);
    const read = await ws.request({ topic: `${thing('f')}/retrieve`, path: '/features/lamp/properties/on' });
    assert.equal(read.value, true);
  });

  test('RetrieveThings and policies over the socket', async () => {
    await ws.request({ topic: `${thing('a')}/create`, path: '/', value: { attributes: { n: 1 } } });
    const many = await ws.request({ topic: 'org.example.ws/_/things/twin/commands/retrieve', path: '/', value: { thingIds: ['org.example.ws:a', 'org.example.ws:nope'] } });
    assert.equal(many.status, 200);
    assert.deepEqual((many.value as { thingId: string }[]).map((t) => t.thingId), ['org.example.ws:a']);
    const policy = await ws.request({ topic: 'org.example.ws/a/policies/commands/retrieve', path: '/' });
    assert.equal(policy.status, 200, JSON.stringify(policy));
    assert.equal((policy.value as { policyId: string }).policyId, 'org.example.ws:a');
    const missing = await ws.request({ topic: 'org.example.ws/none/policies/commands/retrieve', path: '/' });
    assert.equal(missing.status, 404);
    assert.equal(missing.topic, 'org.example.ws/none/policies/errors');
  });

  test('checkPermissions over the socket', async () => {
    await ws.request({ topic: `${thing('perm')}/create`, path: '/', value: {} });
    const checks = { write: { resource: 'thing:/attributes', entityId: 'org.example.ws:perm', hasPermissions: ['WRITE'] } };
    const answer = await ws.request({ topic: '_/_/policies/commands/checkPermissions', path: '/', value: checks });
    assert.equal(answer.status, 200);
    assert.equal(answer.topic, '_/_/policies/commands/checkPermissions');
    assert.deepEqual(answer.value, { write: true });
  });

  test('a message without a correlation ID gets one', async () => {
    ws.send({ topic: `${thing('nocid')}/retrieve`, path: '/', headers: {} });
    const answer = await ws.next((m) => m.topic.startsWith('org.example.ws/nocid/'));
    assert.equal(typeof answer.headers['correlation-id'], 'string');
    assert.ok((answer.headers['correlation-id'] as string).length > 0);
  });

  test('response-required=false runs the command without answering', async () => {
    await ws.request({ topic: `${thing('quiet')}/create`, path: '/', value: {} });
    ws.send({ topic: `${thing('quiet')}/modify`, path: '/attributes', value: { x: 1 }, headers: { 'correlation-id': 'quiet-1', 'response-required': false } });
    const read = await ws.request({ topic: `${thing('quiet')}/retrieve`, path: '/attributes' });
    assert.deepEqual(read.value, { x: 1 });
    assert.deepEqual(ws.inbox.drain().filter((t) => t.includes('quiet-1')), []);
  });

  test('[ditto: StreamingSessionActor] acks requested with response-required=false are refused', async () => {
    const answer = await ws.request({ topic: `${thing('acks')}/modify`, path: '/attributes', value: {}, headers: { 'response-required': false, 'requested-acks': ['twin-persisted'] } });
    assert.equal(answer.status, 400);
    assert.equal((answer.value as { error: string }).error, 'header.invalid');
  });
});

describe('malformed frames', () => {
  test('invalid JSON, a missing topic, a bad topic and a bad path are Ditto error envelopes', async () => {
    ws.sendText('{not json');
    const bad = await ws.next();
    assert.equal(bad.topic, '_/_/things/twin/errors');
    assert.equal(bad.status, 400);
    assert.equal((bad.value as { error: string }).error, 'json.invalid');

    ws.send({ headers: { 'correlation-id': 'no-topic' }, path: '/' });
    const noTopic = await ws.next((m) => m.headers['correlation-id'] === 'no-topic');
    assert.equal((noTopic.value as { error: string }).error, 'json.field.missing');

    ws.send({ topic: 'a/b/things/wrong/commands/modify', headers: { 'correlation-id': 'bad-topic' }, path: '/' });
    const badTopic = await ws.next((m) => m.headers['correlation-id'] === 'bad-topic');
    assert.equal((badTopic.value as { error: string }).error, 'protocoladapter:unknown.topicpath');

    const badPath = await ws.request({ topic: `${thing('x')}/modify`, path: '/nothing/here', value: 1 });
    assert.equal(badPath.status, 400);
    assert.equal(badPath.topic, 'org.example.ws/x/things/twin/errors');
  });

  test('an empty frame, a JSON array and binary frames do not break the session', async () => {
    ws.sendText('');
    assert.equal(((await ws.next()).value as { error: string }).error, 'json.invalid');
    ws.sendText('[1,2]');
    assert.equal(((await ws.next()).value as { error: string }).error, 'json.invalid');
    ws.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    const still = await ws.request({ topic: `${thing('alive')}/retrieve`, path: '/' });
    assert.equal(still.status, 404);
  });

  test('a live command about a thing that does not exist is answered 404 on the live channel', async () => {
    const answer = await ws.request({ topic: 'org.example.ws/l/things/live/commands/modify', path: '/attributes', value: {} });
    assert.equal(answer.topic, 'org.example.ws/l/things/live/errors');
    assert.equal(answer.status, 404);
    assert.equal((answer.value as { error: string }).error, 'things:thing.notfound');
  });

  test('a frame over the size limit closes the socket with 1009', async () => {
    const small = await startTestServer({ maxBodyBytes: 1024 });
    try {
      const c = await WsClient.open(wsUrl(small.url));
      c.sendText(JSON.stringify({ topic: `${thing('big')}/create`, path: '/', value: { a: 'x'.repeat(2000) } }));
      const closed = await c.closed;
      assert.equal(closed.code, 1009);
    } finally {
      await small.close();
    }
  });
});

describe('the handshake', () => {
  test('[ditto: ws authentication] no or wrong credentials → 401 before the upgrade', async () => {
    await assert.rejects(WsClient.open(wsUrl(server.url), {}), (e: { status?: number; body?: string }) => {
      assert.equal(e.status, 401);
      assert.equal((JSON.parse(e.body ?? '{}') as { error: string }).error, 'gateway:authentication.failed');
      return true;
    });
    const wrong = `Basic ${Buffer.from('ditto:nope').toString('base64')}`;
    await assert.rejects(WsClient.open(wsUrl(server.url), { authorization: wrong }), (e: { status?: number }) => e.status === 401);
  });

  test('pre-authenticated subjects', async () => {
    const c = await WsClient.open(wsUrl(server.url), as('test:pre'));
    const created = await c.request({ topic: `${thing('pre')}/create`, path: '/', value: {} });
    assert.equal(created.status, 201);
    const policy = await call(server.url, 'GET', '/api/2/policies/org.example.ws:pre/entries/DEFAULT/subjects', { headers: as('test:pre') });
    assert.ok(Object.keys(policy.json as object).includes('test:pre'));
    await c.close();
  });

  test('other API versions → 404 api.version.notsupported, other paths → 404', async () => {
    await assert.rejects(WsClient.open(`${server.url.replace('http', 'ws')}/ws/1`, { authorization: DITTO_BASIC }), (e: { status?: number; body?: string }) => {
      assert.equal(e.status, 404);
      assert.equal((JSON.parse(e.body ?? '{}') as { error: string }).error, 'api.version.notsupported');
      return true;
    });
    await assert.rejects(WsClient.open(`${server.url.replace('http', 'ws')}/api/2/things`, { authorization: DITTO_BASIC }), (e: { status?: number }) => e.status === 404);
  });
});

describe('keep-alive and throttling', () => {
  test('idle sessions are pinged; a session that never answers is closed', async () => {
    const quick = await startTestServer({ wsPingIntervalMs: 300 });
    try {
      const c = await WsClient.open(wsUrl(quick.url));
      const pinged = new Promise<void>((resolve) => c.socket.once('ping', () => resolve()));
      await pinged;
      assert.equal(c.socket.readyState, c.socket.OPEN);
      const { default: WebSocket } = await import('ws');
      const mute = new WebSocket(wsUrl(quick.url), { headers: { authorization: DITTO_BASIC }, autoPong: false });
      const closed = new Promise<number>((resolve) => mute.once('close', (code) => resolve(code)));
      assert.equal(await closed, 1006);
      await c.close();
    } finally {
      await quick.close();
    }
  });

  test('[ditto: gateway.conf streaming.websocket.throttling] beyond the limit, messages are answered with 429', async () => {
    const throttled = await startTestServer({ wsThrottlingEnabled: true, wsThrottlingLimit: 2, wsThrottlingIntervalMs: 60_000 });
    try {
      const c = await WsClient.open(wsUrl(throttled.url));
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await c.request({ topic: `${thing('th')}/retrieve`, path: '/' }));
      assert.deepEqual(answers.map((a) => a.status), [404, 404, 429]);
      assert.equal((answers[2]?.value as { error: string }).error, 'too.many.requests');
      assert.equal(answers[2]?.headers['retry-after'], '60');
      await c.close();
    } finally {
      await throttled.close();
    }
  });
});

describe('shutdown', () => {
  test('[ditto: streaming.session.aborted] sessions are told and closed with 1001; the server stops promptly', async () => {
    const s = await startTestServer();
    const c = await WsClient.open(wsUrl(s.url));
    await c.control('START-SEND-EVENTS', 'START-SEND-EVENTS:ACK');
    const started = Date.now();
    await s.close();
    assert.ok(Date.now() - started < 5_000);
    const error = await c.next();
    assert.equal((error.value as { error: string }).error, 'gateway:streaming.session.aborted');
    assert.equal((await c.closed).code, 1001);
  });
});
