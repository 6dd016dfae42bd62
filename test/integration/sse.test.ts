import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, call, startTestServer, type TestServer } from '../support/doppel-server.ts';
import { SseClient } from '../support/stream-clients.ts';

// [ditto: httpapi-sse] Server-Sent Events of thing changes.

let server: TestServer;
const open: SseClient[] = [];

before(async () => {
  server = await startTestServer();
});
after(async () => {
  for (const s of open) s.close();
  await server.close();
});

async function sse(path: string, headers?: Record<string, string>): Promise<SseClient> {
  const s = await SseClient.open(`${server.url}${path}`, headers);
  open.push(s);
  return s;
}

async function put(path: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const a = await call(server.url, 'PUT', `/api/2/things/${path}`, { body, headers });
  assert.ok(a.status < 300, `${path}: ${a.status} ${a.text}`);
}

describe('GET /api/2/things as an event stream', () => {
  test('each change is data:<the changed part as Thing JSON>; deletions give the bare thingId', async () => {
    const s = await sse('/api/2/things?namespaces=org.example.sse1');
    assert.equal(s.status, 200);
    assert.match(s.response.headers['content-type'] ?? '', /^text\/event-stream/);
    await put('org.example.sse1:lamp', { attributes: { location: 'kitchen' }, features: { lamp: { properties: { on: false, color: 'blue' } } } });
    const created = (await s.next()) as Record<string, unknown>;
    assert.equal(created['thingId'], 'org.example.sse1:lamp');
    assert.deepEqual(created['attributes'], { location: 'kitchen' });
    assert.equal(created['_revision'], undefined, 'special fields only when selected');
    await put('org.example.sse1:lamp/features/lamp/properties/on', true);
    assert.deepEqual(await s.next(), { thingId: 'org.example.sse1:lamp', features: { lamp: { properties: { on: true } } } });
    await call(server.url, 'PATCH', '/api/2/things/org.example.sse1:lamp', { body: { attributes: { location: null, floor: 2 } } });
    assert.deepEqual(await s.next(), { thingId: 'org.example.sse1:lamp', attributes: { floor: 2 } });
    await call(server.url, 'DELETE', '/api/2/things/org.example.sse1:lamp/attributes/floor');
    assert.deepEqual(await s.next(), { thingId: 'org.example.sse1:lamp' });
    assert.ok(!s.raw.includes('event:') && !s.raw.includes('id:'), 'no event or id lines');
  });

  test('ids, filter, fields with special fields and _context, extraFields', async () => {
    await put('org.example.sse2:a', { attributes: { counter: 1, location: 'hall' } });
    await put('org.example.sse2:b', { attributes: { counter: 1 } });
    const byId = await sse('/api/2/things?ids=org.example.sse2:a');
    const filtered = await sse(`/api/2/things?namespaces=org.example.sse2&filter=${encodeURIComponent('gt(attributes/counter,42)')}`);
    const fields = await sse('/api/2/things?ids=org.example.sse2:a&fields=thingId,attributes/counter,_revision,_modified,_context/topic,_context/path,_context/value');
    const extra = await sse('/api/2/things?ids=org.example.sse2:a&extraFields=attributes/location');
    await put('org.example.sse2:b/attributes/counter', 50);
    await put('org.example.sse2:a/attributes/counter', 43);
    assert.deepEqual(await byId.next(), { thingId: 'org.example.sse2:a', attributes: { counter: 43 } });
    assert.deepEqual(await filtered.next(), { thingId: 'org.example.sse2:b', attributes: { counter: 50 } });
    assert.deepEqual(await filtered.next(), { thingId: 'org.example.sse2:a', attributes: { counter: 43 } });
    const f = (await fields.next()) as Record<string, unknown>;
    assert.equal(f['thingId'], 'org.example.sse2:a');
    assert.deepEqual(f['attributes'], { counter: 43 });
    assert.equal(f['_revision'], 2);
    assert.equal(typeof f['_modified'], 'string');
    assert.deepEqual(f['_context'], { topic: 'org.example.sse2/a/things/twin/events/modified', path: '/attributes/counter', value: 43 });
    assert.deepEqual(await extra.next(), { thingId: 'org.example.sse2:a', attributes: { counter: 43, location: 'hall' } });
    await byId.nothing(100);
  });

  test('[ditto: ThingsSseRouteBuilder] a fields selection that selects nothing sends nothing', async () => {
    const s = await sse('/api/2/things?namespaces=org.example.sse3&fields=features');
    await put('org.example.sse3:x', { attributes: { a: 1 } });
    await put('org.example.sse3:x/features/f', { properties: { p: 1 } });
    assert.deepEqual(await s.next(), { features: { f: { properties: { p: 1 } } } });
    await s.nothing();
  });

  test('one thing, and one path of it', async () => {
    await put('org.example.sse4:lamp', { attributes: { location: 'kitchen' } });
    const thing = await sse('/api/2/things/org.example.sse4:lamp');
    const path = await sse('/api/2/things/org.example.sse4:lamp/attributes/location');
    await put('org.example.sse4:other', {});
    await put('org.example.sse4:lamp/attributes/location', 'hall');
    await put('org.example.sse4:lamp/attributes/size', 3);
    assert.deepEqual(await thing.next(), { thingId: 'org.example.sse4:lamp', attributes: { location: 'hall' } });
    assert.deepEqual(await thing.next(), { thingId: 'org.example.sse4:lamp', attributes: { size: 3 } });
    assert.equal(await path.next(), 'hall');
    await path.nothing();
  });

  test('heartbeats keep an idle stream alive (empty data events, ignored by EventSource)', async () => {
    const s = await sse('/api/2/things?namespaces=org.example.quiet');
    await new Promise((r) => setTimeout(r, 2_300));
    assert.ok(s.raw.split('data:\n\n').length >= 2, JSON.stringify(s.raw));
    await s.nothing(0);
  });

  test('errors before the stream opens: a bad filter, bad fields, no credentials', async () => {
    const bad = await sse(`/api/2/things?filter=${encodeURIComponent('eq(attributes/x')}`);
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(await bad.body()) as { error: string }).error, 'rql.expression.invalid');
    const fields = await sse('/api/2/things?fields=nonsense');
    assert.equal(fields.status, 400);
    assert.equal((JSON.parse(await fields.body()) as { error: string }).error, 'things:field.selection.invalid');
    const anonymous = await sse('/api/2/things', {});
    assert.equal(anonymous.status, 401);
  });

  test('Accept */* is no event stream request', async () => {
    const a = await call(server.url, 'GET', '/api/2/things/org.example.sse4:lamp', { headers: { accept: '*/*' } });
    assert.equal(a.status, 200);
    assert.match(a.headers.get('content-type') ?? '', /application\/json/);
  });
});

