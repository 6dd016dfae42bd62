import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../adapters/memory-bus/index.ts';
import type { BusMessage } from '../../ports/bus.ts';
import type { Policy } from '../../policy/index.ts';
import { SubjectAnnouncer, type AnnouncementMessage } from './announcements.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function policy(id: string, subjects: Record<string, { expiry?: string; announcement?: object }>): Policy {
  const s = Object.fromEntries(Object.entries(subjects).map(([k, v]) => [k, { type: 't', ...v }]));
  return { policyId: id, entries: { e: { subjects: s as Policy['entries'][string]['subjects'], resources: {} } } };
}

function setup(): { bus: MemoryBus; sent: AnnouncementMessage[]; announcer: SubjectAnnouncer } {
  const bus = new MemoryBus();
  const sent: AnnouncementMessage[] = [];
  bus.subscribe('policies.announcements.>', (m: BusMessage) => sent.push(m.payload as unknown as AnnouncementMessage));
  let id = 0;
  const announcer = new SubjectAnnouncer(bus, {
    now: Date.now, random: () => 0.5, uuid: () => `c-${++id}`,
    gracePeriodMs: 60_000, maxTimeoutMs: 1000, defaultRandomizationMs: 0, backoffMinMs: 10, backoffMaxMs: 20,
  });
  return { bus, sent, announcer };
}

test('many policies share one schedule: due announcements go out in order, far ones wait, changed ones are re-planned', async () => {
  const { sent, announcer } = setup();
  const soon = (ms: number): string => new Date(Date.now() + ms).toISOString();
  // 2000 subjects due in an hour, three due now-ish.
  for (let i = 0; i < 2000; i++) announcer.observe(`a:far-${i}`, policy(`a:far-${i}`, { 'x:s': { expiry: soon(3_600_000), announcement: { beforeExpiry: '1m' } } }));
  announcer.observe('a:p2', policy('a:p2', { 'x:two': { expiry: soon(1060), announcement: { beforeExpiry: '1s' } } }));
  announcer.observe('a:p1', policy('a:p1', { 'x:one': { expiry: soon(1020), announcement: { beforeExpiry: '1s' } } }));
  announcer.observe('a:p3', policy('a:p3', { 'x:three': { expiry: soon(1100), announcement: { beforeExpiry: '1s' } } }));
  // Changing the announcement re-plans it: the old due time is dropped.
  announcer.observe('a:p3', policy('a:p3', { 'x:three': { expiry: soon(1100), announcement: { beforeExpiry: '2s' } } }));
  assert.equal(announcer.size, 2003);
  await sleep(250);
  assert.deepEqual(sent.map((m) => m.subjectIds[0]), ['x:three', 'x:one', 'x:two']);
  await sleep(100);
  assert.equal(sent.length, 3);
  announcer.close();
});

test('whenDeleted: a subject that leaves the policy is announced once; an acknowledged one is not', async () => {
  const { sent, announcer, bus } = setup();
  announcer.observe('a:p', policy('a:p', { 'x:a': { announcement: { whenDeleted: true } }, 'x:b': { announcement: { whenDeleted: false } } }));
  announcer.observe('a:p', policy('a:p', {}));
  await sleep(20);
  assert.deepEqual(sent.map((m) => m.subjectIds), [['x:a']]);
  assert.equal(announcer.size, 0);
  // With acknowledgements requested it is sent until the ack arrives: here with the second send.
  bus.subscribe('policies.announcements.>', (m) => {
    const a = m.payload as unknown as AnnouncementMessage;
    if (a.policyId === 'a:q' && sent.filter((s) => s.policyId === 'a:q').length === 2) {
      bus.publish({ subject: 'policies.acks.a', payload: { policyId: 'a:q', correlationId: a.headers['correlation-id'] ?? '', label: 'l', status: 204 } });
    }
  });
  announcer.observe('a:q', policy('a:q', { 'x:c': { announcement: { whenDeleted: true, requestedAcks: { labels: ['l'], timeout: '30ms' } } } }));
  announcer.observe('a:q', undefined);
  await sleep(300);
  assert.equal(sent.filter((m) => m.policyId === 'a:q').length, 2);
  assert.equal(announcer.size, 0);
  announcer.close();
});
