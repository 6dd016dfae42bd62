import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/app/config.ts';
import type { BusMessage } from '../../src/ports/bus.ts';
import { as, call, startTestServer, type TestServer } from '../support/doppel-server.ts';
import { postgresForTests, withPostgresSchema } from '../support/postgres.ts';
import { WsClient, wsUrl, type ProtocolMessage } from '../support/stream-clients.ts';

// [ditto: basic-policy "Expiring Policy subjects", "Subject deletion announcements"] expiries and
// announcements are kept across a restart: the new process finds a policy with expiring subjects
// in the store without anyone loading it, removes the subject at its expiry and announces it
// `beforeExpiry`. Granularities are one second, so the test waits a few seconds, no more.

const SHORT: Partial<Config> = {
  policySubjectExpiryGranularityMs: 1000,
  policySubjectDeletionAnnouncementGranularityMs: 1000,
  policyAnnouncementDefaultRandomizationMs: 0,
};
const ADMIN = 'pre:admin';
const HOLDER = 'pre:holder';
const RW = { grant: ['READ', 'WRITE'], revoke: [] };
/** Time the restart (stop, start, subscribe) has before the announcement is due. */
const BEFORE_EXPIRY_S = 2;
const RESTART_BUDGET_MS = 4000;

const isAnnouncement = (m: ProtocolMessage): boolean => m.topic.endsWith('/policies/announcements/subjectDeletion');

async function restartKeepsExpiry(store: Partial<Config>): Promise<void> {
  const policyId = `org.doppel.restart:p-${Math.random().toString(36).slice(2, 8)}`;
  const first = await startTestServer({ ...SHORT, ...store });
  let written: { expiry: string };
  try {
    // The announcement is due BEFORE_EXPIRY_S before the expiry: leave the restart its budget first.
    const expiry = new Date(Date.now() + RESTART_BUDGET_MS + BEFORE_EXPIRY_S * 1000).toISOString();
    const entries = {
      admin: { subjects: { [ADMIN]: { type: 't' } }, resources: { 'policy:/': RW } },
      temp: { subjects: { [HOLDER]: { type: 't', expiry, announcement: { beforeExpiry: `${BEFORE_EXPIRY_S}s`, whenDeleted: false } } }, resources: { 'thing:/': RW } },
    };
    const r = await call(first.url, 'PUT', `/api/2/policies/${policyId}`, { headers: as(ADMIN), body: { entries } });
    assert.equal(r.status, 201, r.text);
    written = (r.json as { entries: { temp: { subjects: Record<string, { expiry: string }> } } }).entries.temp.subjects[HOLDER] as { expiry: string };
  } finally {
    await first.close();
  }

  // A new process on the same store. Nothing reads the policy until the subject is gone: a load
  // would plan its expiry by itself.
  const second: TestServer = await startTestServer({ ...SHORT, ...store });
  const holder = await WsClient.open(wsUrl(second.url), as(HOLDER));
  try {
    const events: BusMessage[] = [];
    second.doppel.bus.subscribe('policies.events.>', (m) => events.push(m));
    await holder.control('START-SEND-POLICY-ANNOUNCEMENTS', 'START-SEND-POLICY-ANNOUNCEMENTS:ACK');
    const expiryMs = Date.parse(written.expiry);
    assert.ok(Date.now() < expiryMs - BEFORE_EXPIRY_S * 1000, 'the restart took longer than the test allows; the announcement may have gone out already');

    const m = await holder.next(isAnnouncement, BEFORE_EXPIRY_S * 1000 + RESTART_BUDGET_MS + 2000, 'beforeExpiry announcement');
    assert.ok(Date.now() < expiryMs, 'announced before the expiry');
    assert.equal(m.topic, `${policyId.replace(':', '/')}/policies/announcements/subjectDeletion`);
    assert.deepEqual(m.value, { deleteAt: written.expiry, subjectIds: [HOLDER] });

    const until = expiryMs + 5000;
    while (events.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.ok(Date.now() >= expiryMs, 'removed at the expiry, not before');
    assert.deepEqual(events.map((e) => [e.payload['type'], e.payload['policyId'], e.payload['path']]), [
      ['policies.events:subjectDeleted', policyId, `/entries/temp/subjects/${HOLDER}`],
    ]);
    const gone = await call(second.url, 'GET', `/api/2/policies/${policyId}/entries/temp/subjects/${HOLDER}`, { headers: as(ADMIN) });
    assert.equal(gone.status, 404, gone.text);
    const policy = await call(second.url, 'GET', `/api/2/policies/${policyId}`, { headers: as(ADMIN) });
    assert.equal(policy.headers.get('etag'), '"rev:2"');
  } finally {
    await holder.close();
    await second.close();
  }
}

const TITLE = 'a policy nobody loads is announced beforeExpiry and loses the subject at its expiry';

describe('expiring subjects after a restart, PGlite on disk', () => {
  test(TITLE, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'doppel-expiry-'));
    try {
      await restartKeepsExpiry({ dataDir: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('expiring subjects after a restart, PostgreSQL', async () => {
  const pg = await postgresForTests();
  test(TITLE, { skip: pg.skip }, () =>
    withPostgresSchema((s) => restartKeepsExpiry({ postgresUrl: s.url, postgresSchema: s.schema, postgresPoolSize: 4 }), pg.url));
});
