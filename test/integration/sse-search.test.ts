import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, call, startTestServer, type TestServer } from '../support/doppel-server.ts';
import { SseClient } from '../support/stream-clients.ts';

// [ditto: httpapi-sse search] GET /api/2/search/things as an event stream: one event per result
// (data: the thing, id: its thing ID), the stream ends after the last one, Last-Event-ID resumes,
// an error is a last data event.

const NS = 'org.example.ssesearch';
const OWNER = 'pre:owner';
const READER = 'pre:reader';

let server: TestServer;

before(async () => {
  server = await startTestServer();
  const policy = {
    entries: {
      OWNER: { subjects: { [OWNER]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
      READER: { subjects: { [READER]: { type: 't' } }, resources: { 'thing:/attributes/n': { grant: ['READ'], revoke: [] } } },
    },
  };
  assert.equal((await call(server.url, 'PUT', `/api/2/policies/${NS}:policy`, { headers: as(OWNER), body: policy })).status, 201);
  for (let i = 0; i < 12; i++) {
    const r = await call(server.url, 'PUT', `/api/2/things/${NS}:t${String(i).padStart(2, '0')}`, { headers: as(OWNER), body: { policyId: `${NS}:policy`, attributes: { n: i % 4, secret: i } } });
    assert.equal(r.status, 201, r.text);
  }
});
after(() => server.close());

interface SseEvent {
  readonly data: unknown;
  readonly id: string | undefined;
}

/** Reads a whole search stream (it ends by itself) into its events. */
async function stream(query: string, headers: Record<string, string> = as(OWNER)): Promise<{ status: number; type: string; events: SseEvent[] }> {
  const s = await SseClient.open(`${server.url}/api/2/search/things?${query}`, headers);
  const raw = await s.body();
  const events = raw.split('\n\n').filter((b) => b.trim() !== '').map((block) => {
    const lines = block.split('\n');
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
    const id = lines.find((l) => l.startsWith('id:'))?.slice(3);
    return { data: JSON.parse(data) as unknown, id };
  });
  return { status: s.status, type: s.response.headers['content-type'] ?? '', events };
}

const q = (params: Record<string, string>): string => new URLSearchParams({ namespaces: NS, ...params }).toString();

describe('search as Server-Sent Events', () => {
  test('one event per result in sort order, id is the thing ID, fields apply, the stream ends', async () => {
    const r = await stream(q({ filter: 'ge(attributes/n,2)', option: 'sort(-attributes/n,+thingId),size(2)', fields: 'thingId,attributes/n' }));
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/event-stream/);
    const expected = [2, 3, 6, 7, 10, 11].map((i) => ({ i, n: i % 4 })).sort((a, b) => b.n - a.n || a.i - b.i).map(({ i }) => `${NS}:t${String(i).padStart(2, '0')}`);
    assert.deepEqual(r.events.map((e) => e.id), expected, 'pages of size(2) follow each other until the end');
    assert.deepEqual(r.events.map((e) => (e.data as { thingId: string }).thingId), expected);
    assert.deepEqual(r.events[0]?.data, { thingId: expected[0], attributes: { n: 3 } });
  });

  test('Last-Event-ID resumes after that thing, in the same order', async () => {
    const all = await stream(q({ option: 'sort(+attributes/n)' }));
    const ids = all.events.map((e) => e.id as string);
    assert.equal(ids.length, 12);
    const resumed = await stream(q({ option: 'sort(+attributes/n)' }), { ...as(OWNER), 'last-event-id': ids[4] as string });
    assert.deepEqual(resumed.events.map((e) => e.id), ids.slice(5));
  });

  test('items are READ-filtered and a hidden field does not order them', async () => {
    const r = await stream(q({ option: 'sort(-attributes/secret)' }), as(READER));
    assert.deepEqual(r.events.map((e) => e.id), Array.from({ length: 12 }, (_, i) => `${NS}:t${String(i).padStart(2, '0')}`));
    assert.deepEqual(r.events[5]?.data, { thingId: `${NS}:t05`, attributes: { n: 1 } });
  });

  test('errors end the stream with the error JSON as the last event', async () => {
    const bad = await stream(q({ filter: 'eq(attributes/n' }));
    assert.equal(bad.status, 200);
    assert.equal(bad.events.length, 1);
    assert.deepEqual([(bad.events[0]?.data as { error: string }).error, (bad.events[0]?.data as { status: number }).status], ['rql.expression.invalid', 400]);
    const unknown = await stream(q({}), { ...as(OWNER), 'last-event-id': `${NS}:nope` });
    assert.equal((unknown.events[0]?.data as { error: string }).error, 'things:thing.notfound');
    const cursor = await stream(q({ option: 'cursor(abc)' }));
    assert.equal((cursor.events[0]?.data as { error: string }).error, 'thing-search:search.option.invalid');
  });

  test('without Accept: text/event-stream the search answers JSON, and count is never a stream', async () => {
    const json = await call(server.url, 'GET', `/api/2/search/things?${q({ option: 'size(1)' })}`, { headers: as(OWNER) });
    assert.equal((json.json as { items: unknown[] }).items.length, 1);
    const count = await call(server.url, 'GET', `/api/2/search/things/count?${q({})}`, { headers: { ...as(OWNER), accept: 'text/event-stream' } });
    assert.equal(count.json, 12);
  });
});
