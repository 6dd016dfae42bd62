import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, call, startTestServer, type TestServer } from '../support/doppel-server.ts';
import { WsClient, wsUrl } from '../support/stream-clients.ts';

// [ditto: httpapi-protocol-bindings-websocket, basic-changenotifications, basic-enrichment]
// Control messages and the change notifications they subscribe to.

let server: TestServer;
const open: WsClient[] = [];

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await Promise.all(open.map((c) => c.close()));
  await server.close();
});

async function client(headers?: Record<string, string>): Promise<WsClient> {
  const c = await WsClient.open(wsUrl(server.url), headers);
  open.push(c);
  return c;
}

const put = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> =>
  call(server.url, 'PUT', `/api/2/things/${path}`, { body, headers }).then((a) => {
    assert.ok(a.status < 300, `${path}: ${a.status} ${a.text}`);
    return a.json;
  });

describe('control messages', () => {
  test('every START and STOP is acknowledged with <IDENTIFIER>:ACK', async () => {
    const c = await client();
    for (const type of ['EVENTS', 'MESSAGES', 'LIVE-COMMANDS', 'LIVE-EVENTS', 'POLICY-ANNOUNCEMENTS']) {
      await c.control(`START-SEND-${type}`, `START-SEND-${type}:ACK`);
      await c.control(`STOP-SEND-${type}`, `STOP-SEND-${type}:ACK`);
    }
    // Parameters do not appear in the ACK; STOP is acknowledged even without a START.
    await c.control('START-SEND-EVENTS?namespaces=a,b&filter=exists(thingId)', 'START-SEND-EVENTS:ACK');
    await c.control('STOP-SEND-LIVE-EVENTS', 'STOP-SEND-LIVE-EVENTS:ACK');
  });

  test('an invalid filter or extraFields is answered with the error instead of the ACK', async () => {
    const c = await client();
    c.sendText('START-SEND-EVENTS?filter=eq(attributes/x&correlation-id=my-start');
    const error = await c.next();
    assert.equal(error.topic, '_/_/things/twin/errors');
    assert.equal(error.status, 400);
    assert.equal((error.value as { error: string }).error, 'rql.expression.invalid');
    assert.equal(error.headers['correlation-id'], 'my-start');
    c.sendText('START-SEND-EVENTS?extraFields=nonsense');
    assert.equal(((await c.next()).value as { error: string }).error, 'things:field.selection.invalid');
    assert.deepEqual(c.inbox.drain(), []);
  });
});

