import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingRequests } from './pending-requests.ts';
import { ReplyRoutes } from './reply-routes.ts';
import { envelopeFromBus, envelopeToBus, liveSubject, replySubject } from './bus-codec.ts';
import { parseEnvelope } from '../../protocol/index.ts';

const ack = (label: string, thingId = 'a:b', status = 200) => ({ label, thingId, channel: 'twin' as const, status, headers: { 'correlation-id': 'c' } });

test('a wait completes when every label arrived; other things, unknown labels and repeats are ignored', async () => {
  const p = new PendingRequests(10);
  const waiting = p.open('c', 'a:b', ['x:one', 'x:two'], 5_000);
  p.ack('c', ack('x:one', 'other:thing'));
  p.ack('c', ack('x:unknown'));
  p.ack('c', ack('x:one', 'a:b', 201));
  p.ack('c', ack('x:one', 'a:b', 500));
  assert.equal(p.size, 1);
  p.ack('c', ack('x:two'));
  const done = await waiting;
  assert.equal(done.acks.get('x:one')?.status, 201);
  assert.equal(done.acks.size, 2);
  assert.equal(p.size, 0);
});

test('a wait ends at its timeout with what came; the table is bounded and correlation IDs are unique', async () => {
  const p = new PendingRequests(2);
  const waiting = p.open('c', 'a:b', ['x:one', 'x:two'], 20);
  assert.throws(() => p.open('c', 'a:b', ['x:one'], 20), { error: 'acknowledgement:request.duplicate.correlation-id' });
  void p.open('d', 'a:b', ['x:one'], 20);
  assert.throws(() => p.open('e', 'a:b', ['x:one'], 20), { error: 'too.many.requests' });
  p.ack('c', ack('x:one'));
  const done = await waiting;
  assert.deepEqual([...done.acks.keys()], ['x:one']);
});

test('the first live response wins and stands for live-response', async () => {
  const p = new PendingRequests(2);
  const waiting = p.open('c', 'a:b', ['live-response'], 5_000);
  const env = parseEnvelope({ topic: 'a/b/things/live/messages/s', path: '/inbox/messages/s', status: 201, value: 1, headers: { 'correlation-id': 'c' } });
  p.response('c', 'a:b', env);
  p.response('c', 'a:b', { ...env, status: 500 });
  const done = await waiting;
  assert.equal(done.response?.status, 201);
  assert.equal(done.acks.get('live-response')?.status, 201);
});

test('reply routes expire, are bounded, and a response ends its route', () => {
  let now = 0;
  const routes = new ReplyRoutes(2, () => now);
  routes.remember('a', 'r.a', 100);
  routes.remember('b', 'r.b', 100);
  routes.remember('c', 'r.c', 100);
  assert.equal(routes.lookup('a', false), undefined, 'the oldest was forgotten');
  assert.equal(routes.lookup('b', false), 'r.b');
  assert.equal(routes.lookup('b', true), 'r.b');
  assert.equal(routes.lookup('b', false), undefined);
  now = 200;
  assert.equal(routes.lookup('c', false), undefined);
});

test('bus payloads keep internal headers and carry the policy; subjects are NATS tokens', () => {
  const env = parseEnvelope({ topic: 'org.ex/b/things/live/messages/s/t', path: '/inbox/messages/s/t', value: 'x', headers: { 'correlation-id': 'c' } });
  const payload = envelopeToBus({ ...env, headers: { ...env.headers, 'ditto-ackgregator-address': 'live.replies.p1' } }, 'org.ex:pol');
  const back = JSON.parse(JSON.stringify(payload)) as typeof payload;
  assert.equal(back['policyId'], 'org.ex:pol');
  const decoded = envelopeFromBus(back);
  assert.equal(decoded?.headers['ditto-ackgregator-address'], 'live.replies.p1');
  assert.deepEqual(decoded?.topic, env.topic);
  assert.equal(liveSubject('messages', 'org.ex:b'), 'things.live.messages.org.ex');
  assert.equal(liveSubject('commands', ':b'), 'things.live.commands._');
  assert.equal(replySubject('p1'), 'live.replies.p1');
  assert.equal(envelopeFromBus({ topic: 'nonsense', headers: {} }), undefined);
});
