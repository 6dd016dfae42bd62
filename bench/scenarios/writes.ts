// Writes: PUT /api/2/things/{id}/attributes/x (a random integer) to random things from 32
// connections. Doppel answers only after the transaction holding the write committed; at the
// end the stored revisions are summed to check that every 2xx really was committed.

import { runLoadOn } from '../lib/children.ts';
import { createThings, ID_PREFIX, startDoppel } from '../lib/doppel.ts';
import { DITTO_BASIC } from '../lib/http.ts';
import type { LoadResult, LoadSpec } from '../lib/load-spec.ts';
import { findProfile, printProfile, summariseProfile, type ProfileSummary } from '../lib/profile.ts';
import { describeLoad, fmt, machine, printGoals, series, type Goal } from '../lib/report.ts';
import { prepareStore, type StoreKind } from '../lib/stores.ts';
import { SEED_CONCURRENCY, type BenchOptions } from './options.ts';

export const WRITE_CONNECTIONS = 32;
const GOAL_PER_SECOND: Readonly<Record<StoreKind, number>> = { pglite: 3_000, postgres: 5_000 };

async function writesOn(kind: StoreKind, o: BenchOptions): Promise<{ result: object; goals: Goal[] }> {
  const store = await prepareStore(kind, o.postgresUrl);
  console.log(`writes on ${store.description}: ${fmt(o.things)} things`);
  const doppel = await startDoppel({ store, serverDir: o.server.dir, cpuProfDir: o.cpuProfDir, name: `doppel-${kind}` });
  const createSeconds = await createThings(doppel.origin, o.things, SEED_CONCURRENCY);
  console.log(`  created ${fmt(o.things)} things in ${createSeconds.toFixed(1)} s (${fmt(o.things / createSeconds)}/s)`);

  const spec = (extra: Partial<LoadSpec> = {}): LoadSpec => ({
    mode: 'max',
    origin: doppel.origin,
    method: 'PUT',
    idPrefix: ID_PREFIX,
    idCount: o.things,
    suffix: '/attributes/x',
    headers: { authorization: DITTO_BASIC, 'content-type': 'application/json' },
    connections: WRITE_CONNECTIONS,
    durationSeconds: o.seconds,
    ...extra,
  });
  const all: LoadResult[] = [];
  const run = async (s: LoadSpec): Promise<LoadResult> => {
    const r = await runLoadOn(doppel, s);
    all.push(r);
    return r;
  };

  await run(spec({ durationSeconds: o.warmupSeconds }));
  const rounds: LoadResult[] = [];
  for (let i = 0; i < o.rounds; i++) {
    const r = await run(spec());
    rounds.push(r);
    console.log(describeLoad(`${kind}, round ${i + 1}`, r));
  }
  const peak = series(rounds);
  const rate = Math.max(1, Math.round(peak.medianOkPerSecond / 2));
  console.log(`  at half of the peak, ${fmt(rate)} writes/s:`);
  const paced = await run(spec({ mode: 'paced', rate }));
  console.log(describeLoad(`${kind}, paced`, paced));
  const bursty = await run(spec({ mode: 'autocannon-rate', rate }));
  console.log(describeLoad(`${kind}, autocannon overallRate`, bursty));

  const memory = doppel.memory();
  await doppel.stop();
  let profile: ProfileSummary | undefined;
  if (o.cpuProfDir !== undefined) {
    const file = await findProfile(o.cpuProfDir, doppel.pid);
    if (file !== undefined) profile = await summariseProfile(file, 40);
  }

  // Each seeded thing has revision 1 and each acknowledged write adds one. The stored sum may be
  // higher by what was in flight when an autocannon phase stopped (committed, never counted: at
  // most one per connection and phase), never lower.
  const acknowledged = all.reduce((n, r) => n + r.ok + (r.warmupOk ?? 0), 0);
  const stored = await store.thingRevisions();
  const storedWrites = stored.revisions - stored.things;
  const lost = acknowledged - storedWrites;
  const durability = { acknowledgedWrites: acknowledged, storedThings: stored.things, storedWrites, acknowledgedButMissing: Math.max(0, lost), storedButUnacknowledged: Math.max(0, -lost) };
  console.log(`  durability: ${fmt(acknowledged)} acknowledged writes, ${fmt(storedWrites)} stored: ${lost > 0 ? `${lost} MISSING` : `none missing, ${-lost} in flight when a phase stopped`}`);
  await store.dispose();
  if (profile !== undefined) printProfile(profile);

  const goal = GOAL_PER_SECOND[kind];
  const goals: Goal[] = [
    { name: `writes per second, ${kind}`, goal: `>= ${fmt(goal)}/s`, measured: `${fmt(peak.medianOkPerSecond)}/s`, met: peak.medianOkPerSecond >= goal },
    { name: `acknowledged writes stored, ${kind}`, goal: 'all', measured: lost > 0 ? `${lost} missing` : 'all', met: lost <= 0 },
  ];
  return {
    result: { store: kind, seeding: { createSeconds, createdPerSecond: Math.round(o.things / createSeconds) }, peak, halfRate: { rate, paced, autocannonRate: bursty }, durability, doppelMemoryAfter: memory, goals, ...(profile === undefined ? {} : { profile }) },
    goals,
  };
}

export async function writesScenario(o: BenchOptions): Promise<object> {
  const started = machine();
  const perStore: object[] = [];
  const goals: Goal[] = [];
  for (const kind of o.stores) {
    const r = await writesOn(kind, o);
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
    settings: { things: o.things, connections: WRITE_CONNECTIONS, seconds: o.seconds, rounds: o.rounds, authentication: 'Basic ditto:ditto', profiled: o.cpuProfDir !== undefined },
    stores: perStore,
    goals,
  };
}
