// Search at scale: N things (default 100,000 on PGlite, 1,000,000 on PostgreSQL) written straight
// into a store's tables by the store's and the index's own code, then a Doppel server on that
// store answers the queries issue 5 lists, over HTTP: p50/p99 of one request at a time, and the
// throughput of 16 connections.
//
//   npm run bench -- search --store postgres --search-things 1000000 [--search-reuse]
//
// Generation: policies go through SqlStore.commit with the index hook, exactly as the server writes
// them. Things are many: their snapshot rows and index rows (built by the index's own planThingRows,
// so the rows are the ones a server would write for a created thing) are inserted 2,000 things per
// statement, with the value table's secondary indexes dropped meanwhile and built afterwards. The
// journal is left empty (search never reads it). With --search-reuse the data goes to a named
// schema (PostgreSQL) or directory (PGlite) that is kept and reused by the next run with the same
// number of things, so the minutes of generation are spent once.

import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgliteClient } from '../../src/adapters/pglite/index.ts';
import { openPostgresClient } from '../../src/adapters/postgres/index.ts';
import { EMBEDDED_NUMBER_STATISTICS, SqlSearchIndex, SqlStore, type SqlClient } from '../../src/adapters/sql/index.ts';
import { planThingRows } from '../../src/adapters/sql/search-rows.ts';
import { searchDdl } from '../../src/adapters/sql/search-schema.ts';
import type { JsonObject } from '../../src/model/json.ts';
import type { EntityWrite, StoredEntity } from '../../src/ports/store.ts';
import { parseRqlFilter } from '../../src/rql/index.ts';
import { runLoadOn, type RunningServer } from '../lib/children.ts';
import { onCleanup } from '../lib/cleanup.ts';
import { startDoppel } from '../lib/doppel.ts';
import { DITTO_BASIC, HttpClient } from '../lib/http.ts';
import type { LoadResult } from '../lib/load-spec.ts';
import { describeLoad, fmt, machine, median, printGoals, type Goal } from '../lib/report.ts';
import { assertLoopback, type StoreKind } from '../lib/stores.ts';
import type { BenchOptions } from './options.ts';

const TS0 = Date.parse('2025-01-01T00:00:00.000Z');
const THINGS_PER_STATEMENT = 2_000;
const THROUGHPUT_CONNECTIONS = 16;
/** One request at a time for this long (or LATENCY_MAX_REQUESTS) gives p50 and p99. */
const LATENCY_SECONDS = 5;
const LATENCY_MAX_REQUESTS = 2_000;
const SUBJECT = 'nginx:ditto';
const MANUFACTURERS = ['ACME', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne', 'Soylent', 'Wonka', 'Aperture'];
const TAGS = ['indoor', 'outdoor', 'critical', 'spare', 'legacy', 'pilot', 'eu', 'us', 'lab', 'field'];

export const defaultSearchThings = (kind: StoreKind): number => (kind === 'postgres' ? 1_000_000 : 100_000);

const policyId = (p: number): string => `bench:policy-${p}`;
const thingId = (n: number): string => `bench:thing-${n}`;
const iso = (ms: number): string => new Date(ms).toISOString();
/** Temperatures in [-10, 30] in steps of 0.01, spread over the things. */
const temperature = (n: number): number => ((n * 7919) % 4001) / 100 - 10;

/** A policy with several subjects: the owners (the bench user among them), operators, auditors, a connection. */
function policyJson(p: number): JsonObject {
  return {
    policyId: policyId(p),
    entries: {
      OWNER: {
        subjects: { [SUBJECT]: { type: 'basic' }, [`integration:tenant-${p % 10}`]: { type: 'tenant' } },
        resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'message:/': { grant: ['READ', 'WRITE'], revoke: [] } },
      },
      OPERATOR: {
        subjects: { [`google:operator-${p}`]: { type: 'operator' }, [`google:operator-${p + 1}`]: { type: 'operator' } },
        resources: { 'thing:/features': { grant: ['READ', 'WRITE'], revoke: [] }, 'thing:/attributes': { grant: ['READ'], revoke: [] } },
      },
      AUDIT: {
        subjects: { [`auditor:${p % 3}`]: { type: 'auditor' } },
        resources: { 'thing:/attributes': { grant: ['READ'], revoke: [] }, 'thing:/attributes/serial': { grant: [], revoke: ['READ'] } },
      },
      CONNECTION: {
        subjects: { [`connection:mqtt-${p % 4}`]: { type: 'connection' } },
        resources: { 'thing:/features': { grant: ['READ', 'WRITE'], revoke: [] } },
      },
    },
  };
}

