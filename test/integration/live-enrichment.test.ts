import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, useTestServer } from '../support/doppel-server.ts';
import { WsClient, wsUrl, type ProtocolMessage } from '../support/stream-clients.ts';

// [ditto: httpapi-protocol-bindings-websocket enrichment, basic-enrichment] `extraFields` on
// START-SEND-MESSAGES, START-SEND-LIVE-COMMANDS and START-SEND-LIVE-EVENTS adds the selected
// fields of the twin, as the receiver may read them, to each delivered signal's `extra`.

const api = useTestServer();
const open: WsClient[] = [];
after(() => Promise.all(open.map((c) => c.close())));

const NS = 'org.example.enrich';
let n = 0;

/** The owner may do everything; `test:partial` may read the thing except `attributes/secret`, and read messages. */
async function thing(): Promise<string> {
  const id = `${NS}:t${++n}`;
  const all = { grant: ['READ', 'WRITE'], revoke: [] };
  const policy = {
    entries: {
      OWNER: { subjects: { 'nginx:ditto': { type: 't' } }, resources: { 'thing:/': all, 'policy:/': all, 'message:/': all } },
      PARTIAL: {
        subjects: { 'test:partial': { type: 't' } },
        resources: { 'thing:/': { grant: ['READ'], revoke: [] }, 'thing:/attributes/secret': { grant: [], revoke: ['READ'] }, 'message:/': { grant: ['READ'], revoke: [] } },
      },
    },
  };
  const body = { attributes: { location: 'kitchen', secret: 's3', serial: 7 }, features: { lamp: { properties: { unit: 'lx', level: 1 } } }, _policy: policy };
  const r = await api.call('PUT', `/api/2/things/${id}`, { body });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function session(control: string, headers?: Record<string, string>): Promise<WsClient> {
  const c = await WsClient.open(wsUrl(api.url), headers);
  open.push(c);
  await c.control(control, `${control.split('?')[0] ?? ''}:ACK`);
  return c;
}

const isLive = (criterion: string) => (m: ProtocolMessage): boolean => m.topic.includes(`/things/live/${criterion}/`) && m.status === undefined;

describe('extraFields on live subscriptions', () => {
  test('messages carry the selected twin fields, READ-filtered per receiver; receivers without extraFields get no extra', async () => {
    const id = await thing();
    const owner = await session(`START-SEND-MESSAGES?extraFields=${encodeURIComponent('attributes/location,attributes/secret,_revision')}`);
    const partial = await session(`START-SEND-MESSAGES?extraFields=${encodeURIComponent('attributes/location,attributes/secret')}`, as('test:partial'));
    const plain = await session('START-SEND-MESSAGES');
    const sent = await api.call('POST', `/api/2/things/${id}/inbox/messages/hello?timeout=0`, { body: { x: 1 } });
    assert.equal(sent.status, 202);
    const [o, p, q] = await Promise.all([owner.next(isLive('messages')), partial.next(isLive('messages')), plain.next(isLive('messages'))]);
    assert.deepEqual(o.extra, { attributes: { location: 'kitchen', secret: 's3' }, _revision: 1 });
    assert.deepEqual(p.extra, { attributes: { location: 'kitchen' } });
    assert.equal(q.extra, undefined);
    assert.deepEqual(o.value, { x: 1 });
  });

  test('live commands: placeholders in the selector resolve per signal ({{ feature:id }})', async () => {
    const id = await thing();
    const device = await session(`START-SEND-LIVE-COMMANDS?extraFields=${encodeURIComponent('features/{{ feature:id }}/properties/unit,attributes/serial')}`);
    const put = api.call('PUT', `/api/2/things/${id}/features/lamp/properties/level?channel=live&response-required=false`, { body: 5 });
    const m = await device.next(isLive('commands'));
    assert.equal((await put).status, 202);
    assert.equal(m.value, 5);
    assert.deepEqual(m.extra, { attributes: { serial: 7 }, features: { lamp: { properties: { unit: 'lx' } } } });
  });

  test('live events: the subscription filter sees the extra fields; nothing readable selected means no extra', async () => {
    const id = await thing();
    const name = id.split(':')[1] ?? '';
    const filter = encodeURIComponent('eq(attributes/location,"kitchen")');
    const kitchen = await session(`START-SEND-LIVE-EVENTS?extraFields=attributes/location&filter=${filter}`);
    const garage = await session(`START-SEND-LIVE-EVENTS?extraFields=attributes/location&filter=${encodeURIComponent('eq(attributes/location,"garage")')}`);
    const secretOnly = await session('START-SEND-LIVE-EVENTS?extraFields=attributes/secret', as('test:partial'));
    const device = await session('START-SEND-MESSAGES');
    device.send({ topic: `${NS}/${name}/things/live/events/modified`, path: '/features/lamp/properties/level', value: 9, headers: { 'correlation-id': 'ev-1' } });
    const got = await kitchen.next(isLive('events'));
    assert.deepEqual(got.extra, { attributes: { location: 'kitchen' } });
    assert.equal(got.value, 9);
    const partialGot = await secretOnly.next(isLive('events'));
    assert.equal(partialGot.extra, undefined);
    // The garage session's filter does not match: a later event of another thing shows it got nothing before.
    const other = await thing();
    await api.call('PUT', `/api/2/things/${other}/attributes/location`, { body: 'garage' });
    device.send({ topic: `${NS}/${other.split(':')[1] ?? ''}/things/live/events/modified`, path: '/attributes/serial', value: 8, headers: { 'correlation-id': 'ev-2' } });
    const first = await garage.next(isLive('events'));
    assert.equal(first.headers['correlation-id'], 'ev-2');
  });
});
