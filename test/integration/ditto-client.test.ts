import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DittoNodeClient, Entry, Feature, NodeHttpBasicAuth, Policy, Thing, type DittoHttpClient, type DittoWebSocketTwinClient, type ProtocolResponseValue,
} from '@eclipse-ditto/ditto-javascript-client-node';
import { startTestServer, type TestServer } from '../support/doppel-server.ts';

// Eclipse Ditto's own JavaScript client (Node.js build), used as its README shows, against Doppel:
// HTTP and WebSocket clients manage things, features, attributes and policies and receive events.

let server: TestServer;
let http: DittoHttpClient;
let ws: DittoWebSocketTwinClient;

/**
 * [client bug] Closing the client's WebSocket makes its close handler start a reconnect that is
 * disabled, and the resulting rejection ('Reconnect disabled') is never handled. The handler is
 * taken off the socket before closing, so the test run stays free of unhandled rejections.
 */
function closeQuietly(client: DittoWebSocketTwinClient): void {
  const inner = client as unknown as { responseHandler?: { resilienceHandler?: { webSocket?: { webSocket?: { removeAllListeners(e: string): void } } } } };
  inner.responseHandler?.resilienceHandler?.webSocket?.webSocket?.removeAllListeners('close');
  client.close();
}

before(async () => {
  server = await startTestServer();
  const domain = server.url.replace('http://', '');
  const auth = NodeHttpBasicAuth.newInstance('ditto', 'ditto');
  http = DittoNodeClient.newHttpClient().withoutTls().withDomain(domain).withAuthProvider(auth).build();
  ws = DittoNodeClient.newWebSocketClient().withoutTls().withDomain(domain).withAuthProvider(auth).withBuffer(100).twinChannel().build();
});
after(async () => {
  closeQuietly(ws);
  await server.close();
});

