import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, errorOf, useTestServer } from '../support/doppel-server.ts';
import { SseClient, WsClient, wsUrl, type ProtocolMessage } from '../support/stream-clients.ts';

// [ditto: httpapi-messages, basic-messages, protocol-specification-things-messages] Messages sent
// over HTTP reach the WebSocket sessions that subscribed to messages and may read them; the first
// response becomes the HTTP response. Messages sent over the socket are routed the same way.

const api = useTestServer();
const open: WsClient[] = [];
after(() => Promise.all(open.map((c) => c.close())));

const NS = 'org.example.msg';
let n = 0;

/** A thing whose policy gives the owner everything, `test:sender` WRITE on inbox messages, `test:twin-reader` READ on the thing only. */
async function thing(): Promise<string> {
  const id = `${NS}:t${++n}`;
  const policy = {
    entries: {
      OWNER: { subjects: { 'nginx:ditto': { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'message:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
      SENDER: { subjects: { 'test:sender': { type: 't' } }, resources: { 'message:/inbox': { grant: ['WRITE'], revoke: [] } } },
      TWIN: { subjects: { 'test:twin-reader': { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
    },
  };
  const r = await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { on: true }, _policy: policy } });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function device(control = 'START-SEND-MESSAGES', headers?: Record<string, string>): Promise<WsClient> {
  const c = await WsClient.open(wsUrl(api.url), headers);
  open.push(c);
  await c.control(control, `${control.split('?')[0] ?? ''}:ACK`);
  return c;
}

function isMessage(m: ProtocolMessage): boolean {
  return m.topic.includes('/things/live/messages/') && m.status === undefined;
}

/** Answers the next message with `status`, `value`, and headers. */
async function answer(c: WsClient, status: number, value: unknown, headers: Record<string, unknown> = {}): Promise<ProtocolMessage> {
  const m = await c.next(isMessage);
  c.send({ topic: m.topic, path: m.path, status, headers: { ...headers, 'correlation-id': m.headers['correlation-id'] }, ...(value === undefined ? {} : { value }) });
  return m;
}

describe('messages from HTTP to WebSocket receivers', () => {
  test('a JSON message reaches the device; its response (status, payload, content type, headers) is the HTTP response', async () => {
    const id = await thing();
    const d = await device();
    const sending = api.call('POST', `/api/2/things/${id}/inbox/messages/turn-on?timeout=5`, { body: { level: 3 }, headers: { 'correlation-id': 'msg-json' } });
    const got = await answer(d, 200, { done: true }, { 'content-type': 'application/json', 'x-device': 'lamp-1', 'content-encoding': 'gzip', 'set-cookie': 'session=device' });
    assert.equal(got.topic, `${NS}/${id.split(':')[1]}/things/live/messages/turn-on`);
    assert.equal(got.path, '/inbox/messages/turn-on');
    assert.deepEqual(got.value, { level: 3 });
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['correlation-id'], 'msg-json');
    const r = await sending;
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { done: true });
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.headers.get('x-device'), 'lamp-1');
    assert.equal(r.headers.get('content-encoding'), null, 'the body is sent as it is, never encoded');
    assert.equal(r.headers.get('set-cookie'), null, 'a device sets no cookies for Doppel');
  });

  test('text and binary payloads, subjects with slashes, feature outboxes', async () => {
    const id = await thing();
    const d = await device();
    const text = api.call('POST', `/api/2/things/${id}/features/lamp/outbox/messages/a/b/c`, { raw: 'hello', headers: { 'content-type': 'text/plain' } });
    const m1 = await answer(d, 200, 'world', { 'content-type': 'text/plain' });
    assert.equal(m1.path, '/features/lamp/outbox/messages/a/b/c');
    assert.ok(m1.topic.endsWith('/things/live/messages/a/b/c'));
    assert.equal(m1.value, 'hello');
    const t = await text;
    assert.equal(t.status, 200);
    assert.equal(t.text, 'world');
    assert.match(t.headers.get('content-type') ?? '', /^text\/plain/);

    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const binary = fetch(`${api.url}/api/2/things/${id}/inbox/messages/blob`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('ditto:ditto').toString('base64')}`, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    const m2 = await answer(d, 200, Buffer.from([9, 8, 7]).toString('base64'), { 'content-type': 'application/octet-stream' });
    assert.equal(m2.value, bytes.toString('base64'));
    const b = await binary;
    assert.equal(b.status, 200);
    assert.deepEqual([...new Uint8Array(await b.arrayBuffer())], [9, 8, 7]);
  });

  test('timeout=0 answers 202 at once and the message is still delivered', async () => {
    const id = await thing();
    const d = await device();
    const r = await api.call('POST', `/api/2/things/${id}/inbox/messages/fire?timeout=0`, { body: 1 });
    assert.equal(r.status, 202);
    const m = await d.next(isMessage);
    assert.equal(m.headers['response-required'], false);
  });

  test('no response in time → 408; a late response is dropped', async () => {
    const id = await thing();
    const d = await device();
    const r = await api.call('POST', `/api/2/things/${id}/inbox/messages/slow?timeout=300ms`, { body: 1 });
    assert.equal(r.status, 408);
    assert.equal(errorOf(r), 'acknowledgement:request.timeout');
    const m = await d.next(isMessage);
    d.send({ topic: m.topic, path: m.path, status: 200, value: 'late', headers: { 'correlation-id': m.headers['correlation-id'] } });
  });

  test('nobody subscribed → 408 too', async () => {
    const id = await thing();
    const r = await api.call('POST', `/api/2/things/${id}/inbox/messages/nobody?timeout=200ms`, { body: 1 });
    assert.equal(r.status, 408);
  });

  test('a response without payload is 204; an error status is kept', async () => {
    const id = await thing();
    const d = await device();
    const empty = api.call('POST', `/api/2/things/${id}/inbox/messages/a`, { body: 1 });
    await answer(d, 200, undefined);
    assert.equal((await empty).status, 204);
    const failing = api.call('POST', `/api/2/things/${id}/inbox/messages/b`, { body: 1 });
    await answer(d, 418, { teapot: true }, { 'content-type': 'application/json' });
    const f = await failing;
    assert.equal(f.status, 418);
    assert.deepEqual(f.json, { teapot: true });
  });

  test('a response with an informational (1xx) status is refused to the device; the sender is not answered with it', async () => {
    const id = await thing();
    const d = await device();
    const sending = api.call('POST', `/api/2/things/${id}/inbox/messages/early?timeout=2`, { body: 1 });
    await answer(d, 101, 'switching');
    const refused = await d.next((m) => m.topic.endsWith('/things/live/errors'));
    assert.equal(refused.status, 422);
    assert.equal((refused.value as { error: string }).error, 'protocoladapter:illegal.adaptable');
    const r = await sending;
    assert.equal(r.status, 408);
    assert.equal(errorOf(r), 'acknowledgement:request.timeout');
  });

  test('payloads over 250 kB → 413 messages:payload.toolarge', async () => {
    const id = await thing();
    const r = await api.call('POST', `/api/2/things/${id}/inbox/messages/big`, { raw: 'x'.repeat(256_001), headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 413);
    assert.equal(errorOf(r), 'messages:payload.toolarge');
  });

  test('[ditto: ConditionHttpIT] the condition is checked on the twin first: 412 and nothing is sent', async () => {
    const id = await thing();
    const d = await device();
    const r = await api.call('POST', `/api/2/things/${id}/inbox/messages/c?condition=eq(attributes/on,false)`, { body: 1 });
    assert.equal(r.status, 412);
    assert.equal(errorOf(r), 'things:condition.failed');
    const ok = api.call('POST', `/api/2/things/${id}/inbox/messages/c?condition=eq(attributes/on,true)`, { body: 2 });
    const m = await answer(d, 200, 'ok', { 'content-type': 'text/plain' });
    assert.equal(m.value, 2, 'the first message was never delivered');
    assert.equal((await ok).status, 200);
  });

  test('GET and other methods on a message route → 405; unknown thing → 404', async () => {
    const id = await thing();
    assert.equal((await api.call('GET', `/api/2/things/${id}/inbox/messages/x`)).status, 405);
    const r = await api.call('POST', `/api/2/things/${NS}:missing/inbox/messages/x`, { body: 1 });
    assert.equal(r.status, 404);
    assert.equal(errorOf(r), 'things:thing.notfound');
  });
});

describe('message permissions', () => {
  test('sending needs WRITE on message:/ (403 messages:send.notallowed); claims need none', async () => {
    const id = await thing();
    const denied = await api.call('POST', `/api/2/things/${id}/outbox/messages/x`, { body: 1, headers: as('test:sender') });
    assert.equal(denied.status, 403);
    assert.equal(errorOf(denied), 'messages:send.notallowed');
    const twinOnly = await api.call('POST', `/api/2/things/${id}/inbox/messages/x`, { body: 1, headers: as('test:twin-reader') });
    assert.equal(errorOf(twinOnly), 'messages:send.notallowed');
    const d = await device();
    const claim = api.call('POST', `/api/2/things/${id}/inbox/claim?timeout=5`, { body: { who: 'me' }, headers: as('test:stranger') });
    const m = await answer(d, 200, { granted: true }, { 'content-type': 'application/json' });
    assert.equal(m.path, '/inbox/messages/claim');
    assert.ok(m.topic.endsWith('/messages/claim'));
    assert.equal((await claim).status, 200);
    const sent = api.call('POST', `/api/2/things/${id}/inbox/messages/allowed`, { body: 1, headers: as('test:sender') });
    await answer(d, 200, 'ok', { 'content-type': 'text/plain' });
    assert.equal((await sent).status, 200);
  });

  test('a claim may wait up to ten minutes; other messages up to the general maximum of a minute', async () => {
    const id = await thing();
    const d = await device();
    const claim = api.call('POST', `/api/2/things/${id}/inbox/claim?timeout=600`, { body: { who: 'me' }, headers: as('test:stranger') });
    await answer(d, 200, { granted: true }, { 'content-type': 'application/json' });
    assert.equal((await claim).status, 200);
    const tooLongClaim = await api.call('POST', `/api/2/things/${id}/inbox/claim`, { body: 1, headers: { timeout: '11m' } });
    assert.equal(tooLongClaim.status, 400);
    assert.equal(errorOf(tooLongClaim), 'gateway:timeout.invalid');
    const tooLongMessage = await api.call('POST', `/api/2/things/${id}/inbox/messages/x?timeout=120`, { body: 1 });
    assert.equal(tooLongMessage.status, 400);
    assert.equal(errorOf(tooLongMessage), 'gateway:timeout.invalid');
  });

  test('receivers need READ on the message: a session without it gets nothing', async () => {
    const id = await thing();
    const blind = await device('START-SEND-MESSAGES', as('test:twin-reader'));
    const owner = await device();
    const sending = api.call('POST', `/api/2/things/${id}/inbox/messages/secret`, { body: 1 });
    await answer(owner, 200, 'ok', { 'content-type': 'text/plain' });
    assert.equal((await sending).status, 200);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(blind.inbox.drain(), []);
  });

  test('namespaces restrict what a session receives', async () => {
    const id = await thing();
    const other = await device('START-SEND-MESSAGES?namespaces=org.example.other');
    const mine = await device(`START-SEND-MESSAGES?namespaces=${NS}`);
    const sending = api.call('POST', `/api/2/things/${id}/inbox/messages/ns`, { body: 1 });
    await answer(mine, 204, undefined);
    assert.equal((await sending).status, 204);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(other.inbox.drain(), []);
  });
});

describe('messages sent over the WebSocket', () => {
  test('a device sends to its outbox; an app session answers; the device gets the response on its socket', async () => {
    const id = await thing();
    const app = await device();
    const dev = await WsClient.open(wsUrl(api.url));
    open.push(dev);
    const [ns, name] = id.split(':');
    const asking = dev.request({ topic: `${ns}/${name}/things/live/messages/status`, path: '/outbox/messages/status', value: { temp: 21 }, headers: { 'content-type': 'application/json' } });
    const m = await answer(app, 200, 'thanks', { 'content-type': 'text/plain' });
    assert.deepEqual(m.value, { temp: 21 });
    const response = await asking;
    assert.equal(response.status, 200);
    assert.equal(response.value, 'thanks');
    assert.equal(response.topic, `${ns}/${name}/things/live/messages/status`);
  });

  test('a message waiting for its response does not hold up the next ones of the same session', async () => {
    const id = await thing();
    const app = await device();
    const dev = await WsClient.open(wsUrl(api.url));
    open.push(dev);
    const [ns, name] = id.split(':');
    const topic = `${ns}/${name}/things/live/messages`;
    const slow = dev.request({ topic: `${topic}/slow`, path: '/outbox/messages/slow', value: 1, headers: { timeout: '3s' } }, 6_000);
    const fast = dev.request({ topic: `${topic}/fast`, path: '/outbox/messages/fast', value: 2 });
    const first = await app.next(isMessage);
    const second = await app.next(isMessage);
    assert.deepEqual([first.value, second.value], [1, 2]);
    app.send({ topic: second.topic, path: second.path, status: 200, value: 'quick', headers: { 'correlation-id': second.headers['correlation-id'] } });
    assert.equal((await fast).value, 'quick');
    app.send({ topic: first.topic, path: first.path, status: 200, value: 'late', headers: { 'correlation-id': first.headers['correlation-id'] } });
    assert.equal((await slow).value, 'late');
  });

  test('payloads over 250 kB sent over the socket → 413 messages:payload.toolarge, and nothing is delivered', async () => {
    const id = await thing();
    const app = await device();
    const dev = await WsClient.open(wsUrl(api.url));
    open.push(dev);
    const [ns, name] = id.split(':');
    const r = await dev.request({ topic: `${ns}/${name}/things/live/messages/big`, path: '/outbox/messages/big', value: 'x'.repeat(300_000), headers: { 'content-type': 'text/plain', timeout: '2s' } });
    assert.equal(r.status, 413);
    assert.equal((r.value as { error: string }).error, 'messages:payload.toolarge');
    // A device's response is a message too.
    const sending = api.call('POST', `/api/2/things/${id}/inbox/messages/ask?timeout=3`, { body: 1 });
    const m = await app.next(isMessage);
    app.send({ topic: m.topic, path: m.path, status: 200, value: 'y'.repeat(300_000), headers: { 'content-type': 'text/plain', 'correlation-id': m.headers['correlation-id'] } });
    const refused = await app.next((x) => x.topic.endsWith('/things/live/errors'));
    assert.equal(refused.status, 413);
    assert.equal((await sending).status, 408);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(app.inbox.drain(), []);
  });

  test('the sender does not get its own message back; without a receiver it gets a 408 error', async () => {
    const id = await thing();
    const alone = await device();
    const [ns, name] = id.split(':');
    const r = await alone.request({ topic: `${ns}/${name}/things/live/messages/echo`, path: '/inbox/messages/echo', value: 1, headers: { timeout: '200ms' } });
    assert.equal(r.topic, `${ns}/${name}/things/live/errors`);
    assert.equal(r.status, 408);
    assert.equal((r.value as { error: string }).error, 'acknowledgement:request.timeout');
  });
});

describe('requests whose sender is gone', () => {
  /** Waits until the live service holds `n` waiting requests (state, not speed: generous bound). */
  async function waiting(n: number): Promise<void> {
    for (let i = 0; i < 200 && api.server.doppel.live.waiting !== n; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(api.server.doppel.live.waiting, n);
  }

  test('a WebSocket session that closes frees the waits of its messages at once, not at their timeout', async () => {
    const id = await thing();
    const before = api.server.doppel.live.waiting;
    const dev = await WsClient.open(wsUrl(api.url));
    const [ns, name] = id.split(':');
    for (let i = 0; i < 3; i++) dev.send({ topic: `${ns}/${name}/things/live/messages/m${i}`, path: `/outbox/messages/m${i}`, value: i, headers: { timeout: '50s', 'correlation-id': `gone-${i}` } });
    await waiting(before + 3);
    await dev.close();
    await waiting(before);
  });

  test('an HTTP sender that disconnects frees its wait too', async () => {
    const id = await thing();
    const before = api.server.doppel.live.waiting;
    const abort = new AbortController();
    const sending = fetch(`${api.url}/api/2/things/${id}/inbox/messages/bye?timeout=50`, {
      method: 'POST', signal: abort.signal, body: '1', headers: { authorization: `Basic ${Buffer.from('ditto:ditto').toString('base64')}`, 'content-type': 'application/json' },
    }).catch(() => undefined);
    await waiting(before + 1);
    abort.abort();
    await sending;
    await waiting(before);
  });
});

describe('message streams over SSE', () => {
  test('[ditto: httpapi-sse messages] GET .../inbox/messages streams each message as event:<subject>, data:<payload>', async () => {
    const id = await thing();
    const sse = await SseClient.open(`${api.url}/api/2/things/${id}/inbox/messages`);
    const blind = await SseClient.open(`${api.url}/api/2/things/${id}/inbox/messages`, as('test:twin-reader'));
    const outbox = await SseClient.open(`${api.url}/api/2/things/${id}/outbox/messages/only-this`);
    try {
      assert.equal(sse.status, 200);
      assert.equal((await api.call('POST', `/api/2/things/${id}/outbox/messages/other?timeout=0`, { raw: 'not for inbox', headers: { 'content-type': 'text/plain' } })).status, 202);
      assert.equal((await api.call('POST', `/api/2/things/${id}/inbox/messages/hello/there?timeout=0`, { raw: 'line one', headers: { 'content-type': 'text/plain' } })).status, 202);
      assert.equal((await api.call('POST', `/api/2/things/${id}/inbox/messages/json?timeout=0`, { body: { a: 1 } })).status, 202);
      assert.equal(await sse.inbox.next(() => true, 5_000, 'text message'), 'line one');
      assert.equal(await sse.inbox.next(() => true, 5_000, 'JSON message'), '{"a":1}');
      assert.match(sse.raw, /event:hello\/there\ndata:line one\n\n/);
      await blind.nothing(100);
      await outbox.nothing(100);
    } finally {
      sse.close();
      blind.close();
      outbox.close();
    }
  });
});
