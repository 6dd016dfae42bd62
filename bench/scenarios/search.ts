// Search: what the index costs writes, and how fast indexed queries answer.
//
//   node --import tsx bench/scenarios/search.ts [--things N] [--seconds S] [--rounds R] [--store pglite|postgres]
//
// In process, against the real store, index and search service (no HTTP, so the figures are the
// index's, not the transport's):
// 1. write cost: group-committed thing modifications for S seconds from 32 writers, without and
//    with the search index hook, R alternating rounds each, on the same store kind;
// 2. query latency: N things (bench/lib thingBody, one shared policy) indexed, then the median and
//    p95 of eq on thingId, eq on an attribute, a range with sort and paging, and a count.

import { parseArgs } from 'node:util';
import { openPgliteClient } from '../../src/adapters/pglite/index.ts';
import { openPostgresClient } from '../../src/adapters/postgres/index.ts';
import { SqlSearchIndex, SqlStore, type SqlClient } from '../../src/adapters/sql/index.ts';
import type { JsonObject } from '../../src/model/json.ts';
import { compilePolicy, type Policy } from '../../src/policy/index.ts';
import type { EntityWrite, StoredEntity } from '../../src/ports/store.ts';
import { GroupCommitter } from '../../src/services/persistence/index.ts';
import type { PolicyHandle } from '../../src/services/policies/policies-service.ts';
import { SearchService } from '../../src/services/search/search-service.ts';
import type { SearchThingsCommand } from '../../src/signals/index.ts';
import { thingBody } from '../lib/doppel.ts';
import { fmt, median } from '../lib/report.ts';
import { DEFAULT_POSTGRES_URL } from '../lib/stores.ts';

const { values: args } = parseArgs({
  options: {
    things: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '5' },
    store: { type: 'string', default: 'pglite' },
    rounds: { type: 'string', default: '3' },
    'postgres-url': { type: 'string', default: process.env['BENCH_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL },
  },
});
const THINGS = Number(args.things);
const SECONDS = Number(args.seconds);
const KIND = args.store === 'postgres' ? 'postgres' : 'pglite';
const WRITERS = 32;
const ROUNDS = Number(args.rounds);
const POLICY_ID = 'bench:policy';
const SUBJECT = 'bench:user';
const TS = '2025-01-01T00:00:00.000Z';

async function openClient(schema: string): Promise<{ client: SqlClient; drop: () => Promise<void> }> {
  if (KIND === 'pglite') return { client: await openPgliteClient(), drop: async () => undefined };
  const url = args['postgres-url'];
  const client = await openPostgresClient({ url, schema, maxConnections: 8 });
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  return { client, drop: () => client.query(`DROP SCHEMA "${schema}" CASCADE`).then(() => undefined) };
}

function thing(n: number, revision: number): StoredEntity {
  const data = { thingId: `bench:thing-${n}`, policyId: POLICY_ID, ...(JSON.parse(thingBody(n)) as JsonObject) };
  return { type: 'thing', id: `bench:thing-${n}`, revision, created: TS, modified: TS, deleted: false, data };
}

const write = (entity: StoredEntity): EntityWrite => ({ entity, event: { type: 'bench' }, expectedRevision: entity.revision - 1 });

async function seed(committer: GroupCommitter, store: SqlStore, count: number): Promise<number> {
  const started = performance.now();
  const policy: Policy = policyJson();
  await store.commit([[write({ type: 'policy', id: POLICY_ID, revision: 1, created: TS, modified: TS, deleted: false, data: policy as unknown as JsonObject })]]);
  const BATCH = 1000;
  for (let i = 0; i < count; i += BATCH) {
    const units = [];
    for (let n = i; n < Math.min(count, i + BATCH); n++) units.push([write(thing(n, 1))]);
    const outcomes = await store.commit(units);
    if (outcomes.some((o) => !o.ok)) throw new Error('seeding failed');
  }
  void committer;
  return (performance.now() - started) / 1000;
}

function policyJson(): Policy {
  return { policyId: POLICY_ID, entries: { USER: { subjects: { [SUBJECT]: { type: 'bench' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] } } } } } as unknown as Policy;
}

/** Writers modify their own things (no revision races) as fast as the group commit allows. */
async function writeRate(committer: GroupCommitter, things: number): Promise<number> {
  const latest = new Map<number, StoredEntity>();
  let done = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
    for (let k = 0; performance.now() < deadline; k++) {
      const n = (w + k * WRITERS) % things;
      const previous = latest.get(n) ?? thing(n, 1);
      const next = thing(n, previous.revision + 1);
      (next.data['attributes'] as JsonObject)['x'] = k;
      // As the things service does: the state the write started from goes along with it.
      await committer.submit([{ ...write(next), previous }]);
      latest.set(n, next);
      done++;
    }
  }));
  return done / SECONDS;
}