describe('READ permissions decide what an SSE stream sees', () => {
  const ID = 'org.example.sseleak:t';
  const policy = {
    entries: {
      OWNER: { subjects: { 'nginx:ditto': { type: 'test' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
      PARTIAL: { subjects: { 'test:partial': { type: 'test' } }, resources: { 'thing:/attributes/public': { grant: ['READ'], revoke: [] } } },
    },
  };

  test('partial readers get the readable part only; others nothing; filters and extraFields do not leak', async () => {
    await put(ID, { _policy: policy, attributes: { public: 1, secret: 2 } });
    const q = '/api/2/things?namespaces=org.example.sseleak';
    const partial = await sse(q, as('test:partial'));
    const none = await sse(q, as('test:nobody'));
    const filtered = await sse(`${q}&filter=${encodeURIComponent('eq(attributes/secret,7)')}`, as('test:partial'));
    const enriched = await sse(`${q}&extraFields=attributes&fields=thingId,attributes,_context`, as('test:partial'));
    const owner = await sse(q);
    await put(`${ID}/attributes/secret`, 3);
    assert.deepEqual(await owner.next(), { thingId: ID, attributes: { secret: 3 } });
    await put(`${ID}/attributes`, { public: 5, secret: 7 });
    assert.deepEqual(await owner.next(), { thingId: ID, attributes: { public: 5, secret: 7 } });
    assert.deepEqual(await partial.next(), { thingId: ID, attributes: { public: 5 } });
    const e = (await enriched.next()) as Record<string, unknown>;
    assert.deepEqual(e['attributes'], { public: 5 });
    assert.equal(JSON.stringify(e).includes('secret'), false, JSON.stringify(e));
    await Promise.all([partial.nothing(), none.nothing(), filtered.nothing(), enriched.nothing()]);
  });
});

test('shutting down ends open streams', async () => {
  const s = await startTestServer();
  const stream = await SseClient.open(`${s.url}/api/2/things`);
  assert.equal(stream.status, 200);
  await s.close();
  await stream.body();
  assert.equal(stream.response.complete, true);
});
