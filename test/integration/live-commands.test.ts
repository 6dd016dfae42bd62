import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, errorOf, useTestServer } from '../support/doppel-server.ts';
import { WsClient, wsUrl, type ProtocolMessage } from '../support/stream-clients.ts';

// [ditto: protocol-twinlive, LiveHttpChannelWsIT, SmartChannelViaHttpToWsIT] Live commands go to
// the sessions subscribed to live commands, their answers come back READ-filtered and never
// touch the twin; live events from devices reach live event subscribers.

const api = useTestServer();
const open: WsClient[] = [];
after(() => Promise.all(open.map((c) => c.close())));

const NS = 'org.example.live';
let n = 0;

/** Owner everything; `test:partial` READ on attributes/public only; `test:writer` WRITE on attributes. */
async function thing(attributes: object = { public: 1, secret: 2 }): Promise<string> {
  const id = `${NS}:t${++n}`;
  const policy = {
    entries: {
      OWNER: { subjects: { 'nginx:ditto': { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'message:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
      PARTIAL: { subjects: { 'test:partial': { type: 't' } }, resources: { 'thing:/attributes/public': { grant: ['READ'], revoke: [] } } },
      WRITER: { subjects: { 'test:writer': { type: 't' } }, resources: { 'thing:/attributes': { grant: ['WRITE'], revoke: [] } } },
    },
  };
  const r = await api.call('PUT', `/api/2/things/${id}`, { body: { attributes, _policy: policy } });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function session(control?: string, headers?: Record<string, string>): Promise<WsClient> {
  const c = await WsClient.open(wsUrl(api.url), headers);
  open.push(c);
  if (control !== undefined) await c.control(control, `${control.split('?')[0] ?? ''}:ACK`);
  return c;
}

const isLiveCommand = (m: ProtocolMessage): boolean => m.topic.includes('/things/live/commands/') && m.status === undefined;

async function respond(device: WsClient, status: number, value?: unknown): Promise<ProtocolMessage> {
  const m = await device.next(isLiveCommand);
  device.send({ topic: m.topic, path: m.path, status, headers: { 'correlation-id': m.headers['correlation-id'] }, ...(value === undefined ? {} : { value }) });
  return m;
}

describe('live commands over HTTP', () => {
  test('GET with channel=live asks the device; its answer is the response; the twin is not read', async () => {
    const id = await thing();
    const device = await session('START-SEND-LIVE-COMMANDS');
    const asking = api.call('GET', `/api/2/things/${id}/attributes?channel=live`, { headers: { 'correlation-id': 'live-get' } });
    const m = await respond(device, 200, { public: 10, secret: 20 });
    assert.equal(m.topic, `${NS}/${id.split(':')[1]}/things/live/commands/retrieve`);
    assert.equal(m.path, '/attributes');
    assert.equal(m.headers['correlation-id'], 'live-get');
    const r = await asking;
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { public: 10, secret: 20 });
  });

  test('[ditto: LiveSignalEnforcement.filterResponse] the answer is cut to what the caller may read', async () => {
    const id = await thing();
    const device = await session('START-SEND-LIVE-COMMANDS');
    const asking = api.call('GET', `/api/2/things/${id}/attributes`, { headers: as('test:partial', { channel: 'live' }) });
    await respond(device, 200, { public: 10, secret: 20 });
    assert.deepEqual((await asking).json, { public: 10 });
  });

  test('the answer is cut whatever topic the device answers on (an event-shaped answer is no way around the filter)', async () => {
    const id = await thing();
    const device = await session('START-SEND-LIVE-COMMANDS');
    const asking = api.call('GET', `/api/2/things/${id}/attributes`, { headers: as('test:partial', { channel: 'live' }) });
    const m = await device.next(isLiveCommand);
    const topic = m.topic.replace('/things/live/commands/retrieve', '/things/live/events/modified');
    device.send({ topic, path: m.path, status: 200, value: { public: 10, secret: 20 }, headers: { 'correlation-id': m.headers['correlation-id'] } });
    const r = await asking;
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { public: 10 });
  });

  test('a live modification goes to the device and leaves the twin alone', async () => {
    const id = await thing();
    const device = await session('START-SEND-LIVE-COMMANDS');
    const put = api.call('PUT', `/api/2/things/${id}/attributes/public?channel=live`, { body: 99 });
    const m = await respond(device, 204);
    assert.equal(m.topic.endsWith('/things/live/commands/modify'), true);
    assert.equal(m.value, 99);
    assert.equal((await put).status, 204);
    assert.deepEqual((await api.call('GET', `/api/2/things/${id}/attributes/public`)).json, 1);
  });

  test('writers without WRITE are refused before anything is sent; unreadable things are 404', async () => {
    const id = await thing();
    const r = await api.call('PUT', `/api/2/things/${id}/attributes/public?channel=live`, { body: 1, headers: as('test:partial') });
    assert.equal(r.status, 403);
    const hidden = await api.call('GET', `/api/2/things/${id}/attributes?channel=live`, { headers: as('test:nobody') });
    assert.equal(hidden.status, 404);
  });

  test('no answer → 408; response-required=false → 202; POST /things cannot be live (405)', async () => {
    const id = await thing();
    const slow = await api.call('GET', `/api/2/things/${id}?channel=live&timeout=200ms`);
    assert.equal(slow.status, 408);
    assert.equal(errorOf(slow), 'acknowledgement:request.timeout');
    const device = await session('START-SEND-LIVE-COMMANDS');
    const fire = await api.call('DELETE', `/api/2/things/${id}/attributes/secret?channel=live&response-required=false`);
    assert.equal(fire.status, 202);
    const m = await device.next(isLiveCommand);
    assert.equal(m.topic.endsWith('/commands/delete'), true);
    assert.equal((await api.call('POST', '/api/2/things?channel=live', { body: {} })).status, 405);
    assert.equal((await api.call('GET', `/api/2/things/${id}/attributes/secret`)).status, 200, 'the twin kept it');
  });

  test('timeout=0 with a required response is refused', async () => {
    const id = await thing();
    const r = await api.call('GET', `/api/2/things/${id}?channel=live&timeout=0`);
    assert.equal(r.status, 400);
  });
});

describe('live commands and events over the WebSocket', () => {
  test('an app session sends a live command; the device answers on its socket', async () => {
    const id = await thing();
    const device = await session('START-SEND-LIVE-COMMANDS');
    const app = await session();
    const [ns, name] = id.split(':');
    const asking = app.request({ topic: `${ns}/${name}/things/live/commands/retrieve`, path: '/attributes/public' });
    await respond(device, 200, 5);
    const r = await asking;
    assert.equal(r.topic, `${ns}/${name}/things/live/commands/retrieve`);
    assert.equal(r.status, 200);
    assert.equal(r.value, 5);
  });

  test('live events need WRITE (403 things:event.notallowed) and reach subscribers that may READ', async () => {
    const id = await thing();
    const [ns, name] = id.split(':');
    const reader = await session('START-SEND-LIVE-EVENTS');
    const partial = await session('START-SEND-LIVE-EVENTS', as('test:partial'));
    const filtered = await session('START-SEND-LIVE-EVENTS?filter=eq(attributes/secret,0)');
    const writer = await session(undefined, as('test:writer'));
    const event = { topic: `${ns}/${name}/things/live/events/modified`, path: '/attributes', value: { public: 7, secret: 8 }, headers: { 'correlation-id': 'ev-1' } };
    writer.send(event);
    const got = await reader.next((m) => m.topic.includes('/live/events/'));
    assert.deepEqual(got.value, { public: 7, secret: 8 });
    assert.equal(got.headers['correlation-id'], 'ev-1');
    const cut = await partial.next((m) => m.topic.includes('/live/events/'));
    assert.deepEqual(cut.value, { public: 7 });
    const stranger = await session(undefined, as('test:partial'));
    const refused = await stranger.request({ ...event, path: '/attributes/public', value: 1 });
    assert.equal(refused.status, 403);
    assert.equal((refused.value as { error: string }).error, 'things:event.notallowed');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(filtered.inbox.drain(), []);
    assert.equal(reader.inbox.drain().length, 0, 'the refused event was not delivered');
  });
});

describe('the smart channel', () => {
  test('[ditto: basic-conditional-requests] live-channel-condition true asks the device; false answers from the twin', async () => {
    const id = await thing({ public: 1, secret: 2, online: true });
    const device = await session('START-SEND-LIVE-COMMANDS');
    const asking = api.call('GET', `/api/2/things/${id}/attributes/public?live-channel-condition=eq(attributes/online,true)`);
    await respond(device, 200, 42);
    const live = await asking;
    assert.equal(live.json, 42);
    assert.equal(live.headers.get('live-channel-condition-matched'), 'true');
    assert.equal(live.headers.get('channel'), 'live');
    const twin = await api.call('GET', `/api/2/things/${id}/attributes/public?live-channel-condition=eq(attributes/online,false)`);
    assert.equal(twin.json, 1);
    assert.equal(twin.headers.get('live-channel-condition-matched'), 'false');
    assert.equal(twin.headers.get('channel'), 'twin');
  });

  test('on a live timeout: use-twin answers from the twin, fail answers 408; not on modifications (405)', async () => {
    const id = await thing({ public: 1, online: true });
    const fallback = await api.call('GET', `/api/2/things/${id}/attributes/public?live-channel-condition=exists(attributes/online)&live-channel-timeout-strategy=use-twin&timeout=200ms`);
    assert.equal(fallback.status, 200);
    assert.equal(fallback.json, 1);
    assert.equal(fallback.headers.get('channel'), 'twin');
    assert.equal(fallback.headers.get('live-channel-condition-matched'), 'true');
    const fail = await api.call('GET', `/api/2/things/${id}/attributes/public?live-channel-condition=exists(attributes/online)&timeout=200ms`);
    assert.equal(fail.status, 408);
    const put = await api.call('PUT', `/api/2/things/${id}/attributes/public?live-channel-condition=exists(attributes/online)`, { body: 2 });
    assert.equal(put.status, 405);
    assert.equal(errorOf(put), 'things:live.channelcondition.notallowed');
  });
});
