import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorOf, useTestServer } from '../support/doppel-server.ts';
import { WsClient, wsUrl, type ProtocolMessage } from '../support/stream-clients.ts';

// [ditto: basic-acknowledgements] Live commands and messages may request custom labels besides
// live-response: receivers that declared them issue them, declarers the signal does not reach
// answer weakly, and the answers are aggregated as for twin commands.

const api = useTestServer();
const open: WsClient[] = [];
after(() => Promise.all(open.map((c) => c.close())));

const NS = 'org.example.liveacks';
let n = 0;

async function thing(): Promise<string> {
  const id = `${NS}:t${++n}`;
  const r = await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { a: 1 } } });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function session(labels: string[], control?: string): Promise<WsClient> {
  const query = labels.length === 0 ? '' : `?declared-acks=${encodeURIComponent(JSON.stringify(labels))}`;
  const c = await WsClient.open(wsUrl(api.url, query));
  open.push(c);
  if (control !== undefined) await c.control(control, `${control.split('?')[0] ?? ''}:ACK`);
  return c;
}

const isSignal = (criterion: string) => (m: ProtocolMessage): boolean => m.topic.includes(`/things/live/${criterion}/`) && m.status === undefined;

function ack(c: WsClient, m: ProtocolMessage, label: string, status: number, value?: unknown): void {
  const [ns, name] = m.topic.split('/');
  c.send({ topic: `${ns}/${name}/things/live/acks/${label}`, path: '/', status, headers: { 'correlation-id': m.headers['correlation-id'] }, ...(value === undefined ? {} : { value }) });
}

function respond(c: WsClient, m: ProtocolMessage, status: number, value?: unknown): void {
  c.send({ topic: m.topic, path: m.path, status, headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'application/json' }, ...(value === undefined ? {} : { value }) });
}

type Aggregated = Record<string, { status: number; payload?: unknown; headers: Record<string, unknown> }>;

