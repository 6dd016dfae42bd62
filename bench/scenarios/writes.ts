// Writes: PUT /api/2/things/{id}/attributes/x (a random integer) to random things from 32
// connections. Doppel answers only after the transaction holding the write committed; at the
// end the stored revisions are summed to check that every 2xx really was committed. With
// --compare-index or --against REV a second server runs beside the measured one, on a store of
// its own, and the rounds alternate between the two.

import { localPostgresCpu, REPO_ROOT, runLoadOn, type RunningServer } from '../lib/children.ts';
import { createThings, ID_PREFIX, startDoppel } from '../lib/doppel.ts';
import { DITTO_BASIC } from '../lib/http.ts';
import type { LoadResult, LoadSpec } from '../lib/load-spec.ts';
import { findProfile, printProfile, summariseProfile, type ProfileSummary } from '../lib/profile.ts';
import { describeLoad, fmt, machine, median, printGoals, series, type Goal } from '../lib/report.ts';
import { exportRevision, type ServerSource } from '../lib/snapshot.ts';
import { prepareStore, type BenchStore, type StoreKind } from '../lib/stores.ts';
import { SEED_CONCURRENCY, type BenchOptions } from './options.ts';

export const WRITE_CONNECTIONS = 32;
const GOAL_PER_SECOND: Readonly<Record<StoreKind, number>> = { pglite: 3_000, postgres: 5_000 };

/** The measured server, the same code with the search index off, or another revision. */
type Role = 'measured' | 'unindexed' | 'against';

interface Target {
  readonly label: string;
  readonly role: Role;
  readonly source: ServerSource;
  readonly store: BenchStore;
  readonly doppel: RunningServer;
  readonly all: LoadResult[];
  readonly rounds: LoadResult[];
}

async function startTarget(kind: StoreKind, role: Role, source: ServerSource, o: BenchOptions): Promise<Target> {
  const store = await prepareStore(kind, o.postgresUrl);
  const label = role === 'measured' ? kind : role === 'unindexed' ? `${kind} without index` : `${kind} ${source.revision}`;
  const what = role === 'unindexed' ? ', search index off (DOPPEL_SEARCH_INDEX=false)' : role === 'against' ? `, revision ${source.revision}` : '';
  console.log(`writes on ${store.description}${what}: ${fmt(o.things)} things`);
  const doppel = await startDoppel({
    store,
    serverDir: source.dir,
    // Profile the measured server only.
    cpuProfDir: role === 'measured' ? o.cpuProfDir : undefined,
    name: `doppel-${kind}${role === 'measured' ? '' : role === 'unindexed' ? '-unindexed' : `-${source.revision}`}`,
    ...(role === 'unindexed' ? { env: { DOPPEL_SEARCH_INDEX: 'false' } } : {}),
  });
  const createSeconds = await createThings(doppel.origin, o.things, SEED_CONCURRENCY);
  console.log(`  created ${fmt(o.things)} things in ${createSeconds.toFixed(1)} s (${fmt(o.things / createSeconds)}/s)`);
  return { label, role, source, store, doppel, all: [], rounds: [] };
}