describe('change notifications', () => {
  test('events of HTTP and WebSocket changes, in revision order, with topic, path, value, revision and timestamp', async () => {
    const c = await client();
    await c.control('START-SEND-EVENTS', 'START-SEND-EVENTS:ACK');
    await put('org.example.ev:t1', { attributes: { n: 0 } }, { 'correlation-id': 'create-t1' });
    const created = await c.event((m) => m.topic.startsWith('org.example.ev/t1/'));
    assert.equal(created.topic, 'org.example.ev/t1/things/twin/events/created');
    assert.equal(created.path, '/');
    assert.equal((created.value as { thingId: string }).thingId, 'org.example.ev:t1');
    assert.equal(created.revision, 1);
    assert.equal(typeof created.timestamp, 'string');
    assert.equal(created.headers['correlation-id'], 'create-t1');
    assert.equal(created.headers['ditto-origin'], undefined);
    for (let i = 1; i <= 20; i++) void call(server.url, 'PUT', '/api/2/things/org.example.ev:t1/attributes/n', { body: i });
    for (let i = 1; i <= 20; i++) {
      const e = await c.event((m) => m.topic.startsWith('org.example.ev/t1/'));
      assert.equal(e.revision, i + 1);
      assert.equal(e.topic, 'org.example.ev/t1/things/twin/events/modified');
      assert.equal(e.path, '/attributes/n');
    }
    await call(server.url, 'DELETE', '/api/2/things/org.example.ev:t1/attributes/n');
    const deleted = await c.event((m) => m.topic.startsWith('org.example.ev/t1/'));
    assert.equal(deleted.topic, 'org.example.ev/t1/things/twin/events/deleted');
    assert.equal(deleted.value, undefined);
    await c.control('STOP-SEND-EVENTS', 'STOP-SEND-EVENTS:ACK');
    await put('org.example.ev:t1/attributes/n', 99);
    await c.noEvent();
  });

  test('[ditto: basic-signals] a session does not get the events of its own commands; others do', async () => {
    const a = await client();
    const b = await client();
    await a.control('START-SEND-EVENTS', 'START-SEND-EVENTS:ACK');
    await b.control('START-SEND-EVENTS', 'START-SEND-EVENTS:ACK');
    const answer = await a.request({ topic: 'org.example.ev/own/things/twin/commands/create', path: '/', value: {} });
    assert.equal(answer.status, 201);
    const seen = await b.event((m) => m.topic.startsWith('org.example.ev/own/'));
    assert.equal(seen.headers['correlation-id'], answer.headers['correlation-id']);
    await a.noEvent();
  });

  test('namespaces and filter', async () => {
    const c = await client();
    await c.control('START-SEND-EVENTS?namespaces=org.example.ns1,org.example.ns2&filter=' + encodeURIComponent('gt(attributes/counter,42)'), 'START-SEND-EVENTS:ACK');
    await put('org.example.other:x', { attributes: { counter: 100 } });
    await put('org.example.ns1:x', { attributes: { counter: 1 } });
    await put('org.example.ns2:x', { attributes: { counter: 43 } });
    const e = await c.event();
    assert.equal(e.topic, 'org.example.ns2/x/things/twin/events/created');
    await put('org.example.ns1:x/attributes/counter', 50);
    const m = await c.event();
    assert.equal(m.path, '/attributes/counter');
    assert.equal(m.value, 50);
    // [ditto: basic-changenotifications] the filter sees the changed data only: a change elsewhere does not match.
    await put('org.example.ns1:x/attributes/other', 1);
    await c.noEvent();
  });

  test('placeholders in filters: topic:action and resource:path', async () => {
    const c = await client();
    const filter = "and(in(topic:action,'created','deleted'),eq(resource:path,'/'))";
    await c.control(`START-SEND-EVENTS?namespaces=org.example.ph&filter=${encodeURIComponent(filter)}`, 'START-SEND-EVENTS:ACK');
    await put('org.example.ph:a', { attributes: { x: 1 } });
    assert.equal((await c.event()).topic, 'org.example.ph/a/things/twin/events/created');
    await put('org.example.ph:a/attributes/x', 2);
    await call(server.url, 'DELETE', '/api/2/things/org.example.ph:a');
    assert.equal((await c.event()).topic, 'org.example.ph/a/things/twin/events/deleted');
    await c.noEvent();
  });

  test('extraFields: the current thing in `extra`, also for filters; placeholders select per event', async () => {
    await put('org.example.ex:lamp', { attributes: { location: 'kitchen', serial: 'S1' }, features: { temp: { properties: { value: 1, unit: 'C' } }, hum: { properties: { value: 2, unit: '%' } } } });
    const c = await client();
    await c.control(`START-SEND-EVENTS?namespaces=org.example.ex&extraFields=attributes/location&filter=${encodeURIComponent('eq(attributes/location,"kitchen")')}`, 'START-SEND-EVENTS:ACK');
    await put('org.example.ex:lamp/features/temp/properties/value', 5);
    const e = await c.event();
    assert.equal(e.value, 5);
    assert.deepEqual(e.extra, { attributes: { location: 'kitchen' } });
    await put('org.example.ex:lamp/attributes/location', 'hall');
    await c.noEvent();

    const p = await client();
    await p.control(`START-SEND-EVENTS?namespaces=org.example.ex&extraFields=${encodeURIComponent('features/{{ feature:id }}/properties/unit,_revision')}`, 'START-SEND-EVENTS:ACK');
    await put('org.example.ex:lamp/features/hum/properties/value', 3);
    const h = await p.event();
    assert.deepEqual(h.extra, { features: { hum: { properties: { unit: '%' } } }, _revision: h.revision });
  });

  test('re-sending START replaces the subscription', async () => {
    const c = await client();
    await c.control('START-SEND-EVENTS?namespaces=org.example.r1', 'START-SEND-EVENTS:ACK');
    await c.control('START-SEND-EVENTS?namespaces=org.example.r2', 'START-SEND-EVENTS:ACK');
    await put('org.example.r1:a', {});
    await put('org.example.r2:a', {});
    assert.equal((await c.event()).topic, 'org.example.r2/a/things/twin/events/created');
    await c.noEvent();
  });
});

