// npm run bench -- <reads|writes|memory|all> [options]; see usage() and docs/benchmarks.md.

import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/children.ts';
import { cleanupAll, cleanupMark, installSignalCleanup, isInterrupted } from './lib/cleanup.ts';
import { writeResults } from './lib/report.ts';
import { exportRevision, workingTree } from './lib/snapshot.ts';
import { assertLoopback, DEFAULT_POSTGRES_URL, type StoreKind } from './lib/stores.ts';
import { liveMessagesScenario } from './scenarios/live-messages.ts';
import { memoryScenario } from './scenarios/memory.ts';
import type { BenchOptions } from './scenarios/options.ts';
import { policyReadsScenario } from './scenarios/policy-reads.ts';
import { readsScenario } from './scenarios/reads.ts';
import { searchScenario } from './scenarios/search.ts';
import { startupScenario } from './scenarios/startup.ts';
import { writesScenario } from './scenarios/writes.ts';

const SCENARIOS = {
  reads: readsScenario,
  writes: writesScenario,
  memory: memoryScenario,
  'policy-reads': policyReadsScenario,
  'live-messages': liveMessagesScenario,
  search: searchScenario,
  startup: startupScenario,
} as const satisfies Record<string, (o: BenchOptions) => Promise<object>>;
type Scenario = keyof typeof SCENARIOS;

function usage(): string {
  return `usage: npm run bench -- <reads|writes|memory|policy-reads|live-messages|search|startup|all> [options]
  --store pglite|postgres   writes, memory and search on one store only (default: both)
  --seconds N               length of each measured load phase (default 10)
  --rounds N                measured phases per target, median reported (default 3); startup: starts
                            on a new and then on the same directory per round
  --warmup N                unrecorded warm-up phase, seconds (default 3)
  --things N                things for reads and writes (default 10000); policy-reads: half each policy
  --memory-things N         things for memory (default 100000)
  --memory-idle N           memory: seconds each loaded server then stays idle before RSS is read
                            again, so V8 can collect what the load left behind (default 30; 0: skip)
  --search-things N         things for search (default 100000 on PGlite, 1000000 on PostgreSQL)
  --search-reuse            search: generate into a kept schema doppel_bench_search_<N> (PostgreSQL) or
                            directory <tmp>/doppel-bench-search-<N> (PGlite) and reuse it when present
  --postgres-url URL        default ${DEFAULT_POSTGRES_URL} (BENCH_POSTGRES_URL); loopback only
  --revision REV            measure a committed revision (git archive to a temporary directory)
                            instead of the working tree
  --against REV             startup and writes: also start revision REV, alternating with the measured
                            one (writes: on a store of its own; the median of per-round ratios)
  --compare-index           writes: a second server with the search index off (DOPPEL_SEARCH_INDEX=false),
                            rounds alternating, and the ratio of the two
  --cpu-prof                run the measured server under node --cpu-prof and summarise the profile
  --cpu-prof-dir DIR        where profiles go (default ${join(tmpdir(), 'doppel-bench-profiles')})
  --heap-snapshot           memory: end with a heap snapshot of the restarted server, summarised
                            (use with a smaller --memory-things; a snapshot needs about twice the heap)
  --heap-snapshot-dir DIR   where snapshots go (default ${join(tmpdir(), 'doppel-bench-heap')})`;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number, not '${raw}'`);
  return n;
}

function parse(argv: readonly string[]): { scenarios: Scenario[]; revision: string | undefined; options: Omit<BenchOptions, 'server'> } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      things: { type: 'string' },
      'memory-things': { type: 'string' },
      'memory-idle': { type: 'string' },
      'postgres-url': { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      'cpu-prof-dir': { type: 'string' },
      revision: { type: 'string' },
      against: { type: 'string' },
      'heap-snapshot': { type: 'boolean' },
      'compare-index': { type: 'boolean' },
      'search-things': { type: 'string' },
      'search-reuse': { type: 'boolean' },
      'heap-snapshot-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true || positionals.length !== 1) throw new Error(usage());
  const name = positionals[0] ?? '';
  const scenarios: Scenario[] = name === 'all' ? ['reads', 'writes', 'memory'] : name in SCENARIOS ? [name as Scenario] : [];
  if (scenarios.length === 0) throw new Error(`unknown scenario '${name}'\n${usage()}`);
  const store = values.store;
  if (store !== undefined && store !== 'pglite' && store !== 'postgres') throw new Error(`--store must be pglite or postgres, not '${store}'`);
  const stores: StoreKind[] = store === undefined ? ['pglite', 'postgres'] : [store];
  const postgresUrl = values['postgres-url'] ?? process.env['BENCH_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL;
  assertLoopback(postgresUrl);
  const profiling = values['cpu-prof'] === true || values['cpu-prof-dir'] !== undefined;
  const snapshotting = values['heap-snapshot'] === true || values['heap-snapshot-dir'] !== undefined;
  return {
    scenarios,
    revision: values.revision,
    options: {
      seconds: positiveInt('seconds', values.seconds, 10),
      rounds: positiveInt('rounds', values.rounds, 3),
      warmupSeconds: positiveInt('warmup', values.warmup, 3),
      things: positiveInt('things', values.things, 10_000),
      memoryThings: positiveInt('memory-things', values['memory-things'], 100_000),
      memoryIdleSeconds: values['memory-idle'] === '0' ? 0 : positiveInt('memory-idle', values['memory-idle'], 30),
      stores,
      postgresUrl,
      compareIndex: values['compare-index'] === true,
      against: values.against,
      searchThings: values['search-things'] === undefined ? undefined : positiveInt('search-things', values['search-things'], 0),
      searchReuse: values['search-reuse'] === true,
      cpuProfDir: profiling ? resolve(values['cpu-prof-dir'] ?? join(tmpdir(), 'doppel-bench-profiles')) : undefined,
      heapSnapshotDir: snapshotting ? resolve(values['heap-snapshot-dir'] ?? join(tmpdir(), 'doppel-bench-heap')) : undefined,
    },
  };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  installSignalCleanup();
  const { scenarios } = parsed;
  const server = parsed.revision === undefined ? workingTree(REPO_ROOT) : await exportRevision(REPO_ROOT, parsed.revision);
  console.log(`measuring Doppel ${server.revision} from ${server.dir}\n`);
  const options: BenchOptions = { ...parsed.options, server };
  if (options.cpuProfDir !== undefined) await mkdir(options.cpuProfDir, { recursive: true });
  if (options.heapSnapshotDir !== undefined) await mkdir(options.heapSnapshotDir, { recursive: true });
  const mark = cleanupMark();
  let failed = 0;
  for (const scenario of scenarios) {
    if (isInterrupted()) break;
    const started = Date.now();
    try {
      const result = await SCENARIOS[scenario](options);
      const file = await writeResults(scenario, { ...result, wallSeconds: Math.round((Date.now() - started) / 1000) });
      console.log(`${scenario}: results in ${file}\n`);
    } catch (e) {
      failed++;
      if (isInterrupted()) break;
      console.error(`${scenario} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    } finally {
      // Whatever the scenario left running or on disk (all of it, after a failure).
      await cleanupAll(mark);
    }
  }
  await cleanupAll();
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    console.error(e);
    await cleanupAll();
    process.exit(1);
  },
);
