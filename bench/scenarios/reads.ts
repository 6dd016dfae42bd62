// Reads: GET /api/2/things/{id} of random things, 50 connections, against Doppel (Basic
// authentication, policy enforcement, cache of committed states) and against the baseline
// answering the same bytes from a Map. Rounds alternate between the two so that a burst of
// other work on the machine hurts both alike.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runLoadOn, spawnServer, type RunningServer } from '../lib/children.ts';
import { createThings, ID_PREFIX, readThings, startDoppel } from '../lib/doppel.ts';
import { DITTO_BASIC } from '../lib/http.ts';
import type { LoadResult, LoadSpec } from '../lib/load-spec.ts';
import { findProfile, printProfile, summariseProfile, type ProfileSummary } from '../lib/profile.ts';
import { describeLoad, fmt, machine, printGoals, series, type Goal } from '../lib/report.ts';
import { prepareStore } from '../lib/stores.ts';
import { SEED_CONCURRENCY, type BenchOptions } from './options.ts';

export const READ_CONNECTIONS = 50;

export async function readsScenario(o: BenchOptions): Promise<object> {
  const started = machine();
  const store = await prepareStore('pglite', o.postgresUrl);
  console.log(`reads: ${fmt(o.things)} things in ${store.description}`);

  // Seed with one server and measure with a fresh one on the same data, so that a CPU profile of
  // the measured server shows reads (and the cache filling) rather than creations.
  const seeder = await startDoppel({ store, serverDir: o.server.dir, name: 'doppel-seed' });
  const createSeconds = await createThings(seeder.origin, o.things, SEED_CONCURRENCY);
  await seeder.stop();
  console.log(`  created ${fmt(o.things)} things in ${createSeconds.toFixed(1)} s (${fmt(o.things / createSeconds)}/s)`);

  const doppel = await startDoppel({ store, serverDir: o.server.dir, cpuProfDir: o.cpuProfDir });
  const fill = await readThings(doppel.origin, o.things, SEED_CONCURRENCY, true);
  console.log(`  read each once (cache fill from the store) in ${fill.seconds.toFixed(1)} s`);
  const bodiesFile = join(store.env['DOPPEL_DATA_DIR'] ?? '.', 'baseline-bodies.json');
  await writeFile(bodiesFile, JSON.stringify(fill.bodies));
  const baseline = await spawnServer({ name: 'baseline', args: [join('bench', 'baseline-server.ts'), bodiesFile], env: {} });

  const spec = (server: RunningServer, extra: Partial<LoadSpec> = {}): LoadSpec => ({
    mode: 'max',
    origin: server.origin,
    method: 'GET',
    idPrefix: ID_PREFIX,
    idCount: o.things,
    suffix: '',
    headers: { authorization: DITTO_BASIC },
    connections: READ_CONNECTIONS,
    durationSeconds: o.seconds,
    ...extra,
  });

  await runLoadOn(baseline, spec(baseline, { durationSeconds: o.warmupSeconds }));
  await runLoadOn(doppel, spec(doppel, { durationSeconds: o.warmupSeconds }));
  const baselineRounds: LoadResult[] = [];
  const doppelRounds: LoadResult[] = [];
  for (let i = 0; i < o.rounds; i++) {
    const b = await runLoadOn(baseline, spec(baseline));
    baselineRounds.push(b);
    console.log(describeLoad(`baseline, round ${i + 1}`, b));
    const d = await runLoadOn(doppel, spec(doppel));
    doppelRounds.push(d);
    console.log(describeLoad(`doppel, round ${i + 1}`, d));
  }
  const baselineSeries = series(baselineRounds);
  const doppelSeries = series(doppelRounds);
  const ratio = doppelSeries.medianOkPerSecond / baselineSeries.medianOkPerSecond;
  // CPU per request does not depend on how much of the machine others took meanwhile.
  const cpuRatio = (baselineSeries.medianServerCpuMicrosPerRequest ?? NaN) / (doppelSeries.medianServerCpuMicrosPerRequest ?? NaN);

  const rate = Math.max(1, Math.round(doppelSeries.medianOkPerSecond / 2));
  console.log(`  at half of Doppel's peak, ${fmt(rate)} requests/s:`);
  const doppelPaced = await runLoadOn(doppel, spec(doppel, { mode: 'paced', rate }));
  console.log(describeLoad('doppel, paced', doppelPaced));
  const doppelBursty = await runLoadOn(doppel, spec(doppel, { mode: 'autocannon-rate', rate }));
  console.log(describeLoad('doppel, autocannon overallRate', doppelBursty));
  const baselinePaced = await runLoadOn(baseline, spec(baseline, { mode: 'paced', rate }));
  console.log(describeLoad('baseline, paced (same rate)', baselinePaced));

  const memory = doppel.memory();
  await baseline.stop();
  await doppel.stop();

  let profile: ProfileSummary | undefined;
  if (o.cpuProfDir !== undefined) {
    const file = await findProfile(o.cpuProfDir, doppel.pid);
    if (file !== undefined) profile = await summariseProfile(file, 40);
  }

  const goals: Goal[] = [
    { name: 'reads vs baseline', goal: '>= 40 %', measured: `${(ratio * 100).toFixed(1)} % (${fmt(doppelSeries.medianOkPerSecond)} / ${fmt(baselineSeries.medianOkPerSecond)} per s)`, met: ratio >= 0.4 },
    { name: 'reads per second', goal: '>= 10,000/s', measured: `${fmt(doppelSeries.medianOkPerSecond)}/s`, met: doppelSeries.medianOkPerSecond >= 10_000 },
  ];
  console.log(`reads: Doppel ${fmt(doppelSeries.medianOkPerSecond)}/s (median of ${o.rounds}), baseline ${fmt(baselineSeries.medianOkPerSecond)}/s; Doppel RSS ${memory.rssMiB} MiB`);
  console.log(`  CPU per request: Doppel ${doppelSeries.medianServerCpuMicrosPerRequest ?? '?'} µs, baseline ${baselineSeries.medianServerCpuMicrosPerRequest ?? '?'} µs (baseline/Doppel ${(cpuRatio * 100).toFixed(1)} %)`);
  printGoals(goals);
  if (profile !== undefined) printProfile(profile);

  return {
    scenario: 'reads',
    machine: started,
    revision: o.server.revision,
    loadAverageAtEnd: machine().loadAverage,
    settings: { things: o.things, connections: READ_CONNECTIONS, seconds: o.seconds, rounds: o.rounds, store: 'pglite', authentication: 'Basic ditto:ditto', profiled: o.cpuProfDir !== undefined },
    seeding: { createSeconds, createdPerSecond: Math.round(o.things / createSeconds), cacheFillSeconds: fill.seconds },
    baseline: baselineSeries,
    doppel: doppelSeries,
    ratio: Math.round(ratio * 1000) / 1000,
    cpuPerRequestRatio: Math.round(cpuRatio * 1000) / 1000,
    halfRate: { rate, doppelPaced, doppelAutocannonRate: doppelBursty, baselinePaced },
    doppelMemoryAfter: memory,
    goals,
    ...(profile === undefined ? {} : { profile }),
  };
}