describe('READ permissions decide what a subscriber sees [ditto: 3.9 partial-access events]', () => {
  const ID = 'org.example.leak:thing';
  const policy = {
    entries: {
      OWNER: { subjects: { 'nginx:ditto': { type: 'test' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
      PARTIAL: { subjects: { 'test:partial': { type: 'test' } }, resources: { 'thing:/attributes/public': { grant: ['READ'], revoke: [] } } },
      REVOKED: { subjects: { 'test:revoked': { type: 'test' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] }, 'thing:/attributes/secret': { grant: [], revoke: ['READ'] } } },
    },
  };
  let owner: WsClient;
  let partial: WsClient;
  let revoked: WsClient;
  let none: WsClient;
  let filtered: WsClient;
  let enriched: WsClient;

  before(async () => {
    await put(ID, { _policy: policy, attributes: { public: 1, secret: 2 } });
    owner = await client();
    partial = await client(as('test:partial'));
    revoked = await client(as('test:revoked'));
    none = await client(as('test:nobody'));
    filtered = await client(as('test:revoked'));
    enriched = await client(as('test:partial'));
    const start = 'START-SEND-EVENTS?namespaces=org.example.leak';
    for (const c of [owner, partial, revoked, none]) await c.control(start, 'START-SEND-EVENTS:ACK');
    await filtered.control(`${start}&filter=${encodeURIComponent('eq(attributes/secret,7)')}`, 'START-SEND-EVENTS:ACK');
    await enriched.control(`${start}&extraFields=attributes`, 'START-SEND-EVENTS:ACK');
  });

  test('a change of an unreadable field reaches only those who may read it', async () => {
    await put(`${ID}/attributes/secret`, 3);
    assert.equal((await owner.event()).value, 3);
    await Promise.all([partial.noEvent(), revoked.noEvent(), none.noEvent(), filtered.noEvent(), enriched.noEvent()]);
  });

  test('a partly readable change is delivered with the readable part only', async () => {
    await put(`${ID}/attributes`, { public: 5, secret: 6 });
    assert.deepEqual((await owner.event()).value, { public: 5, secret: 6 });
    assert.deepEqual((await partial.event()).value, { public: 5 });
    assert.deepEqual((await revoked.event()).value, { public: 5 });
    const e = await enriched.event();
    assert.deepEqual(e.value, { public: 5 });
    assert.deepEqual(e.extra, { attributes: { public: 5 } });
    await none.noEvent();
  });

  test('whole-thing events keep the thingId and nothing unreadable', async () => {
    await call(server.url, 'PATCH', `/api/2/things/${ID}`, { body: { attributes: { public: 8, secret: 9 } } });
    const p = await partial.event();
    assert.equal(p.topic, 'org.example.leak/thing/things/twin/events/merged');
    assert.deepEqual(p.value, { attributes: { public: 8 } });
    assert.deepEqual((await revoked.event()).value, { attributes: { public: 8 } });
    assert.equal(JSON.stringify(await enriched.event()).includes('"secret"'), false);
    await owner.event();
    await none.noEvent();
  });

  test('a replaced thing shows a partial reader its thingId and readable part', async () => {
    await put(ID, { policyId: ID, attributes: { public: 11, secret: 12 }, features: { f: { properties: { p: 1 } } } });
    assert.deepEqual((await partial.event()).value, { thingId: ID, attributes: { public: 11 } });
    const r = await revoked.event();
    assert.deepEqual(r.value, { thingId: ID, policyId: ID, attributes: { public: 11 }, features: { f: { properties: { p: 1 } } } });
    await owner.event();
    await enriched.event();
    await none.noEvent();
  });

  test('a filter on an unreadable field never matches, and extraFields never leak', async () => {
    await put(`${ID}/attributes`, { public: 10, secret: 7 });
    const o = await owner.event();
    assert.deepEqual(o.value, { public: 10, secret: 7 });
    await filtered.noEvent();
    const e = await enriched.event();
    assert.deepEqual(e.extra, { attributes: { public: 10 } });
    assert.equal(JSON.stringify(e).includes('secret'), false);
    for (const c of [partial, revoked]) await c.event();
    await none.noEvent();
  });
});