/** A thing as the server stores it: realistic attributes and two or three features. */
function thingData(n: number, policies: number): JsonObject {
  const features: JsonObject = {
    temperature: { properties: { value: temperature(n), unit: 'Cel', updated: iso(TS0 + n * 1000) } },
    battery: { properties: { level: (n * 37) % 101, charging: n % 5 === 0 } },
  };
  if (n % 3 === 0) features['lamp'] = { definition: ['org.example:lamp:1.0.0'], properties: { on: n % 2 === 0, brightness: n % 256 } };
  return {
    thingId: thingId(n),
    policyId: policyId(n % policies),
    definition: `org.example:sensor:${1 + (n % 3)}.0.0`,
    attributes: {
      serial: `SN-${String(n).padStart(8, '0')}`,
      manufacturer: MANUFACTURERS[n % MANUFACTURERS.length] as string,
      model: `M-${n % 50}`,
      batch: n % 100,
      installed: iso(TS0 - (n % 1000) * 86_400_000).slice(0, 10),
      location: { building: `B${n % 20}`, floor: n % 7, room: n % 300 },
      tags: [TAGS[n % TAGS.length] as string, TAGS[(n * 7 + 3) % TAGS.length] as string],
    },
    features,
  };
}

function entity(type: 'thing' | 'policy', id: string, data: JsonObject, at: number): StoredEntity {
  return { type, id, revision: 1, created: iso(at), modified: iso(at), deleted: false, data };
}

interface SearchStore {
  readonly kind: StoreKind;
  /** What Doppel is told. */
  readonly env: Readonly<Record<string, string>>;
  readonly schema: string;
  readonly description: string;
  open(): Promise<SqlClient>;
  /** Removes the data unless it is kept for reuse. */
  dispose(): Promise<void>;
}

async function searchStore(kind: StoreKind, things: number, reuse: boolean, postgresUrl: string): Promise<SearchStore> {
  if (kind === 'postgres') {
    assertLoopback(postgresUrl);
    const schema = reuse ? `doppel_bench_search_${things}` : `doppel_bench_search_${process.pid}_${randomBytes(4).toString('hex')}`;
    const open = (): Promise<SqlClient> => openPostgresClient({ url: postgresUrl, schema, maxConnections: 2 });
    const drop = async (): Promise<void> => {
      const c = await open();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.close();
      }
    };
    const dispose = reuse ? () => Promise.resolve() : onCleanup(`PostgreSQL schema ${schema}`, drop);
    return { kind, schema, env: { DOPPEL_POSTGRES_URL: postgresUrl, DOPPEL_POSTGRES_SCHEMA: schema }, description: `PostgreSQL ${new URL(postgresUrl).host}, schema ${schema}${reuse ? ' (kept)' : ''}`, open, dispose };
  }
  const dir = reuse ? join(tmpdir(), `doppel-bench-search-${things}`) : join(tmpdir(), `doppel-bench-search-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  const dispose = reuse ? () => Promise.resolve() : onCleanup(`data directory ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return { kind, schema: 'public', env: { DOPPEL_DATA_DIR: dir }, description: `PGlite in ${dir}${reuse ? ' (kept)' : ''}`, open: () => openPgliteClient({ dataDir: dir }), dispose };
}

const BENCH_MARK = 'bench-things';

/** The statistics targets the server uses on each store (src/app/store.ts), so the plans measured are its. */
const statisticsOf = (kind: StoreKind): { numberStatistics?: number } => (kind === 'pglite' ? { numberStatistics: EMBEDDED_NUMBER_STATISTICS } : {});

