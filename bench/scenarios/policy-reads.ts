// Policy reads: GET /api/2/things/{id} of random things, 50 connections, against one Doppel
// process holding two sets of things with the same content:
//   A  `bench:thing-<n>`, created by a plain PUT, so each has the default policy (one entry, the
//      creator may read and write everything);
//   B  `bench:fine-<n>`, created with an inline `_policy` of 10 entries and 50 resource paths,
//      whose revokes hide part of the thing from the caller (nginx:ditto): a partial read.
// Rounds alternate A and B so that other work on the machine hurts both alike. The goal is from
// the issue: with enforcement compiled once per policy revision and cached, B reaches at least
// 85 % of A's reads per second.

import { join } from 'node:path';
import { loadavg } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { runLoadOn, type RunningServer } from '../lib/children.ts';
import { createThings, ID_PREFIX, startDoppel, thingBody } from '../lib/doppel.ts';
import { DITTO_BASIC, forEachBounded, HttpClient, withRetries } from '../lib/http.ts';
import { thingPath, type LoadResult, type LoadSpec } from '../lib/load-spec.ts';
import { findProfile, printProfile, summariseProfile, type ProfileSummary } from '../lib/profile.ts';
import { describeLoad, fmt, machine, printGoals, series, type Goal } from '../lib/report.ts';
import { prepareStore } from '../lib/stores.ts';
import { SEED_CONCURRENCY, type BenchOptions } from './options.ts';
import { READ_CONNECTIONS } from './reads.ts';

/** Things with the fine-grained policy are `bench:fine-<n>`. */
export const FINE_ID_PREFIX = 'bench:fine-';
const GOAL_RATIO = 0.85;
const CALLER = 'nginx:ditto';

type Permissions = { readonly grant: readonly string[]; readonly revoke: readonly string[] };
type Entry = { readonly subjects: Readonly<Record<string, { readonly type: string }>>; readonly resources: Readonly<Record<string, Permissions>> };

const R = ['READ'] as const;
const W = ['WRITE'] as const;
const RW = ['READ', 'WRITE'] as const;
const grant = (g: readonly string[]): Permissions => ({ grant: g, revoke: [] });
const revoke = (r: readonly string[]): Permissions => ({ grant: [], revoke: r });
const subjects = (...ids: string[]): Entry['subjects'] => Object.fromEntries(ids.map((id) => [id, { type: 'bench' }]));

/**
 * 10 entries, 50 resource paths. The caller is in 6 entries: it may write all of the thing and
 * the policy (so it may create the thing), but READ is revoked on some nested attributes and
 * feature properties that every thing has (see HIDDEN), and on others that it lacks.
 */
