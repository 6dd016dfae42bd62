import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../adapters/memory-bus/index.ts';
import type { JsonObject } from '../../model/json.ts';
import { compilePolicy, type Policy, type PolicyEnforcer } from '../../policy/index.ts';
import type { StoredEntity } from '../../ports/store.ts';
import type { EventNotification } from './event-context.ts';
import { compileSubscription, type SubscriptionRequest } from './event-subscription.ts';
import { NotificationHub, type EventSubscriber } from './notification-hub.ts';

const policy: Policy = {
  policyId: 'ns:p',
  entries: {
    owner: { subjects: { 'u:owner': { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
    partial: { subjects: { 'u:partial': { type: 't' } }, resources: { 'thing:/attributes/public': { grant: ['READ'], revoke: [] } } },
  },
};

interface Setup {
  readonly bus: MemoryBus;
  readonly hub: NotificationHub;
  readonly states: Map<string, StoredEntity>;
  readonly enforcerCalls: { count: number };
}

function setup(): Setup {
  const bus = new MemoryBus();
  const states = new Map<string, StoredEntity>();
  const enforcer: PolicyEnforcer = compilePolicy(policy);
  const enforcerCalls = { count: 0 };
  const hub = new NotificationHub(
    {
      peekThing: (id) => states.get(id),
      loadThing: (id) => Promise.resolve(states.get(id)),
      enforcer: (id) => {
        enforcerCalls.count++;
        return Promise.resolve(id === 'ns:p' ? enforcer : undefined);
      },
    },
    { now: () => new Date('2026-01-01T00:00:00Z'), onError: (err) => { throw err; } },
  );
  hub.start(bus);
  return { bus, hub, states, enforcerCalls };
}

function publish(s: Setup, thingId: string, revision: number, path: string, value: unknown, extra: JsonObject = {}): void {
  const data: JsonObject = { thingId, policyId: 'ns:p', attributes: { public: revision, secret: revision } };
  s.states.set(thingId, { type: 'thing', id: thingId, revision, created: 't', modified: 't', deleted: false, data });
  const payload: JsonObject = { type: 'things.events:attributeModified', action: 'modified', thingId, path, revision, timestamp: '2026-01-01T00:00:00Z', policyId: 'ns:p', ...extra };
  if (value !== undefined) payload['value'] = value as JsonObject;
  s.bus.publish({ subject: `things.twin.events.modified.${thingId.split(':')[0] ?? '_'}`, payload });
}

function subscriber(subjects: string[], req: SubscriptionRequest = {}, origin?: string): EventSubscriber & { got: EventNotification[] } {
  const got: EventNotification[] = [];
  return { subjects, subscription: compileSubscription(req, 'websocket'), origin, got, deliver: (n) => got.push(n) };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

void test('events arrive in revision order per thing, with what each subject set may read', async () => {
  const s = setup();
  const owner = subscriber(['u:owner']);
  const partial = subscriber(['u:partial']);
  const nobody = subscriber(['u:nobody']);
  for (const sub of [owner, partial, nobody]) s.hub.subscribe(sub);
  for (let r = 1; r <= 50; r++) publish(s, 'ns:t', r, '/attributes', { public: r, secret: r });
  await settle();
  assert.deepEqual(owner.got.map((n) => n.event.revision), Array.from({ length: 50 }, (_, i) => i + 1));
  assert.deepEqual(partial.got.map((n) => n.value), Array.from({ length: 50 }, (_, i) => ({ public: i + 1 })));
  assert.equal(nobody.got.length, 0);
  assert.equal(s.hub.stats().notifications, 100);
});

void test('subscribers with the same subjects and subscription share one notification (computed and rendered once)', async () => {
  const s = setup();
  const subs = Array.from({ length: 100 }, () => subscriber(['u:partial'], { extraFields: 'attributes' }));
  for (const sub of subs) s.hub.subscribe(sub);
  publish(s, 'ns:t', 1, '/attributes/public', 5);
  await settle();
  const first = subs[0]?.got[0];
  assert.ok(first !== undefined);
  assert.ok(subs.every((x) => x.got[0] === first), 'one shared notification object');
  assert.deepEqual(first.extra, { attributes: { public: 1 } });
  let renders = 0;
  for (const sub of subs) sub.got[0]?.rendered('k', () => ++renders);
  assert.equal(renders, 1);
  assert.equal(s.enforcerCalls.count, 1, 'the enforcer is looked up once per event');
});

void test('namespaces and thing IDs select subscribers; an origin does not get its own events; unsubscribe stops delivery', async () => {
  const s = setup();
  const inNs = subscriber(['u:owner'], { namespaces: 'ns' });
  const otherNs = subscriber(['u:owner'], { namespaces: 'other,more' });
  const byId = subscriber(['u:owner'], { thingIds: 'ns:t2' });
  const self = subscriber(['u:owner'], {}, 'session-1');
  for (const sub of [inNs, otherNs, byId, self]) s.hub.subscribe(sub);
  publish(s, 'ns:t1', 1, '/attributes/public', 1, { headers: { 'ditto-origin': 'session-1' } });
  publish(s, 'ns:t2', 1, '/attributes/public', 1);
  await settle();
  assert.deepEqual(inNs.got.map((n) => n.event.thingId), ['ns:t1', 'ns:t2']);
  assert.equal(otherNs.got.length, 0);
  assert.deepEqual(byId.got.map((n) => n.event.thingId), ['ns:t2']);
  assert.deepEqual(self.got.map((n) => n.event.thingId), ['ns:t2']);
  s.hub.unsubscribe(inNs);
  publish(s, 'ns:t2', 2, '/attributes/public', 2);
  await settle();
  assert.equal(inNs.got.length, 2);
  assert.equal(s.hub.stats().subscribers, 3);
});

void test('filters see the readable changed part merged with readable enrichment; unreadable fields never match', async () => {
  const s = setup();
  const onSecret = subscriber(['u:partial'], { filter: 'exists(attributes/secret)' });
  const onPublic = subscriber(['u:partial'], { filter: 'eq(attributes/public,3)' });
  const onExtra = subscriber(['u:partial'], { filter: 'eq(attributes/public,3)', extraFields: 'attributes/public' });
  const ownerOnSecret = subscriber(['u:owner'], { filter: 'exists(attributes/secret)' });
  for (const sub of [onSecret, onPublic, onExtra, ownerOnSecret]) s.hub.subscribe(sub);
  publish(s, 'ns:t', 3, '/attributes', { public: 3, secret: 3 });
  publish(s, 'ns:t', 3, '/attributes/secret', 3);
  await settle();
  assert.equal(onSecret.got.length, 0);
  assert.equal(onPublic.got.length, 1);
  assert.equal(onExtra.got.length, 1);
  assert.deepEqual(onExtra.got[0]?.thing, { thingId: 'ns:t', attributes: { public: 3 }, _revision: 3, _namespace: 'ns', _modified: '2026-01-01T00:00:00Z' });
  assert.equal(ownerOnSecret.got.length, 2);
});

void test('a deleted thing is governed by the policy it had', async () => {
  const s = setup();
  const owner = subscriber(['u:owner']);
  s.hub.subscribe(owner);
  s.states.set('ns:gone', { type: 'thing', id: 'ns:gone', revision: 2, created: 't', modified: 't', deleted: true, data: {} });
  s.bus.publish({ subject: 'things.twin.events.deleted.ns', payload: { type: 'things.events:thingDeleted', action: 'deleted', thingId: 'ns:gone', path: '/', revision: 2, policyId: 'ns:p' } });
  await settle();
  assert.equal(owner.got.length, 1);
  assert.deepEqual(owner.got[0]?.thing, { thingId: 'ns:gone', _revision: 2, _namespace: 'ns' });
});