async function writeCost(indexed: boolean): Promise<number> {
  const { client, drop } = await openClient(`bench_search_w${indexed ? 1 : 0}_${process.pid}`);
  const schema = KIND === 'pglite' ? 'public' : `bench_search_w${indexed ? 1 : 0}_${process.pid}`;
  const store = await SqlStore.open(client, { schema, closeClient: false });
  if (indexed) store.addCommitHook((await SqlSearchIndex.open(client, store.tables, schema)).hook);
  const committer = new GroupCommitter(store);
  const things = 10_000;
  await seed(committer, store, things);
  const rate = await writeRate(committer, things);
  await committer.close();
  await drop();
  await client.close();
  return rate;
}

async function timeIt(label: string, runs: number, fn: () => Promise<unknown>): Promise<object> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const p95 = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.95))] ?? 0;
  console.log(`  ${label.padEnd(58)} median ${median(samples).toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`);
  return { label, medianMs: median(samples), p95Ms: p95 };
}

async function queries(): Promise<object[]> {
  const schema = KIND === 'pglite' ? 'public' : `bench_search_q_${process.pid}`;
  const { client, drop } = await openClient(schema);
  const store = await SqlStore.open(client, { schema, closeClient: false });
  const index = await SqlSearchIndex.open(client, store.tables, schema);
  store.addCommitHook(index.hook);
  const seconds = await seed(new GroupCommitter(store), store, THINGS);
  console.log(`  indexed ${fmt(THINGS)} things in ${seconds.toFixed(1)} s (${fmt(THINGS / seconds)}/s, one transaction per 1,000)`);
  await client.query('ANALYZE');
  const entity: StoredEntity = { type: 'policy', id: POLICY_ID, revision: 1, created: TS, modified: TS, deleted: false, data: policyJson() as unknown as JsonObject };
  const handle: PolicyHandle = { entity, policy: policyJson(), resolved: policyJson(), enforcer: compilePolicy(policyJson()) };
  const search = new SearchService({ index, policies: { handle: () => Promise.resolve(handle) } }, { now: () => new Date(), clockMs: () => performance.now(), maxScanMs: 60_000 });
  const cmd = (filters: string[], options?: string): SearchThingsCommand => ({
    kind: 'query', filters, headers: {}, auth: { subjects: [SUBJECT] } as SearchThingsCommand['auth'], ...(options === undefined ? {} : { options }),
  });
  const mid = Math.floor(THINGS / 2);
  const serial = `SN-${String(mid).padStart(8, '0')}`;
  const out = [
    await timeIt('eq(thingId, one id)', 50, () => search.query(cmd([`eq(thingId,"bench:thing-${mid}")`]))),
    await timeIt('eq(attributes/serial, one value)', 50, () => search.query(cmd([`eq(attributes/serial,"${serial}")`]))),
    await timeIt('like(attributes/serial, prefix*) size(10)', 50, () => search.query(cmd([`like(attributes/serial,"SN-0000123*")`], 'size(10)'))),
    await timeIt('gt(features/battery/properties/level,50) first page', 20, () => search.query(cmd(['gt(features/battery/properties/level,50)']))),
    await timeIt('eq(attributes/location/floor,3) sort(-attributes/serial)', 10, () => search.query(cmd(['eq(attributes/location/floor,3)'], 'sort(-attributes/serial),size(25)'))),
    await timeIt('count eq(attributes/location/building,"B7")', 5, () => search.count({ ...cmd(['eq(attributes/location/building,"B7")']), kind: 'count' })),
  ];
  await drop();
  await client.close();
  return out;
}

console.log(`search bench on ${KIND}: ${fmt(THINGS)} things, ${SECONDS} s write phases, ${WRITERS} writers`);
// Alternating rounds, medians: other load on the machine hits both sides alike.
const rounds: { without: number[]; with: number[] } = { without: [], with: [] };
for (let i = 0; i < ROUNDS; i++) {
  rounds.without.push(await writeCost(false));
  rounds.with.push(await writeCost(true));
}
const without = median(rounds.without);
const withIndex = median(rounds.with);
console.log(`  writes/s without the index ${fmt(without)}, with it ${fmt(withIndex)} (${((1 - withIndex / without) * 100).toFixed(0)} % less; medians of ${ROUNDS} alternating rounds)`);
const q = await queries();
console.log(JSON.stringify({ scenario: 'search', store: KIND, things: THINGS, writesPerSecond: { without, withIndex }, queries: q }));