export const FINE_POLICY_ENTRIES: Readonly<Record<string, Entry>> = {
  OWNER: { subjects: subjects(CALLER), resources: { 'thing:/': grant(RW), 'policy:/': grant(RW), 'message:/': grant(RW) } },
  'READ-RESTRICTIONS': {
    subjects: subjects(CALLER),
    resources: {
      'thing:/attributes/serial': revoke(R),
      'thing:/attributes/location/floor': revoke(R),
      'thing:/features/temperature/properties/updated': revoke(R),
      'thing:/features/battery/properties/charging': revoke(R),
      'thing:/attributes/secrets': revoke(R),
      'thing:/features/diagnostics': revoke(R),
    },
  },
  OPERATORS: {
    subjects: subjects('nginx:operator', 'nginx:operator2'),
    resources: {
      'thing:/attributes': grant(R),
      'thing:/features/temperature': grant(RW),
      'thing:/features/battery': grant(RW),
      'thing:/features/diagnostics': grant(R),
      'policy:/entries/OPERATORS': grant(R),
    },
  },
  'DITTO-FEATURES': {
    subjects: subjects(CALLER),
    resources: {
      'thing:/features/temperature/properties/value': grant(R),
      'thing:/features/temperature/properties/unit': grant(R),
      'thing:/features/battery/properties/level': grant(R),
      'thing:/features/battery/definition': grant(R),
      'thing:/features/temperature/definition': grant(R),
      'thing:/features/temperature/desiredProperties': revoke(R),
    },
  },
  CONNECTOR: {
    subjects: subjects('integration:connector'),
    resources: {
      'thing:/features/temperature/properties': grant(RW),
      'thing:/features/battery/properties': grant(RW),
      'thing:/features/diagnostics/properties': grant(RW),
      'message:/features/temperature/inbox': grant(RW),
      'message:/features/battery/inbox': grant(RW),
      'thing:/features/diagnostics/properties/log': revoke(W),
    },
  },
  'DITTO-ATTRIBUTES': {
    subjects: subjects(CALLER, 'nginx:auditor'),
    resources: {
      'thing:/attributes/manufacturer': grant(R),
      'thing:/attributes/location/building': grant(R),
      'thing:/attributes/x': grant(R),
      'thing:/attributes/model': grant(R),
      'thing:/attributes/location/room': revoke(R),
      'thing:/attributes/location/coordinates': revoke(R),
    },
  },
  AUDITORS: {
    subjects: subjects('nginx:auditor'),
    resources: {
      'thing:/': grant(R),
      'policy:/': grant(R),
      'thing:/attributes/secrets': revoke(R),
      'thing:/features/diagnostics/properties/log': revoke(R),
      'thing:/attributes/serial': revoke(R),
    },
  },
  'DITTO-MAINTENANCE': {
    subjects: subjects(CALLER, 'nginx:maintenance'),
    resources: {
      'thing:/attributes/maintenance/history': revoke(R),
      'thing:/features/battery/properties/history': revoke(R),
      'thing:/features/temperature/properties/calibration': revoke(R),
      'thing:/attributes/maintenance/lastService': grant(R),
      'thing:/attributes/maintenance/nextService': grant(R),
    },
  },
  GUESTS: {
    subjects: subjects('nginx:guest'),
    resources: {
      'thing:/attributes/manufacturer': grant(R),
      'thing:/attributes/model': grant(R),
      'thing:/features/temperature/properties/value': grant(R),
      'thing:/attributes/location': revoke(R),
    },
  },
  'DITTO-MESSAGES': {
    subjects: subjects(CALLER),
    resources: {
      'message:/inbox': grant(W),
      'message:/outbox': grant(R),
      'thing:/features/temperature/properties/raw': revoke(R),
      'thing:/attributes/internal': revoke(R),
    },
  },
};

/** Fields every thing has (thingBody) that the caller may not read under the fine-grained policy. */
const HIDDEN: readonly (readonly string[])[] = [
  ['attributes', 'serial'],
  ['attributes', 'location', 'floor'],
  ['features', 'temperature', 'properties', 'updated'],
  ['features', 'battery', 'properties', 'charging'],
];
/** Fields every thing has that the caller still reads under the fine-grained policy. */
const VISIBLE: readonly (readonly string[])[] = [
  ['thingId'],
  ['policyId'],
  ['attributes', 'x'],
  ['attributes', 'manufacturer'],
  ['attributes', 'location', 'building'],
  ['features', 'temperature', 'properties', 'value'],
  ['features', 'temperature', 'properties', 'unit'],
  ['features', 'battery', 'properties', 'level'],
];

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Every leaf of `value` as [path, leaf]. */
function leaves(value: unknown, path: readonly string[] = []): [readonly string[], unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [[path, value]];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
}

const show = (path: readonly string[]): string => path.join('/');

function policyCounts(): { entries: number; resources: number; callerEntries: number } {
  const entries = Object.values(FINE_POLICY_ENTRIES);
  return {
    entries: entries.length,
    resources: entries.reduce((n, e) => n + Object.keys(e.resources).length, 0),
    callerEntries: entries.filter((e) => CALLER in e.subjects).length,
  };
}

