import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, call, startTestServer, type TestServer } from '../support/doppel-server.ts';
import { WsClient, wsUrl, type ProtocolMessage } from '../support/stream-clients.ts';

// [ditto: basic-policy "Subject deletion announcements", protocol-specification-policies
// "Announcements"] subjectDeletion announcements to WebSocket sessions authenticated with the
// subject. Expiries and backoff are configured short so no test waits more than a few seconds.

let server: TestServer;
const open: WsClient[] = [];

before(async () => {
  server = await startTestServer({
    policySubjectExpiryGranularityMs: 1000,
    policySubjectDeletionAnnouncementGranularityMs: 1000,
    policyAnnouncementDefaultRandomizationMs: 0,
    policyAnnouncementBackoffMinMs: 200,
    policyAnnouncementBackoffMaxMs: 400,
  });
});
after(async () => {
  await Promise.all(open.map((c) => c.close()));
  await server.close();
});

const ADMIN = 'pre:admin';
const RW = { grant: ['READ', 'WRITE'], revoke: [] };
let n = 0;

async function session(subject: string, params = ''): Promise<WsClient> {
  const c = await WsClient.open(wsUrl(server.url), as(subject));
  open.push(c);
  await c.control(`START-SEND-POLICY-ANNOUNCEMENTS${params}`, 'START-SEND-POLICY-ANNOUNCEMENTS:ACK');
  return c;
}

async function policyWith(subject: string, settings: Record<string, unknown>): Promise<string> {
  const id = `org.doppel.announce:p-${++n}`;
  const entries = {
    admin: { subjects: { [ADMIN]: { type: 't' } }, resources: { 'policy:/': RW } },
    temp: { subjects: { [subject]: { type: 't', ...settings } }, resources: { 'thing:/': RW } },
  };
  const r = await call(server.url, 'PUT', `/api/2/policies/${id}`, { headers: as(ADMIN), body: { entries } });
  assert.equal(r.status, 201, r.text);
  return id;
}

const isAnnouncement = (m: ProtocolMessage): boolean => m.topic.endsWith('/policies/announcements/subjectDeletion');

/** Fails when anything but nothing arrives within `ms`. */
async function nothing(c: WsClient, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  assert.deepEqual(c.inbox.drain(), []);
}
const topicOf = (policyId: string): string => `${policyId.replace(':', '/')}/policies/announcements/subjectDeletion`;

test('beforeExpiry: announced ahead of the expiry, only to sessions of that subject', async () => {
  const holder = await session('pre:holder');
  const other = await session('pre:other');
  const expiry = new Date(Date.now() + 3000).toISOString();
  const policy = await policyWith('pre:holder', { expiry, announcement: { beforeExpiry: '2s', whenDeleted: true } });
  const stored = (await call(server.url, 'GET', `/api/2/policies/${policy}/entries/temp/subjects/pre:holder`, { headers: as(ADMIN) })).json as { expiry: string; announcement: unknown };
  assert.deepEqual(stored.announcement, { beforeExpiry: '2s', whenDeleted: true });
  const m = await holder.next(isAnnouncement, 4000, 'announcement');
  assert.ok(Date.now() < Date.parse(stored.expiry), 'announced before the expiry');
  assert.equal(m.topic, topicOf(policy));
  assert.equal(m.path, '/');
  assert.deepEqual(m.value, { deleteAt: stored.expiry, subjectIds: ['pre:holder'] });
  assert.equal(typeof m.headers['correlation-id'], 'string');
  await nothing(other, 300);
});

test('whenDeleted: announced when the subject is deleted, to the namespaces the session asked for', async () => {
  const holder = await session('pre:deleted');
  const elsewhere = await session('pre:deleted', '?namespaces=org.doppel.elsewhere');
  const policy = await policyWith('pre:deleted', { announcement: { whenDeleted: true } });
  const before = Date.now();
  const r = await call(server.url, 'DELETE', `/api/2/policies/${policy}/entries/temp/subjects/pre:deleted`, { headers: as(ADMIN) });
  assert.equal(r.status, 204, r.text);
  const m = await holder.next(isAnnouncement, 3000, 'announcement');
  assert.equal(m.topic, topicOf(policy));
  const value = m.value as { deleteAt: string; subjectIds: string[] };
  assert.deepEqual(value.subjectIds, ['pre:deleted']);
  assert.ok(Date.parse(value.deleteAt) >= before - 1000);
  await nothing(elsewhere, 300);
});

test('requestedAcks: sent again until acknowledged (a failed ack counts as none), then no more', async () => {
  const holder = await session('pre:acker');
  const policy = await policyWith('pre:acker', { announcement: { whenDeleted: true, requestedAcks: { labels: ['my-ack'], timeout: '300ms' } } });
  assert.equal((await call(server.url, 'DELETE', `/api/2/policies/${policy}/entries/temp`, { headers: as(ADMIN) })).status, 204);
  const first = await holder.next(isAnnouncement, 3000, 'announcement');
  assert.deepEqual(first.headers['requested-acks'], ['my-ack']);
  // No acknowledgement: after the timeout and a pause it comes again, with a new correlation-id.
  const second = await holder.next(isAnnouncement, 3000, 'second announcement');
  assert.notEqual(second.headers['correlation-id'], first.headers['correlation-id']);
  const ack = (m: ProtocolMessage, status: number): void =>
    holder.send({ topic: `${policy.replace(':', '/')}/things/twin/acks/my-ack`, headers: { 'correlation-id': m.headers['correlation-id'] }, path: '/', status });
  // [ditto: SubjectExpiryActor.requiresRedelivery] a 5xx acknowledgement asks for another delivery.
  ack(second, 500);
  const third = await holder.next(isAnnouncement, 3000, 'third announcement');
  ack(third, 200);
  // Acknowledged: nothing more (a resend would come within about 0.3 s + 0.4 s), and the ack got no answer.
  await nothing(holder, 1200);
});