/** Waits until `check` passes, for events that arrive asynchronously. */
async function eventually(check: () => void, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('the HTTP client', () => {
  test('things, attributes, features and properties: create, modify, retrieve, delete', async () => {
    const things = http.getThingsHandle();
    const put = await things.putThing(new Thing('org.example.client:http', undefined, { location: 'kitchen' }));
    assert.equal(put.status, 201);
    assert.equal(put.wasCreated(), true);
    assert.deepEqual((await things.getThing('org.example.client:http')).attributes, { location: 'kitchen' });
    assert.equal((await things.putAttribute('org.example.client:http', 'floor', 2)).status, 201);
    assert.equal((await things.patchAttributes('org.example.client:http', { size: 'L' })).status, 204);
    assert.deepEqual(await things.getAttributes('org.example.client:http'), { location: 'kitchen', floor: 2, size: 'L' });
    const features = http.getFeaturesHandle('org.example.client:http');
    assert.equal((await features.putFeature(new Feature('lamp', undefined, { on: false }))).status, 201);
    assert.equal((await features.putProperty('lamp', 'on', true)).status, 204);
    assert.equal(await features.getProperty('lamp', 'on'), true);
    assert.equal((await features.deleteFeature('lamp')).status, 204);
    assert.equal((await things.deleteAttribute('org.example.client:http', 'size')).status, 204);
    const posted = await things.postThing({ attributes: { made: 'by POST' } });
    assert.match(posted.thingId, /^org\.eclipse\.ditto:/);
    assert.deepEqual((await things.getThings(['org.example.client:http', posted.thingId])).map((t) => t.thingId), ['org.example.client:http', posted.thingId]);
    assert.equal((await things.deleteThing('org.example.client:http')).status, 204);
    await assert.rejects(things.getThing('org.example.client:http'), (e: { status?: number }) => e.status === 404);
  });

  test('policies: create, modify, retrieve, delete', async () => {
    const policies = http.getPoliciesHandle();
    const all = ['READ', 'WRITE'];
    const owner = { subjects: { 'nginx:ditto': { type: 'test' } }, resources: { 'thing:/': { grant: all, revoke: [] }, 'policy:/': { grant: all, revoke: [] } } };
    const put = await policies.putPolicy(Policy.fromObject({ entries: { OWNER: owner } }, 'org.example.client:policy'));
    assert.equal(put.status, 201);
    const readers = Entry.fromObject({ subjects: { 'test:reader': { type: 'test' } }, resources: { 'thing:/attributes': { grant: ['READ'], revoke: [] } } }, 'READERS');
    assert.equal((await policies.putEntry('org.example.client:policy', readers)).status, 201);
    const policy = await policies.getPolicy('org.example.client:policy');
    assert.deepEqual(Object.keys((policy.toObject() as { entries: object }).entries).sort(), ['OWNER', 'READERS']);
    assert.equal((await policies.getSubjects('org.example.client:policy', 'READERS'))['test:reader']?.type, 'test');
    assert.equal((await policies.deleteEntry('org.example.client:policy', 'READERS')).status, 204);
    assert.equal((await policies.deletePolicy('org.example.client:policy')).status, 204);
  });
});

describe('the WebSocket client', () => {
  test('things, attributes, features and properties over the socket', async () => {
    const things = ws.getThingsHandle();
    const created = await things.createThing(new Thing('org.example.client:ws', undefined, { a: 1 }));
    assert.equal(created.status, 201);
    assert.deepEqual((await things.getThing('org.example.client:ws')).attributes, { a: 1 });
    assert.equal((await things.putAttribute('org.example.client:ws', 'b', 2)).status, 201);
    assert.deepEqual(await things.getAttributes('org.example.client:ws'), { a: 1, b: 2 });
    const features = ws.getFeaturesHandle('org.example.client:ws');
    assert.equal((await features.putFeature(new Feature('lamp', undefined, { on: false }))).status, 201);
    assert.equal((await features.patchProperty('lamp', 'on', true)).status, 204);
    assert.deepEqual(await features.getProperties('lamp'), { on: true });
    assert.equal((await things.patchThing(new Thing('org.example.client:ws', undefined, { c: 3 }))).status, 204);
    assert.equal((await things.putThing(new Thing('org.example.client:ws', 'org.example.client:ws', { a: 1, c: 3 }, (await things.getThing('org.example.client:ws')).features))).status, 204);
    assert.deepEqual(await things.getAttribute('org.example.client:ws', 'c'), 3);
    assert.equal((await things.deleteAttribute('org.example.client:ws', 'a')).status, 204);
    assert.equal((await things.deleteThing('org.example.client:ws')).status, 204);
    await assert.rejects(things.getThing('org.example.client:ws'), (e: { status?: number }) => e.status === 404);
  });

  test('change events: requestEvents, subscriptions per thing and per feature', async () => {
    const events = ws.getEventsHandle();
    await events.requestEvents();
    const all: ProtocolResponseValue[] = [];
    const lamp: ProtocolResponseValue[] = [];
    events.subscribeToThing('org.example.client:ev', (m) => all.push(m));
    events.subscribeToFeature('org.example.client:ev', 'lamp', (m) => lamp.push(m));
    const things = http.getThingsHandle();
    await things.putThing(new Thing('org.example.client:ev', undefined, { x: 1 }));
    await http.getFeaturesHandle('org.example.client:ev').putFeature(new Feature('lamp', undefined, { on: false }));
    await http.getFeaturesHandle('org.example.client:ev').putProperty('lamp', 'on', true);
    await things.deleteAttribute('org.example.client:ev', 'x');
    await eventually(() => assert.equal(all.length, 4));
    assert.deepEqual(all.map((m) => m.action), ['created', 'created', 'modified', 'deleted']);
    assert.deepEqual(lamp.map((m) => [m.path, m.value]), [['/features/lamp', { properties: { on: false } }], ['/features/lamp/properties/on', true]]);
    await events.stopEvents();
  });
});