function fineBody(n: number): string {
  const thing = JSON.parse(thingBody(n)) as Record<string, unknown>;
  return JSON.stringify({ ...thing, _policy: { entries: FINE_POLICY_ENTRIES } });
}

async function createFineThings(origin: string, count: number, concurrency: number): Promise<number> {
  const client = new HttpClient(origin, concurrency);
  const headers = { authorization: DITTO_BASIC, 'content-type': 'application/json' };
  const started = performance.now();
  try {
    await forEachBounded(count, concurrency, async (n) => {
      const path = thingPath(FINE_ID_PREFIX, n);
      await withRetries(() => client.call('PUT', path, headers, fineBody(n)), (a) => a.status === 201 || a.status === 204, `PUT ${path}`);
    });
  } finally {
    client.close();
  }
  return (performance.now() - started) / 1000;
}

/** GETs things prefix0..count-1 once each (filling the cache) and returns the parsed answers. */
async function readAll(origin: string, prefix: string, count: number, concurrency: number): Promise<{ seconds: number; answers: unknown[] }> {
  const client = new HttpClient(origin, concurrency);
  const answers: unknown[] = new Array<unknown>(count);
  const started = performance.now();
  try {
    await forEachBounded(count, concurrency, async (n) => {
      const path = thingPath(prefix, n);
      const a = await withRetries(() => client.call('GET', path, { authorization: DITTO_BASIC }), (x) => x.status === 200, `GET ${path}`);
      answers[n] = JSON.parse(a.body) as unknown;
    });
  } finally {
    client.close();
  }
  return { seconds: (performance.now() - started) / 1000, answers };
}

/** The stored documents of two things, read from the PGlite directory while no server holds it. */
async function storedThings(dataDir: string, ids: readonly string[]): Promise<Map<string, unknown>> {
  const db = new PGlite(join(dataDir, 'pgdata'));
  try {
    const rows = await db.query<{ entity_id: string; data: unknown }>(
      `SELECT entity_id, data FROM doppel_snapshot WHERE entity_type = 'thing' AND entity_id = ANY($1)`,
      [ids],
    );
    return new Map(rows.rows.map((r) => [r.entity_id, typeof r.data === 'string' ? (JSON.parse(r.data) as unknown) : r.data]));
  } finally {
    await db.close();
  }
}

interface Verification {
  readonly storedHas: readonly string[];
  readonly defaultFull: number;
  readonly finePartial: number;
  readonly checked: number;
  readonly sampleDefault: unknown;
  readonly sampleFine: unknown;
}

/**
 * A's answers carry every leaf of the thing as created; B's carry the VISIBLE fields and none of
 * the HIDDEN ones, although the stored thing has them. Throws on the first answer that does not.
 */
function verify(stored: Map<string, unknown>, aAnswers: readonly unknown[], bAnswers: readonly unknown[]): Verification {
  const storedFine = stored.get(`${FINE_ID_PREFIX}0`);
  const storedDefault = stored.get(`${ID_PREFIX}0`);
  for (const path of HIDDEN) {
    if (at(storedFine, path) === undefined) throw new Error(`the stored ${FINE_ID_PREFIX}0 lacks ${show(path)}: nothing would be hidden`);
    if (at(storedDefault, path) === undefined) throw new Error(`the stored ${ID_PREFIX}0 lacks ${show(path)}`);
  }
  aAnswers.forEach((answer, n) => {
    for (const [path, leaf] of leaves(JSON.parse(thingBody(n)))) {
      if (at(answer, path) !== leaf) throw new Error(`default policy: ${ID_PREFIX}${n} answered without ${show(path)} = ${JSON.stringify(leaf)}: not a full read`);
    }
  });
  bAnswers.forEach((answer, n) => {
    for (const path of HIDDEN) {
      if (at(answer, path) !== undefined) throw new Error(`fine-grained policy: ${FINE_ID_PREFIX}${n} answered ${show(path)}, which is revoked: not a partial read`);
    }
    for (const path of VISIBLE) {
      if (at(answer, path) === undefined) throw new Error(`fine-grained policy: ${FINE_ID_PREFIX}${n} answered without ${show(path)}, which is granted`);
    }
  });
  return {
    storedHas: HIDDEN.map(show),
    defaultFull: aAnswers.length,
    finePartial: bAnswers.length,
    checked: aAnswers.length + bAnswers.length,
    sampleDefault: aAnswers[0],
    sampleFine: bAnswers[0],
  };
}

