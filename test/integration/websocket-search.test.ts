import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, call, startTestServer, type TestServer } from '../support/doppel-server.ts';
import { WsClient, wsUrl, type ProtocolMessage } from '../support/stream-clients.ts';

// [ditto: protocol-specification-things-search] The search protocol over /ws/2: subscribe →
// created; request(n) → up to n pages (next), then complete; failed on errors; cancel; pages only
// as demanded; items filtered by policy as HTTP search hits are.

const NS = 'org.example.wssearch';
const OWNER = 'pre:owner';
const READER = 'pre:reader';
const SEARCH = '_/_/things/twin/search';

let server: TestServer;
let limited: TestServer;
const sockets: WsClient[] = [];

async function open(target: TestServer, subject = OWNER): Promise<WsClient> {
  const ws = await WsClient.open(wsUrl(target.url), as(subject));
  sockets.push(ws);
  return ws;
}

const POLICY = {
  entries: {
    OWNER: { subjects: { [OWNER]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
    READER: {
      subjects: { [READER]: { type: 't' } },
      resources: { 'thing:/attributes': { grant: ['READ'], revoke: [] }, 'thing:/attributes/secret': { grant: [], revoke: ['READ'] } },
    },
  },
};

before(async () => {
  server = await startTestServer();
  limited = await startTestServer({ searchIdleTimeoutMs: 300, wsMaxSearchSubscriptions: 2 });
  for (const target of [server, limited]) {
    const p = await call(target.url, 'PUT', `/api/2/policies/${NS}:policy`, { headers: as(OWNER), body: POLICY });
    assert.equal(p.status, 201, p.text);
    for (let i = 0; i < 7; i++) {
      const body = { policyId: `${NS}:policy`, attributes: { n: i, secret: 100 - i } };
      const r = await call(target.url, 'PUT', `/api/2/things/${NS}:t${i}`, { headers: as(OWNER), body });
      assert.equal(r.status, 201, r.text);
    }
  }
});
after(async () => {
  for (const s of sockets) await s.close();
  await server.close();
  await limited.close();
});

function subscribe(ws: WsClient, value: Record<string, unknown>, fields?: string, correlationId = `sub-${Math.random()}`): Promise<ProtocolMessage> {
  ws.send({ topic: `${SEARCH}/subscribe`, headers: { 'correlation-id': correlationId }, path: '/', value, ...(fields === undefined ? {} : { fields }) });
  return ws.next((m) => m.headers['correlation-id'] === correlationId, 5_000, 'created');
}

function request(ws: WsClient, subscriptionId: string, demand: number): void {
  ws.send({ topic: `${SEARCH}/request`, headers: {}, path: '/', value: { subscriptionId, demand } });
}

/** The next search message of a subscription. */
function nextOf(ws: WsClient, subscriptionId: string): Promise<ProtocolMessage> {
  return ws.next((m) => m.topic.startsWith(SEARCH) && (m.value as { subscriptionId?: string } | undefined)?.subscriptionId === subscriptionId, 5_000, `message of ${subscriptionId}`);
}

/** Fails when a message of the subscription arrives within `ms`. */
async function silent(ws: WsClient, subscriptionId: string, ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  const early = ws.inbox.drain().filter((t) => t.includes(subscriptionId));
  assert.deepEqual(early, [], 'nothing before it is asked for');
}

const idOf = (m: ProtocolMessage): string => (m.value as { subscriptionId: string }).subscriptionId;
const items = (m: ProtocolMessage): unknown[] => (m.value as { items: unknown[] }).items;

describe('search subscriptions over the WebSocket', () => {
  test('created, then pages only as requested, in sort order with fields, then complete', async () => {
    const ws = await open(server);
    const created = await subscribe(ws, { filter: 'ge(attributes/n,2)', options: 'size(2),sort(-attributes/n)', namespaces: [NS] }, 'thingId,attributes/n', 'corr-1');
    assert.equal(created.topic, `${SEARCH}/created`);
    assert.equal(created.path, '/');
    assert.equal(created.headers['correlation-id'], 'corr-1');
    const id = idOf(created);
    assert.equal(typeof id, 'string');
    await silent(ws, id);

    request(ws, id, 1);
    const first = await nextOf(ws, id);
    assert.equal(first.topic, `${SEARCH}/next`);
    assert.deepEqual(items(first), [{ thingId: `${NS}:t6`, attributes: { n: 6 } }, { thingId: `${NS}:t5`, attributes: { n: 5 } }]);
    await silent(ws, id);

    request(ws, id, 10);
    assert.deepEqual(items(await nextOf(ws, id)).map((t) => (t as { thingId: string }).thingId), [`${NS}:t4`, `${NS}:t3`]);
    assert.deepEqual(items(await nextOf(ws, id)).map((t) => (t as { thingId: string }).thingId), [`${NS}:t2`]);
    const complete = await nextOf(ws, id);
    assert.equal(complete.topic, `${SEARCH}/complete`);
    assert.deepEqual(complete.value, { subscriptionId: id });
  });

  test('items are what the caller may read; a hidden field neither matches nor orders', async () => {
    const ws = await open(server, READER);
    const created = await subscribe(ws, { options: 'sort(+attributes/secret),size(200)', namespaces: [NS] });
    const id = idOf(created);
    request(ws, id, 1);
    const page = items(await nextOf(ws, id)) as { thingId: string; attributes: Record<string, unknown> }[];
    assert.deepEqual(page.map((t) => t.thingId), [0, 1, 2, 3, 4, 5, 6].map((i) => `${NS}:t${i}`), 'secret is absent for the reader: thing ID order');
    assert.deepEqual(page[0]?.attributes, { n: 0 });
    assert.equal((await nextOf(ws, id)).topic, `${SEARCH}/complete`);

    const hidden = await subscribe(ws, { filter: 'exists(attributes/secret)', namespaces: [NS] });
    request(ws, idOf(hidden), 1);
    assert.equal((await nextOf(ws, idOf(hidden))).topic, `${SEARCH}/complete`, 'no match, no empty page');
  });

  test('errors: invalid filter or option fail at the first request; demand <= 0; unknown subscription', async () => {
    const ws = await open(server);
    const bad = await subscribe(ws, { filter: 'eq(attributes/n' });
    await silent(ws, idOf(bad));
    request(ws, idOf(bad), 1);
    const failed = await nextOf(ws, idOf(bad));
    assert.equal(failed.topic, `${SEARCH}/failed`);
    assert.equal((failed.value as { error: { error: string; status: number } }).error.error, 'rql.expression.invalid');

    const zero = await subscribe(ws, { namespaces: [NS] });
    request(ws, idOf(zero), 0);
    const protocolError = await nextOf(ws, idOf(zero));
    assert.equal(protocolError.topic, `${SEARCH}/failed`);
    assert.deepEqual((protocolError.value as { error: { error: string; status: number } }).error.status, 400);
    assert.equal((protocolError.value as { error: { error: string } }).error.error, 'thing-search:subscription.protocol.error');
    request(ws, idOf(zero), 1);
    assert.equal(((await nextOf(ws, idOf(zero))).value as { error: { error: string } }).error.error, 'thing-search:subscription.not.found');
  });

  test('options cursor and limit are refused, as invalid options are', async () => {
    const ws = await open(server);
    for (const options of ['cursor(abc)', 'limit(0,5)', 'size(500)']) {
      const s = await subscribe(ws, { options });
      request(ws, idOf(s), 1);
      const failed = await nextOf(ws, idOf(s));
      assert.equal(failed.topic, `${SEARCH}/failed`, options);
      assert.equal((failed.value as { error: { error: string } }).error.error, 'thing-search:search.option.invalid', options);
    }
  });

  test('cancel stops the subscription', async () => {
    const ws = await open(server);
    const s = await subscribe(ws, { options: 'size(1)', namespaces: [NS] });
    request(ws, idOf(s), 1);
    assert.equal((await nextOf(ws, idOf(s))).topic, `${SEARCH}/next`);
    ws.send({ topic: `${SEARCH}/cancel`, headers: {}, path: '/', value: { subscriptionId: idOf(s) } });
    await new Promise((r) => setTimeout(r, 100));
    request(ws, idOf(s), 5);
    assert.equal(((await nextOf(ws, idOf(s))).value as { error: { error: string } }).error.error, 'thing-search:subscription.not.found');
  });

  test('a malformed request is answered with an error envelope', async () => {
    const ws = await open(server);
    const answer = await ws.request({ topic: `${SEARCH}/request`, path: '/', value: { subscriptionId: 'x' } });
    assert.equal(answer.topic, '_/_/things/twin/errors');
    assert.equal((answer.value as { error: string }).error, 'json.field.missing');
  });
});

describe('search subscription limits', () => {
  test('an idle subscription fails with thing-search:subscription.timeout', async () => {
    const ws = await open(limited);
    const s = await subscribe(ws, { options: 'size(1)', namespaces: [NS] });
    const failed = await nextOf(ws, idOf(s));
    assert.equal(failed.topic, `${SEARCH}/failed`);
    const error = (failed.value as { error: { error: string; status: number } }).error;
    assert.deepEqual([error.error, error.status], ['thing-search:subscription.timeout', 408]);
  });

  test('a session holds a bounded number of subscriptions', async () => {
    const ws = await open(limited);
    await subscribe(ws, { namespaces: [NS] });
    await subscribe(ws, { namespaces: [NS] });
    const refused = await subscribe(ws, { namespaces: [NS] });
    assert.equal(refused.topic, '_/_/things/twin/errors');
    assert.equal((refused.value as { error: string; status: number }).status, 429);
  });
});