async function writesOn(kind: StoreKind, o: BenchOptions, against: ServerSource | undefined): Promise<{ result: object; goals: Goal[] }> {
  // A second server on a store of its own runs with the index off (--compare-index) or another
  // revision (--against); the rounds alternate between the two, so other load on the machine, and
  // the machine's own changes of speed, hit both alike.
  const targets = [await startTarget(kind, 'measured', o.server, o)];
  if (o.compareIndex) targets.push(await startTarget(kind, 'unindexed', o.server, o));
  if (against !== undefined) targets.push(await startTarget(kind, 'against', against, o));
  const [main] = targets as [Target, ...Target[]];

  const spec = (t: Target, extra: Partial<LoadSpec> = {}): LoadSpec => ({
    mode: 'max',
    origin: t.doppel.origin,
    method: 'PUT',
    idPrefix: ID_PREFIX,
    idCount: o.things,
    suffix: '/attributes/x',
    headers: { authorization: DITTO_BASIC, 'content-type': 'application/json' },
    connections: WRITE_CONNECTIONS,
    durationSeconds: o.seconds,
    ...extra,
  });
  const run = async (t: Target, s: LoadSpec): Promise<LoadResult> => {
    // On PostgreSQL the database does its share of each write in processes of its own.
    const r = await runLoadOn(t.doppel, s, kind === 'postgres' ? localPostgresCpu : undefined);
    t.all.push(r);
    return r;
  };

  for (const t of targets) await run(t, spec(t, { durationSeconds: o.warmupSeconds }));
  for (let i = 0; i < o.rounds; i++) {
    for (const t of targets) {
      const r = await run(t, spec(t));
      t.rounds.push(r);
      console.log(describeLoad(`${t.label}, round ${i + 1}`, r));
    }
  }
  const peak = series(main.rounds);
  const rate = Math.max(1, Math.round(peak.medianOkPerSecond / 2));
  console.log(`  at half of the peak, ${fmt(rate)} writes/s:`);
  const paced = await run(main, spec(main, { mode: 'paced', rate }));
  console.log(describeLoad(`${kind}, paced`, paced));
  const bursty = await run(main, spec(main, { mode: 'autocannon-rate', rate }));
  console.log(describeLoad(`${kind}, autocannon overallRate`, bursty));

  const memory = main.doppel.memory();
  for (const t of targets) await t.doppel.stop();
  let profile: ProfileSummary | undefined;
  if (o.cpuProfDir !== undefined) {
    const file = await findProfile(o.cpuProfDir, main.doppel.pid);
    if (file !== undefined) profile = await summariseProfile(file, 40);
  }

  // Each seeded thing has revision 1 and each acknowledged write adds one. The stored sum may be
  // higher by what was in flight when an autocannon phase stopped (committed, never counted: at
  // most one per connection and phase), never lower.
  const durability: Record<string, object> = {};
  let lost = 0;
  for (const t of targets) {
    const acknowledged = t.all.reduce((n, r) => n + r.ok + (r.warmupOk ?? 0), 0);
    const stored = await t.store.thingRevisions();
    const storedWrites = stored.revisions - stored.things;
    const missing = acknowledged - storedWrites;
    lost = Math.max(lost, missing);
    durability[t.role === 'measured' ? 'indexed' : t.role] = { acknowledgedWrites: acknowledged, storedThings: stored.things, storedWrites, acknowledgedButMissing: Math.max(0, missing), storedButUnacknowledged: Math.max(0, -missing) };
    console.log(`  durability (${t.label}): ${fmt(acknowledged)} acknowledged writes, ${fmt(storedWrites)} stored: ${missing > 0 ? `${missing} MISSING` : `none missing, ${-missing} in flight when a phase stopped`}`);
    await t.store.dispose();
  }
  if (profile !== undefined) printProfile(profile);

  const goal = GOAL_PER_SECOND[kind];
  const goals: Goal[] = [
    { name: `writes per second, ${kind}`, goal: `>= ${fmt(goal)}/s`, measured: `${fmt(peak.medianOkPerSecond)}/s`, met: peak.medianOkPerSecond >= goal },
    { name: `acknowledged writes stored, ${kind}`, goal: 'all', measured: lost > 0 ? `${lost} missing` : 'all', met: lost <= 0 },
  ];
  let unindexed: object | undefined;
  let compared: object | undefined;
  const other = targets[1];
  if (other !== undefined) {
    const theirs = series(other.rounds);
    // Paired by round: each round of the measured server against the other's round right after it.
    const ratios = main.rounds.map((r, i) => r.okPerSecond / Math.max(1, other.rounds[i]?.okPerSecond ?? 0));
    const ratio = median(ratios);
    const cpu = (mine: number | undefined, others: number | undefined, what: string): string => (mine !== undefined && others !== undefined ? `; ${what} CPU per write ${mine} µs against ${others} µs` : '');
    const cpus = cpu(peak.medianServerCpuMicrosPerRequest, theirs.medianServerCpuMicrosPerRequest, 'server') + cpu(peak.medianDatabaseCpuMicrosPerRequest, theirs.medianDatabaseCpuMicrosPerRequest, 'database');
    if (other.role === 'unindexed') {
      console.log(`  with the index ${fmt(peak.medianOkPerSecond)}/s, without ${fmt(theirs.medianOkPerSecond)}/s: ${(ratio * 100).toFixed(1)} % (median of per-round ratios)${cpus}`);
      goals.push({ name: `writes with the index vs without, ${kind}`, goal: '>= 70 %', measured: `${(ratio * 100).toFixed(1)} %`, met: ratio >= 0.7 });
      unindexed = { peak: theirs, ratioPerRound: ratios, medianRatio: ratio };
    } else {
      console.log(`  ${main.source.revision} ${fmt(peak.medianOkPerSecond)}/s, ${other.source.revision} ${fmt(theirs.medianOkPerSecond)}/s: ${(ratio * 100).toFixed(1)} % (median of per-round ratios)${cpus}`);
      compared = { revision: other.source.revision, peak: theirs, ratioPerRound: ratios, medianRatio: ratio };
    }
  }
  return {
    result: { store: kind, peak, halfRate: { rate, paced, autocannonRate: bursty }, durability, doppelMemoryAfter: memory, goals, ...(unindexed === undefined ? {} : { withoutIndex: unindexed }), ...(compared === undefined ? {} : { against: compared }), ...(profile === undefined ? {} : { profile }) },
    goals,
  };
}

export async function writesScenario(o: BenchOptions): Promise<object> {
  const started = machine();
  if (o.compareIndex && o.against !== undefined) throw new Error('--compare-index and --against cannot be combined: each adds a second server');
  const against = o.against === undefined ? undefined : await exportRevision(REPO_ROOT, o.against);
  const perStore: object[] = [];
  const goals: Goal[] = [];
  for (const kind of o.stores) {
    const r = await writesOn(kind, o, against);
    perStore.push(r.result);
    goals.push(...r.goals);
  }
  console.log('writes:');
  printGoals(goals);
  return {
    scenario: 'writes',
    machine: started,
    revision: o.server.revision,
    loadAverageAtEnd: machine().loadAverage,
    settings: { things: o.things, connections: WRITE_CONNECTIONS, seconds: o.seconds, rounds: o.rounds, authentication: 'Basic ditto:ditto', profiled: o.cpuProfDir !== undefined, compareIndex: o.compareIndex, against: against?.revision },
    stores: perStore,
    goals,
  };
}
