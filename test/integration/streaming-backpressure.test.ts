import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, startTestServer, type TestServer } from '../support/doppel-server.ts';
import { SseClient, WsClient, wsUrl } from '../support/stream-clients.ts';

// The slow-consumer policy: a subscriber that does not read gets its notifications dropped (and
// counted) once its backlog passes the bound, stays connected, and never delays the others.

let server: TestServer;

before(async () => {
  server = await startTestServer({ streamingMaxBufferedBytes: 64 * 1024 });
});
after(async () => {
  await server.close();
});

test('a stalled WebSocket and a stalled SSE stream lose notifications; a reading subscriber gets every one', async () => {
  const fast = await WsClient.open(wsUrl(server.url));
  const slow = await WsClient.open(wsUrl(server.url));
  const sse = await SseClient.open(`${server.url}/api/2/things?namespaces=org.example.bp`);
  for (const c of [fast, slow]) await c.control('START-SEND-EVENTS?namespaces=org.example.bp', 'START-SEND-EVENTS:ACK');
  slow.socket.pause();
  sse.response.pause();
  await call(server.url, 'PUT', '/api/2/things/org.example.bp:t', { body: {} });
  const big = 'x'.repeat(60_000);
  const writes = 200;
  for (let i = 0; i < writes; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => call(server.url, 'PUT', '/api/2/things/org.example.bp:t/attributes/big', { body: `${big}${i + j}` })));
  }
  const started = Date.now();
  for (let i = 0; i <= writes; i++) await fast.event(() => true, 10_000);
  assert.ok(Date.now() - started < 10_000);
  const metrics = server.doppel.streaming.snapshot();
  assert.ok(metrics.dropped > 0, JSON.stringify(metrics));

  slow.socket.resume();
  sse.response.resume();
  await new Promise((r) => setTimeout(r, 500));
  const slowEvents = slow.inbox.drain().filter((t) => t.includes('/events/')).length;
  assert.ok(slowEvents < writes, `the stalled session got ${slowEvents} of ${writes + 1}`);
  // Still connected and served.
  const answer = await slow.request({ topic: 'org.example.bp/t/things/twin/commands/retrieve', path: '/', fields: 'thingId' });
  assert.deepEqual(answer.value, { thingId: 'org.example.bp:t' });
  await Promise.all([fast.close(), slow.close()]);
  sse.close();
});