export async function policyReadsScenario(o: BenchOptions): Promise<object> {
  const started = machine();
  const perSet = Math.max(1, Math.round(o.things / 2));
  const counts = policyCounts();
  const store = await prepareStore('pglite', o.postgresUrl);
  console.log(`policy-reads: ${fmt(perSet)} things with the default policy (A) and ${fmt(perSet)} with a policy of ${counts.entries} entries, ${counts.resources} resource paths (B), in ${store.description}`);
  const dataDir = store.env['DOPPEL_DATA_DIR'] ?? '.';

  // Seed with one server, measure with a fresh one on the same data (as the reads scenario).
  const seeder = await startDoppel({ store, serverDir: o.server.dir, name: 'doppel-seed' });
  const createA = await createThings(seeder.origin, perSet, SEED_CONCURRENCY);
  const createB = await createFineThings(seeder.origin, perSet, SEED_CONCURRENCY);
  await seeder.stop();
  console.log(`  created A in ${createA.toFixed(1)} s (${fmt(perSet / createA)}/s), B in ${createB.toFixed(1)} s (${fmt(perSet / createB)}/s)`);
  const stored = await storedThings(dataDir, [`${ID_PREFIX}0`, `${FINE_ID_PREFIX}0`]);

  const doppel = await startDoppel({ store, serverDir: o.server.dir, cpuProfDir: o.cpuProfDir });
  const fillA = await readAll(doppel.origin, ID_PREFIX, perSet, SEED_CONCURRENCY);
  const fillB = await readAll(doppel.origin, FINE_ID_PREFIX, perSet, SEED_CONCURRENCY);
  console.log(`  read each once (cache fill from the store): A in ${fillA.seconds.toFixed(1)} s, B in ${fillB.seconds.toFixed(1)} s`);
  const verification = verify(stored, fillA.answers, fillB.answers);
  console.log(`  checked: all ${fmt(perSet)} A answers full; all ${fmt(perSet)} B answers lack ${verification.storedHas.join(', ')} (present in the stored thing)`);
  console.log(`  B answer, e.g.: ${JSON.stringify(verification.sampleFine)}`);

  const spec = (server: RunningServer, prefix: string, extra: Partial<LoadSpec> = {}): LoadSpec => ({
    mode: 'max',
    origin: server.origin,
    method: 'GET',
    idPrefix: prefix,
    idCount: perSet,
    suffix: '',
    headers: { authorization: DITTO_BASIC },
    connections: READ_CONNECTIONS,
    durationSeconds: o.seconds,
    ...extra,
  });

  await runLoadOn(doppel, spec(doppel, ID_PREFIX, { durationSeconds: o.warmupSeconds }));
  await runLoadOn(doppel, spec(doppel, FINE_ID_PREFIX, { durationSeconds: o.warmupSeconds }));
  const aRounds: LoadResult[] = [];
  const bRounds: LoadResult[] = [];
  const roundLoad: { round: number; set: 'A' | 'B'; loadAverage: number[] }[] = [];
  const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);
  for (let i = 0; i < o.rounds; i++) {
    const a = await runLoadOn(doppel, spec(doppel, ID_PREFIX));
    aRounds.push(a);
    roundLoad.push({ round: i + 1, set: 'A', loadAverage: load() });
    console.log(describeLoad(`A default policy, round ${i + 1}`, a));
    const b = await runLoadOn(doppel, spec(doppel, FINE_ID_PREFIX));
    bRounds.push(b);
    roundLoad.push({ round: i + 1, set: 'B', loadAverage: load() });
    console.log(describeLoad(`B fine-grained, round ${i + 1}`, b));
  }

  // The answers are still partial after the load (nothing changed the cached enforcement).
  const after = verify(stored, (await readAll(doppel.origin, ID_PREFIX, Math.min(perSet, 200), SEED_CONCURRENCY)).answers,
    (await readAll(doppel.origin, FINE_ID_PREFIX, Math.min(perSet, 200), SEED_CONCURRENCY)).answers);

  const memory = doppel.memory();
  await doppel.stop();

  let profile: ProfileSummary | undefined;
  if (o.cpuProfDir !== undefined) {
    const file = await findProfile(o.cpuProfDir, doppel.pid);
    if (file !== undefined) profile = await summariseProfile(file, 40);
  }

  const aSeries = series(aRounds);
  const bSeries = series(bRounds);
  const ratio = bSeries.medianOkPerSecond / aSeries.medianOkPerSecond;
  const aCpu = aSeries.medianServerCpuMicrosPerRequest ?? NaN;
  const bCpu = bSeries.medianServerCpuMicrosPerRequest ?? NaN;
  // Rate B could reach relative to A if CPU were the only limit: A's CPU per request over B's.
  const cpuRatio = aCpu / bCpu;
  const failed = [...aRounds, ...bRounds].reduce((n, r) => n + r.non2xx + r.errors, 0);
  const goals: Goal[] = [
    { name: 'fine-grained vs default policy, reads/s', goal: `>= ${GOAL_RATIO * 100} %`, measured: `${(ratio * 100).toFixed(1)} % (${fmt(bSeries.medianOkPerSecond)} / ${fmt(aSeries.medianOkPerSecond)} per s)`, met: ratio >= GOAL_RATIO },
    { name: 'fine-grained vs default policy, CPU per read (A/B)', goal: `>= ${GOAL_RATIO * 100} %`, measured: `${(cpuRatio * 100).toFixed(1)} % (${aCpu} µs / ${bCpu} µs)`, met: cpuRatio >= GOAL_RATIO },
    { name: 'every measured request answered 2xx', goal: '0 failures', measured: `${failed} failures`, met: failed === 0 },
  ];
  const end = machine().loadAverage;
  console.log(`policy-reads: A ${fmt(aSeries.medianOkPerSecond)}/s, B ${fmt(bSeries.medianOkPerSecond)}/s (medians of ${o.rounds}); B/A ${(ratio * 100).toFixed(1)} %`);
  console.log(`  CPU per request: A ${aCpu} µs, B ${bCpu} µs; load average at start ${started.loadAverage.join(' ')}, at end ${end.join(' ')}; Doppel RSS ${memory.rssMiB} MiB`);
  printGoals(goals);
  if (profile !== undefined) printProfile(profile);

  return {
    scenario: 'policy-reads',
    machine: started,
    revision: o.server.revision,
    loadAverageAtEnd: end,
    settings: {
      thingsPerSet: perSet,
      connections: READ_CONNECTIONS,
      seconds: o.seconds,
      rounds: o.rounds,
      order: 'A,B alternating',
      store: 'pglite',
      authentication: 'Basic ditto:ditto (nginx:ditto)',
      profiled: o.cpuProfDir !== undefined,
      finePolicy: { ...counts, hiddenFromCaller: HIDDEN.map(show), entries: FINE_POLICY_ENTRIES },
    },
    seeding: { createSecondsA: createA, createSecondsB: createB, cacheFillSecondsA: fillA.seconds, cacheFillSecondsB: fillB.seconds },
    verification: { ...verification, checkedAfterLoad: after.checked },
    defaultPolicy: aSeries,
    finePolicy: bSeries,
    roundLoadAverages: roundLoad,
    ratio: Math.round(ratio * 1000) / 1000,
    cpuPerRequestRatio: Math.round(cpuRatio * 1000) / 1000,
    doppelMemoryAfter: memory,
    goals,
    ...(profile === undefined ? {} : { profile }),
  };
}