/** Fills the store with `things` things unless a previous run left exactly that; returns the seconds spent. */
async function generate(client: SqlClient, schema: string, things: number, kind: StoreKind): Promise<number | undefined> {
  const store = await SqlStore.open(client, { schema, closeClient: false });
  const index = await SqlSearchIndex.open(client, store.tables, schema, statisticsOf(kind));
  const t = index.tables;
  const marked = await client.query(`SELECT value FROM ${t.meta} WHERE key = $1`, [BENCH_MARK]);
  if (marked[0]?.['value'] === String(things)) return undefined;
  const existing = await client.query(`SELECT count(*)::int AS n FROM ${store.tables.snapshot}`);
  if (Number(existing[0]?.['n'] ?? 0) > 0) throw new Error(`the store holds other data (${String(existing[0]?.['n'])} entities); use another schema or directory`);
  const started = performance.now();

  const policies = Math.max(10, Math.round(things / 1000));
  store.addCommitHook(index.hook);
  const write = (e: StoredEntity): EntityWrite => ({ entity: e, event: { type: 'bench' }, expectedRevision: 0 });
  for (let p = 0; p < policies; p += 500) {
    const units = [];
    for (let q = p; q < Math.min(policies, p + 500); q++) units.push([write(entity('policy', policyId(q), policyJson(q), TS0))]);
    const outcomes = await store.commit(units);
    if (outcomes.some((o) => !o.ok)) throw new Error('writing the policies failed');
  }

  // The value table's secondary indexes are built once at the end: far cheaper than row by row.
  const secondary = await client.query(
    `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename IN ('doppel_search_value', 'doppel_search_thing') AND indexname NOT LIKE '%pkey'`,
    [schema],
  );
  for (const r of secondary) await client.query(`DROP INDEX "${schema}"."${String(r['indexname'])}"`);
  const snapshotInsert = `INSERT INTO ${store.tables.snapshot} (entity_type, entity_id, revision, created, modified, deleted, data)
    SELECT 'thing', id, 1, created, created, false, data::json FROM json_to_recordset($1::text::json) AS x(id text, created text, data text)`;
  const docInsert = `INSERT INTO ${t.thing} (thing_id, namespace, policy_id) SELECT * FROM json_to_recordset($1::text::json) AS x(thing_id text, namespace text, policy_id text)`;
  const rowInsert = `INSERT INTO ${t.value} (thing_id, gpath, fid, kind, t, n, b)
    SELECT i, p, f, k, t, n, b FROM json_to_recordset($1::text::json) AS r(i text, p text, f text, k smallint, t text, n float8, b boolean)`;
  let lastReport = performance.now();
  for (let from = 0; from < things; from += THINGS_PER_STATEMENT) {
    const batch: StoredEntity[] = [];
    for (let n = from; n < Math.min(things, from + THINGS_PER_STATEMENT); n++) batch.push(entity('thing', thingId(n), thingData(n, policies), TS0 + n * 1000));
    const plan = planThingRows(batch.map((e) => ({ entity: e })));
    const snapshots = JSON.stringify(batch.map((e) => ({ id: e.id, created: e.created, data: JSON.stringify(e.data) })));
    await client.transaction(async (tx) => {
      await tx.query(snapshotInsert, [snapshots]);
      await tx.query(docInsert, [JSON.stringify(plan.docs)]);
      await tx.query(rowInsert, [JSON.stringify(plan.inserted)]);
    });
    if (performance.now() - lastReport > 15_000) {
      lastReport = performance.now();
      console.log(`    ${fmt(from + batch.length)} things written (${fmt((from + batch.length) / ((lastReport - started) / 1000))}/s)`);
    }
  }
  console.log(`    rows written in ${((performance.now() - started) / 1000).toFixed(0)} s; building the indexes`);
  await client.transaction(async (tx) => {
    await tx.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    const targets = statisticsOf(kind);
    for (const statement of searchDdl(t, targets.numberStatistics)) await tx.query(statement);
    await tx.query(`INSERT INTO ${t.meta} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [BENCH_MARK, String(things)]);
  });
  await client.query(`ANALYZE ${store.tables.snapshot}, ${t.thing}, ${t.value}, ${t.policySubject}, ${t.policyImport}`);
  await index.idle();
  return (performance.now() - started) / 1000;
}

interface Query {
  readonly name: string;
  /** Request paths, one picked at random per request. */
  readonly paths: readonly string[];
  /** Skip the throughput phase (a query that takes seconds). */
  readonly latencyOnly?: boolean;
  readonly latencyRequests?: number;
}

const search = (filter: string, option?: string): string =>
  `/api/2/search/things?filter=${encodeURIComponent(filter)}${option === undefined ? '' : `&option=${encodeURIComponent(option)}`}`;
const count = (filter: string): string => `/api/2/search/things/count?filter=${encodeURIComponent(filter)}`;
const pick = (k: number, max: number): number[] => Array.from({ length: k }, (_, i) => Math.floor(((i * 7919 + 13) % 104_729) / 104_729 * max));

async function queries(client: HttpClient, things: number): Promise<Query[]> {
  const ids = pick(1000, things);
  const rooms = pick(20, 300);
  // The third page of a sorted search: the cursor of the second page, fetched now.
  const thirdPages: string[] = [];
  for (const room of rooms) {
    const filter = `eq(attributes/location/room,${room})`;
    let cursor: string | undefined;
    for (let page = 0; page < 2; page++) {
      const answer = await client.call('GET', search(filter, `sort(-features/temperature/properties/value),size(50)${cursor === undefined ? '' : `,cursor(${cursor})`}`), { authorization: DITTO_BASIC });
      if (answer.status !== 200) throw new Error(`paging failed: ${answer.status} ${answer.body.slice(0, 200)}`);
      cursor = (JSON.parse(answer.body) as { cursor?: string }).cursor;
      if (cursor === undefined) throw new Error(`room ${room} has fewer than three pages`);
    }
    thirdPages.push(search(filter, `sort(-features/temperature/properties/value),size(50),cursor(${cursor})`));
  }
  return [
    { name: 'eq(thingId)', paths: ids.map((n) => search(`eq(thingId,"${thingId(n)}")`)) },
    { name: 'eq(attributes/serial)', paths: ids.map((n) => search(`eq(attributes/serial,"SN-${String(n).padStart(8, '0')}")`)) },
    {
      name: 'range on a number (0.25-2.5 %), first page',
      paths: pick(200, 90).map((v) => search(`gt(features/temperature/properties/value,${(2900 + v) / 100})`)),
    },
    { name: 'like prefix (100 matches), first page', paths: pick(200, Math.max(1, Math.floor(things / 100))).map((k) => search(`like(attributes/serial,"SN-${String(k).padStart(6, '0')}*")`)) },
    {
      name: 'and/or of three predicates, first page',
      paths: pick(200, 140).map((k) => search(`and(eq(attributes/location/building,"B${k % 20}"),or(eq(attributes/location/floor,${k % 7}),gt(features/battery/properties/level,98)))`)),
    },
    { name: 'sort + size(50) + cursor, third page (1 of 300 rooms)', paths: thirdPages },
    { name: 'count, 1 % selective', paths: pick(100, 100).map((b) => count(`eq(attributes/batch,${b})`)), latencyRequests: 50 },
    { name: 'count, not selective (about 90 %)', paths: [count('ge(features/battery/properties/level,10)')], latencyOnly: true, latencyRequests: 3 },
  ];
}

interface Latency {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly statuses: Record<string, number>;
  readonly items?: number;
}

async function latency(client: HttpClient, q: Query): Promise<Latency> {
  const samples: number[] = [];
  const statuses: Record<string, number> = {};
  const limit = q.latencyRequests ?? LATENCY_MAX_REQUESTS;
  const deadline = performance.now() + LATENCY_SECONDS * 1000;
  let items = 0;
  for (let i = 0; i < limit && (performance.now() < deadline || samples.length < 3); i++) {
    const path = q.paths[i % q.paths.length] as string;
    const t = performance.now();
    const answer = await client.call('GET', path, { authorization: DITTO_BASIC });
    samples.push(performance.now() - t);
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.status === 200 && i === 0) {
      const body = JSON.parse(answer.body) as { items?: unknown[] } | number;
      items = typeof body === 'number' ? body : (body.items?.length ?? 0);
    }
  }
  samples.sort((a, b) => a - b);
  const at = (f: number): number => Math.round((samples[Math.min(samples.length - 1, Math.floor(samples.length * f))] ?? 0) * 100) / 100;
  return { requests: samples.length, p50Ms: Math.round(median(samples) * 100) / 100, p99Ms: at(0.99), maxMs: at(1), statuses, items };
}

interface Explained {
  readonly filter: string;
  readonly executionMs: number;
  readonly seqScans: string[];
  readonly indexes: string[];
}

/** EXPLAIN ANALYZE of the candidate SQL the index runs for each filter (first page): whether a table is scanned whole. */
async function explainAll(client: SqlClient, schema: string, filters: readonly string[], kind: StoreKind): Promise<Explained[]> {
  let capturing = false;
  let captured: { text: string; params: readonly unknown[] } | undefined;
  const spying: SqlClient = {
    query: (text, params = []) => {
      if (capturing) captured ??= { text, params };
      return client.query(text, params);
    },
    transaction: (fn) => client.transaction(fn),
    close: () => Promise.resolve(),
  };
  const store = await SqlStore.open(spying, { schema, closeClient: false });
  const index = await SqlSearchIndex.open(spying, store.tables, schema, statisticsOf(kind));
  const out: Explained[] = [];
  for (const filter of filters) {
    captured = undefined;
    capturing = true;
    await index.candidates({ filter: parseRqlFilter(filter), namespaces: undefined, sort: [{ pointer: ['thingId'], direction: 'asc' }], subjects: [SUBJECT], after: undefined, limit: 26, now: new Date() });
    capturing = false;
    const statement = captured as { text: string; params: readonly unknown[] } | undefined;
    if (statement === undefined) throw new Error('no statement captured');
    const plan = (await client.query(`EXPLAIN (ANALYZE, FORMAT TEXT) ${statement.text}`, statement.params)).map((r) => String(r['QUERY PLAN']));
    out.push({
      filter,
      executionMs: Number(/Execution Time: ([\d.]+)/.exec(plan.join('\n'))?.[1] ?? NaN),
      seqScans: plan.filter((l) => /Seq Scan on (doppel_search_value|doppel_search_thing|doppel_snapshot)/.test(l)).map((l) => l.trim()),
      indexes: [...new Set(plan.flatMap((l) => /using (\w+)/.exec(l)?.[1] ?? []))],
    });
  }
  await index.idle();
  return out;
}

const EXPLAINED_FILTERS = [
  'eq(thingId,"bench:thing-4242")',
  'eq(attributes/serial,"SN-00004242")',
  'gt(features/temperature/properties/value,29.5)',
  'like(attributes/serial,"SN-000123*")',
  'and(eq(attributes/location/building,"B7"),or(eq(attributes/location/floor,3),gt(features/battery/properties/level,98)))',
  'eq(attributes/batch,42)',
];

async function searchOn(kind: StoreKind, o: BenchOptions): Promise<{ result: object; goals: Goal[] }> {
  const things = o.searchThings ?? defaultSearchThings(kind);
  const store = await searchStore(kind, things, o.searchReuse, o.postgresUrl);
  console.log(`search on ${store.description}: ${fmt(things)} things`);
  let generateSeconds: number | undefined;
  const explained: Explained[] = [];
  const client = await store.open();
  try {
    generateSeconds = await generate(client, store.schema, things, store.kind);
    console.log(generateSeconds === undefined ? '  reusing the data of an earlier run' : `  generated in ${generateSeconds.toFixed(0)} s (${fmt(things / generateSeconds)} things/s)`);
    // As autovacuum would after a bulk load: the visibility map lets index-only scans skip the table.
    const q = store.kind === 'postgres' ? `"${store.schema}".` : '';
    await client.query(`VACUUM (ANALYZE) ${['doppel_snapshot', 'doppel_search_thing', 'doppel_search_value', 'doppel_search_policy_subject'].map((x) => q + x).join(', ')}`);
    for (const e of await explainAll(client, store.schema, EXPLAINED_FILTERS, store.kind)) {
      explained.push(e);
      console.log(`  EXPLAIN ${e.filter}: ${e.executionMs} ms, ${e.seqScans.length === 0 ? 'no full scan' : `FULL SCAN: ${e.seqScans.join('; ')}`}; indexes ${e.indexes.join(', ')}`);
    }
  } finally {
    await client.close();
  }

  const doppel: RunningServer = await startDoppel({ store: { kind, env: store.env, description: store.description, thingRevisions: () => Promise.reject(new Error('unused')), dispose: () => store.dispose() }, serverDir: o.server.dir, cpuProfDir: o.cpuProfDir, name: `doppel-search-${kind}` });
  const http = new HttpClient(doppel.origin, THROUGHPUT_CONNECTIONS);
  const results: { name: string; latency: Latency; throughput?: LoadResult }[] = [];
  try {
    const list = await queries(http, things);
    for (const q of list) {
      await latency(http, { ...q, latencyRequests: Math.min(q.latencyRequests ?? 20, 20) }); // warm-up
      const l = await latency(http, q);
      let throughput: LoadResult | undefined;
      if (q.latencyOnly !== true) {
        throughput = await runLoadOn(doppel, {
          mode: 'max', origin: doppel.origin, method: 'GET', idPrefix: '', idCount: 1, suffix: '', paths: q.paths,
          headers: { authorization: DITTO_BASIC }, connections: THROUGHPUT_CONNECTIONS, durationSeconds: o.seconds,
        });
      }
      results.push({ name: q.name, latency: l, ...(throughput === undefined ? {} : { throughput }) });
      console.log(`  ${q.name.padEnd(52)} p50 ${l.p50Ms} ms  p99 ${l.p99Ms} ms  (${l.requests} one at a time, statuses ${JSON.stringify(l.statuses)}, first answer ${l.items} ${q.name.startsWith('count') ? 'counted' : 'items'})`);
      if (throughput !== undefined) console.log(describeLoad(`    ${THROUGHPUT_CONNECTIONS} connections`, throughput));
    }
  } finally {
    http.close();
    await doppel.stop();
    await store.dispose();
  }

  const byName = (prefix: string): (typeof results)[number] | undefined => results.find((r) => r.name.startsWith(prefix));
  const goals: Goal[] = [];
  if (kind === 'postgres') {
    const indexed = results.filter((r) => !r.name.startsWith('count') && !r.name.startsWith('sort'));
    const worst = Math.max(...indexed.map((r) => r.latency.p99Ms));
    goals.push({ name: `indexed predicates p99 at ${fmt(things)} things`, goal: '<= 20 ms', measured: `${worst} ms (worst of ${indexed.length})`, met: worst <= 20 });
    const eqId = byName('eq(thingId)')?.throughput?.okPerSecond ?? 0;
    goals.push({ name: 'eq(thingId) searches per second', goal: '>= 5,000/s', measured: `${fmt(eqId)}/s`, met: eqId >= 5000 });
    const selective = byName('count, 1 %')?.latency.p50Ms ?? Infinity;
    goals.push({ name: 'count of a 1 % filter (p50)', goal: '<= 100 ms', measured: `${selective} ms`, met: selective <= 100 });
  }
  goals.push({ name: `indexed predicates use indexes, ${kind}`, goal: 'no full scan', measured: explained.every((e) => e.seqScans.length === 0) ? 'none' : 'full scans', met: explained.every((e) => e.seqScans.length === 0) });
  return { result: { store: kind, things, generateSeconds, reused: generateSeconds === undefined, explained, queries: results, goals }, goals };
}

export async function searchScenario(o: BenchOptions): Promise<object> {
  const started = machine();
  const perStore: object[] = [];
  const goals: Goal[] = [];
  for (const kind of o.stores) {
    const r = await searchOn(kind, o);
    perStore.push(r.result);
    goals.push(...r.goals);
  }
  console.log('search:');
  printGoals(goals);
  return { scenario: 'search', machine: started, revision: o.server.revision, loadAverageAtEnd: machine().loadAverage, settings: { seconds: o.seconds, connections: THROUGHPUT_CONNECTIONS, latencySeconds: LATENCY_SECONDS, reuse: o.searchReuse }, stores: perStore, goals };
}
