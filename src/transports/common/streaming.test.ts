import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsEventStream, SlowConsumerGuard, StreamingMetrics } from './streaming.ts';

void test('[ditto: ThingsSseRouteBuilder.matchesTextEventStream] which Accept headers ask for SSE', () => {
  assert.equal(acceptsEventStream('text/event-stream'), true);
  assert.equal(acceptsEventStream('application/json, text/event-stream;q=0.5'), true);
  assert.equal(acceptsEventStream('TEXT/*'), true);
  assert.equal(acceptsEventStream('*/*'), false);
  assert.equal(acceptsEventStream('application/json'), false);
  assert.equal(acceptsEventStream(undefined), false);
});

void test('the slow-consumer guard drops beyond the bound, counts, and warns at most every ten seconds', () => {
  const metrics = new StreamingMetrics();
  const warnings: number[] = [];
  const guard = new SlowConsumerGuard(100, metrics, (n) => warnings.push(n));
  assert.equal(guard.admit(99), true);
  assert.equal(guard.admit(100), false);
  assert.equal(guard.admit(5000), false);
  assert.deepEqual(metrics.snapshot(), { webSocketSessions: 0, sseStreams: 0, delivered: 1, dropped: 2 });
  assert.deepEqual(warnings, [1]);
});