describe('custom acknowledgements on the live channel', () => {
  test('a message requesting live-response and a custom label: the device answers and acknowledges; 200 with both entries', async () => {
    const id = await thing();
    const device = await session(['device-stored'], 'START-SEND-MESSAGES');
    const sending = api.call('POST', `/api/2/things/${id}/inbox/messages/store?timeout=5s&requested-acks=live-response,device-stored`, { body: { v: 1 } });
    const m = await device.next(isSignal('messages'));
    assert.deepEqual(m.headers['requested-acks'], ['device-stored'], 'built-in labels are never shown');
    respond(device, m, 200, { ok: true });
    ack(device, m, 'device-stored', 201, { stored: 1 });
    const r = await sending;
    assert.equal(r.status, 200, r.text);
    const body = r.json as Aggregated;
    assert.equal(body['live-response']?.status, 200);
    assert.deepEqual(body['live-response']?.payload, { ok: true });
    assert.equal(body['device-stored']?.status, 201);
    assert.deepEqual(body['device-stored']?.payload, { stored: 1 });
  });

  test('a live command: acknowledgement before the response, a failed acknowledgement makes 424', async () => {
    const id = await thing();
    const device = await session(['device-applied'], 'START-SEND-LIVE-COMMANDS');
    const put = api.call('PUT', `/api/2/things/${id}/attributes/a?channel=live&timeout=5s&requested-acks=device-applied`, { body: 2 });
    const m = await device.next(isSignal('commands'));
    ack(device, m, 'device-applied', 500, 'could not apply');
    respond(device, m, 204);
    const r = await put;
    assert.equal(r.status, 424, r.text);
    const body = r.json as Aggregated;
    assert.equal(body['live-response']?.status, 204);
    assert.equal(body['device-applied']?.status, 500);
  });

  test('a declarer the signal does not reach answers weakly; with response-required=false the caller gets 202 once acknowledged', async () => {
    const id = await thing();
    await session(['lazy-ack']);
    const r = await api.call('POST', `/api/2/things/${id}/inbox/messages/x?timeout=5s&requested-acks=lazy-ack&response-required=false`, { body: 1 });
    assert.equal(r.status, 202, r.text);
    const device = await session([], 'START-SEND-MESSAGES');
    const sending = api.call('POST', `/api/2/things/${id}/inbox/messages/y?timeout=5s&requested-acks=live-response,lazy-ack`, { body: 1 });
    respond(device, await device.next(isSignal('messages')), 200, 'fine');
    const both = await sending;
    assert.equal(both.status, 200, both.text);
    const body = both.json as Aggregated;
    assert.equal(body['lazy-ack']?.status, 200);
    assert.equal(body['lazy-ack']?.headers['ditto-weak-ack'], true);
  });

  test('labels that do not come in time are 408 entries; timeout=0 with a custom label is 400', async () => {
    const id = await thing();
    const device = await session(['slow-ack'], 'START-SEND-MESSAGES');
    const sending = api.call('POST', `/api/2/things/${id}/inbox/messages/z?timeout=300ms&requested-acks=live-response,slow-ack`, { body: 1 });
    respond(device, await device.next(isSignal('messages')), 200, 'fine');
    const r = await sending;
    assert.equal(r.status, 424, r.text);
    assert.equal((r.json as Aggregated)['slow-ack']?.status, 408);
    const zero = await api.call('POST', `/api/2/things/${id}/inbox/messages/z?timeout=0&requested-acks=slow-ack`, { body: 1 });
    assert.equal(zero.status, 400);
    assert.equal(errorOf(zero), 'header.invalid');
  });

  test('over the WebSocket: a message with a custom label is answered with the aggregated acknowledgements', async () => {
    const id = await thing();
    const [ns, name] = id.split(':');
    const device = await session(['ws-ack'], 'START-SEND-MESSAGES');
    const sender = await session([]);
    sender.send({ topic: `${ns}/${name}/things/live/messages/ask`, path: '/inbox/messages/ask', value: 'q', headers: { 'correlation-id': 'ws-live-acks', 'content-type': 'text/plain', timeout: '5s', 'requested-acks': ['live-response', 'ws-ack'] } });
    const m = await device.next(isSignal('messages'));
    respond(device, m, 200, 'a');
    ack(device, m, 'ws-ack', 200);
    const answer = await sender.next((x) => x.headers['correlation-id'] === 'ws-live-acks');
    assert.equal(answer.topic, `${ns}/${name}/things/live/acks`);
    assert.equal(answer.status, 200);
    const value = answer.value as Aggregated;
    assert.equal(value['ws-ack']?.status, 200);
    assert.equal(value['live-response']?.status, 200);
  });

  test('over the WebSocket: a live message requesting a custom label with response-required=false is refused with 400, and not delivered', async () => {
    const id = await thing();
    const [ns, name] = id.split(':');
    const device = await session(['quiet-ack'], 'START-SEND-MESSAGES');
    const sender = await session([]);
    const headers = { 'content-type': 'text/plain', timeout: '5s', 'response-required': false, 'requested-acks': ['quiet-ack'] };
    sender.send({ topic: `${ns}/${name}/things/live/messages/hush`, path: '/inbox/messages/hush', value: 'q', headers: { ...headers, 'correlation-id': 'ws-quiet-acks' } });
    const refused = await sender.next((x) => x.headers['correlation-id'] === 'ws-quiet-acks');
    assert.equal(refused.topic, `${ns}/${name}/things/live/errors`);
    assert.equal(refused.status, 400);
    assert.equal((refused.value as { error?: string }).error, 'header.invalid');
    // The same message without the label goes through: the device sees that one, never the refused one.
    sender.send({ topic: `${ns}/${name}/things/live/messages/hush`, path: '/inbox/messages/hush', value: 'ok', headers: { ...headers, 'requested-acks': [], 'correlation-id': 'ws-quiet-ok' } });
    const delivered = await device.next(isSignal('messages'));
    assert.equal(delivered.headers['correlation-id'], 'ws-quiet-ok');
  });
});
