import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorOf, useTestServer } from '../support/doppel-server.ts';
import { WsClient, wsUrl, type ProtocolMessage } from '../support/stream-clients.ts';
import { DITTO_BASIC } from '../support/doppel-server.ts';

// [ditto: basic-acknowledgements, protocol-specification-acks, RequestedAcksIT] Requested
// acknowledgements: built-in labels, custom labels declared and issued by WebSocket sessions,
// weak acknowledgements, aggregation and the header rules.

const api = useTestServer();
const open: WsClient[] = [];
after(() => Promise.all(open.map((c) => c.close())));

const NS = 'org.example.acks';
let n = 0;
const newId = (): string => `${NS}:t${++n}`;

async function declaring(labels: string[], control?: string): Promise<WsClient> {
  const c = await WsClient.open(wsUrl(api.url, `?declared-acks=${encodeURIComponent(JSON.stringify(labels))}`));
  open.push(c);
  if (control !== undefined) await c.control(control, `${control.split('?')[0] ?? ''}:ACK`);
  return c;
}

/** Waits for the event of `thingId` and issues `label` for it. */
async function issue(c: WsClient, thingId: string, label: string, status: number, value?: unknown): Promise<ProtocolMessage> {
  const [ns, name] = thingId.split(':');
  const event = await c.event((m) => m.topic.startsWith(`${ns}/${name}/`));
  c.send({ topic: `${ns}/${name}/things/twin/acks/${label}`, path: '/', status, headers: { 'correlation-id': event.headers['correlation-id'] }, ...(value === undefined ? {} : { value }) });
  return event;
}

describe('acknowledgements over HTTP', () => {
  test('twin-persisted and a custom label: 200 with both entries; the event names the custom label', async () => {
    const id = newId();
    const c = await declaring(['custom-ack'], 'START-SEND-EVENTS');
    const put = api.call('PUT', `/api/2/things/${id}?requested-acks=twin-persisted,custom-ack&timeout=5s`, { body: { attributes: { a: 1 } } });
    const event = await issue(c, id, 'custom-ack', 200, { outcome: 'green' });
    assert.deepEqual(event.headers['requested-acks'], ['custom-ack']);
    const r = await put;
    assert.equal(r.status, 200, r.text);
    const body = r.json as Record<string, { status: number; payload?: unknown; headers: Record<string, unknown> }>;
    assert.deepEqual(Object.keys(body), ['twin-persisted', 'custom-ack']);
    assert.equal(body['twin-persisted']?.status, 201);
    assert.equal((body['twin-persisted']?.payload as { thingId: string }).thingId, id);
    assert.equal(body['twin-persisted']?.headers['etag'], '"rev:1"');
    assert.match(String(body['twin-persisted']?.headers['location']), new RegExp(`/api/2/things/${id}$`));
    assert.deepEqual(body['custom-ack'], { status: 200, payload: { outcome: 'green' }, headers: { 'correlation-id': event.headers['correlation-id'] } });
  });

  test('a single custom label: its status and payload are the response; a failed one among several → 424', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    const c = await declaring(['single-ack'], 'START-SEND-EVENTS');
    const one = api.call('PUT', `/api/2/things/${id}/attributes/x?requested-acks=single-ack`, { body: 1 });
    await issue(c, id, 'single-ack', 202, 'accepted by device');
    const r1 = await one;
    assert.equal(r1.status, 202);
    assert.equal(r1.json, 'accepted by device');
    const two = api.call('PUT', `/api/2/things/${id}/attributes/y?requested-acks=twin-persisted,single-ack`, { body: 1 });
    await issue(c, id, 'single-ack', 500, { broken: true });
    const r2 = await two;
    assert.equal(r2.status, 424);
    assert.equal((r2.json as Record<string, { status: number }>)['twin-persisted']?.status, 201);
  });

  test('labels nobody issues time out as 408 entries (one alone → 408)', async () => {
    const id = newId();
    const r = await api.call('PUT', `/api/2/things/${id}?requested-acks=twin-persisted,nobody-ack&timeout=300ms`, { body: {} });
    assert.equal(r.status, 424);
    const entry = (r.json as Record<string, { status: number; payload: { error: string } }>)['nobody-ack'];
    assert.equal(entry?.status, 408);
    assert.equal(entry?.payload.error, 'acknowledgement:request.timeout');
    const single = await api.call('PUT', `/api/2/things/${id}/attributes/a?requested-acks=nobody-ack&timeout=200ms`, { body: 1 });
    assert.equal(single.status, 408);
    assert.equal(errorOf(single), 'acknowledgement:request.timeout');
  });

  test('search-persisted: the search index is written with the twin, so it is acknowledged with it', async () => {
    const id = newId();
    const r = await api.call('PUT', `/api/2/things/${id}?requested-acks=twin-persisted,search-persisted`, { body: { attributes: { searchable: 'yes-now' } } });
    assert.equal(r.status, 200);
    assert.equal((r.json as Record<string, { status: number }>)['search-persisted']?.status, 204);
    const found = await api.call('GET', `/api/2/search/things?filter=eq(attributes/searchable,"yes-now")`);
    assert.equal((found.json as { items: unknown[] }).items.length, 1);
  });

  test('[ditto: weak acks] a declaring session that filters the event out answers with a weak acknowledgement', async () => {
    const id = newId();
    await declaring(['weak-ack'], 'START-SEND-EVENTS?filter=eq(attributes/never,true)');
    const r = await api.call('PUT', `/api/2/things/${id}?requested-acks=twin-persisted,weak-ack&timeout=5s`, { body: { attributes: { a: 1 } } });
    assert.equal(r.status, 200, r.text);
    const weak = (r.json as Record<string, { status: number; headers: Record<string, unknown> }>)['weak-ack'];
    assert.equal(weak?.status, 200);
    assert.equal(weak?.headers['ditto-weak-ack'], true);
    await declaring(['unsubscribed-ack']);
    const r2 = await api.call('PUT', `/api/2/things/${id}/attributes/b?requested-acks=unsubscribed-ack&timeout=5s`, { body: 1 });
    assert.equal(r2.status, 200, 'a session that did not subscribe to events acknowledges weakly too');
  });

  test('header rules: timeout=0 with acks → 400; response-required=false waits for the acks, then 202', async () => {
    const id = newId();
    const zero = await api.call('PUT', `/api/2/things/${id}?requested-acks=twin-persisted,x-ack&timeout=0`, { body: {} });
    assert.equal(zero.status, 400);
    const c = await declaring(['late-ack'], 'START-SEND-EVENTS');
    const quiet = api.call('PUT', `/api/2/things/${id}?requested-acks=twin-persisted,late-ack&response-required=false`, { body: {} });
    await issue(c, id, 'late-ack', 200);
    assert.equal((await quiet).status, 202);
  });
});

describe('acknowledgements over the WebSocket', () => {
  test('a command with requested-acks is answered with the aggregated acks message', async () => {
    const id = newId();
    const issuer = await declaring(['ws-ack'], 'START-SEND-EVENTS');
    const app = await WsClient.open(wsUrl(api.url));
    open.push(app);
    const [ns, name] = id.split(':');
    const asking = app.request({ topic: `${ns}/${name}/things/twin/commands/create`, path: '/', value: {}, headers: { 'requested-acks': ['twin-persisted', 'ws-ack'], timeout: '5s' } });
    await issue(issuer, id, 'ws-ack', 200, 'done');
    const answer = await asking;
    assert.equal(answer.topic, `${ns}/${name}/things/twin/acks`);
    assert.equal(answer.status, 200);
    const value = answer.value as Record<string, { status: number; payload?: unknown }>;
    assert.equal(value['twin-persisted']?.status, 201);
    assert.deepEqual(value['ws-ack']?.payload, 'done');
  });

  test('acknowledgements need a final status: 1xx and numbers that are no HTTP status are refused to the issuer', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    const c = await declaring(['status-ack'], 'START-SEND-EVENTS');
    const put = api.call('PUT', `/api/2/things/${id}/attributes/x?requested-acks=status-ack&timeout=2s`, { body: 1 });
    const [ns, name] = id.split(':');
    const event = await c.event((m) => m.topic.startsWith(`${ns}/${name}/`));
    const correlation = { 'correlation-id': event.headers['correlation-id'] };
    const refused = async (): Promise<string> => ((await c.next((m) => m.topic.endsWith('/things/twin/errors'))).value as { error: string }).error;
    c.send({ topic: `${ns}/${name}/things/twin/acks/status-ack`, path: '/', status: 100, headers: correlation });
    assert.equal(await refused(), 'protocoladapter:illegal.adaptable');
    for (const status of [150, 999, 1.5]) {
      c.send({ topic: `${ns}/${name}/things/twin/acks`, path: '/', value: { 'status-ack': { status } }, headers: correlation });
      assert.equal(await refused(), 'protocoladapter:illegal.adaptable', String(status));
    }
    const r = await put;
    assert.equal(r.status, 408);
    assert.equal(errorOf(r), 'acknowledgement:request.timeout');
  });

  test('labels are unique across sessions: a second declarer gets 409 and is closed', async () => {
    await declaring(['unique-ack']);
    const second = await declaring(['unique-ack']);
    const error = await second.next();
    assert.equal(error.status, 409);
    assert.equal((error.value as { error: string }).error, 'acknowledgement:label.not.unique');
    assert.equal((await second.closed).code, 1000);
  });

  test('undeclared and built-in labels cannot be issued; built-in labels cannot be declared', async () => {
    const c = await declaring(['mine-ack']);
    const other = { topic: `${NS}/x/things/twin/acks/other-ack`, path: '/', status: 200 };
    const undeclared = await c.request(other);
    assert.equal((undeclared.value as { error: string }).error, 'acknowledgement:label.not.declared');
    const persisted = { topic: `${NS}/x/things/twin/acks/twin-persisted`, path: '/', status: 200 };
    const builtIn = await c.request(persisted);
    assert.equal((builtIn.value as { error: string }).error, 'acknowledgement:ditto.acklabel.forbidden');
    await assert.rejects(WsClient.open(wsUrl(api.url, `?declared-acks=${encodeURIComponent('["live-response"]')}`), { authorization: DITTO_BASIC }), (e: { status?: number }) => e.status === 400);
    await assert.rejects(WsClient.open(wsUrl(api.url, '?declared-acks=a,b'), { authorization: DITTO_BASIC }), (e: { status?: number }) => e.status === 400);
  });
});
