// Change notifications over WebSocket and SSE (docs/benchmarks.md "Notifications"):
//   latency  write→notification latency with 1,000 WebSocket and 1,000 SSE subscribers at 200 writes/s
//   idle     resident memory of the server with 10,000 idle WebSocket sessions
//   fanout   notifications delivered per second to 100 WebSocket subscribers
// node --import tsx bench/scenarios/notifications.ts [latency|idle|fanout|all] [--seconds N] [--broadcast]
//   [--store pglite|postgres (default both)] [--rate N (fanout)] [--sessions N (idle)]
//   [--server-dir DIR (a copy of the tree to measure)] [--cpu-prof-dir DIR]
// The subscribers and the writer are separate processes (notifications-child.ts).

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO_ROOT, type RunningServer } from '../lib/children.ts';
import { cleanupAll, installSignalCleanup } from '../lib/cleanup.ts';
import { ready, report, spawnLineChild, type LineChild } from '../lib/line-child.ts';
import { startDoppel } from '../lib/doppel.ts';
import { DITTO_BASIC, forEachBounded, HttpClient, withRetries } from '../lib/http.ts';
import { fmt, machine, printGoals, writeResults, type Goal } from '../lib/report.ts';
import { DEFAULT_POSTGRES_URL, prepareStore, type BenchStore, type StoreKind } from '../lib/stores.ts';
import { percentiles, type IdleSpec, type Percentiles, type SubscribersReport, type SubscribersSpec, type WriterReport, type WriterSpec } from './notifications-child.ts';

const CHILD = fileURLToPath(new URL('./notifications-child.ts', import.meta.url));

type Child = LineChild;

function spawnChild(role: string, spec: object): Child {
  return spawnLineChild(CHILD, role, spec);
}

/** `count` things named `<namespace(m)>:t<m>`, spread over `namespaces` namespaces. */
function thingIds(count: number, namespaces: number): string[] {
  return Array.from({ length: count }, (_, m) => `bench.n${m % namespaces}:t${m}`);
}

async function createThings(origin: string, ids: readonly string[]): Promise<void> {
  const client = new HttpClient(origin, 16);
  try {
    await forEachBounded(ids.length, 16, async (i) => {
      const path = `/api/2/things/${ids[i] ?? ''}`;
      await withRetries(() => client.call('PUT', path, { authorization: DITTO_BASIC, 'content-type': 'application/json' }, '{"attributes":{"probe":null}}'), (a) => a.status === 201 || a.status === 204, `PUT ${path}`);
    });
  } finally {
    client.close();
  }
}

interface Run {
  readonly server: RunningServer;
  readonly store: BenchStore;
}

/** Where the measured Doppel's src/cli.ts is: the repository, or a copy (--server-dir). */
let serverDir = REPO_ROOT;
/** --cpu-prof-dir: the measured server writes a CPU profile there (summarise with bench/profile-top.ts). */
let cpuProfDir: string | undefined;

async function serve(kind: StoreKind = 'pglite'): Promise<Run> {
  const store = await prepareStore(kind, process.env['BENCH_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL);
  const server = await startDoppel({ store, serverDir, name: `doppel-${kind}`, cpuProfDir });
  return { server, store };
}

async function stopRun(run: Run): Promise<void> {
  await run.server.stop();
  await run.store.dispose();
}

/** Events each subscriber should have seen: WebSocket sessions by namespace, SSE streams by thing (or all). */
function expected(ids: readonly string[], ok: Readonly<Record<string, number>>, ws: readonly string[], sse: readonly string[]): number[] {
  const total = Object.values(ok).reduce((a, b) => a + b, 0);
  const byNamespace = (ns: string): number => ids.filter((id) => id.startsWith(`${ns}:`)).reduce((a, id) => a + (ok[id] ?? 0), 0);
  return [
    ...ws.map((start) => (start === '' ? total : byNamespace(start.replace('?namespaces=', '')))),
    ...sse.map((path) => (path === '/api/2/things' ? total : ok[path.replace('/api/2/things/', '')] ?? 0)),
  ];
}

/** What goes into the results file: the figures, without the per-subscriber counts. */
function snapshotOf(m: Measured): object {
  const { received, lastBySeq: _bySeq, ...subscribers } = m.subscribers;
  const { okPerThing: _ok, ackBySeq: _acks, ...writer } = m.writer;
  return { ...m, subscribers: { ...subscribers, subscribers: received.length }, writer };
}

interface Measured {
  readonly writer: WriterReport;
  readonly subscribers: SubscribersReport;
  readonly missing: number;
  /**
   * Per write, from its acknowledgment to its last notification: what fan-out adds beyond the
   * write path (negative when the notifications arrived before the HTTP answer).
   */
  readonly afterAckMs: Percentiles;
  readonly rssMiB: number;
  readonly serverCpuPercent: number;
}

async function measure(run: Run, ids: readonly string[], ws: readonly string[], sse: readonly string[], rate: number, seconds: number): Promise<Measured> {
  const subs = spawnChild('subscribers', { origin: run.server.origin, ws, sse } satisfies SubscribersSpec);
  await ready(subs);
  const cpu0 = run.server.cpuSeconds();
  const writer = spawnChild('writer', { origin: run.server.origin, rate, seconds, thingIds: ids, concurrency: 64 } satisfies WriterSpec);
  const written = JSON.parse(await writer.line()) as WriterReport;
  await writer.stop();
  const cpu = run.server.cpuSeconds() - cpu0;
  // Let the last notifications arrive.
  await new Promise((r) => setTimeout(r, 2_000));
  const rssMiB = run.server.memory().rssMiB;
  const got = await report<SubscribersReport>(subs);
  await subs.stop();
  const want = expected(ids, written.okPerThing, ws, sse);
  const missing = want.reduce((sum, w, i) => sum + Math.max(0, w - (got.received[i] ?? 0)), 0);
  const afterAck = Object.entries(written.ackBySeq).map(([seq, ack]) => (got.lastBySeq[seq] ?? NaN) - ack).filter((d) => Number.isFinite(d));
  return { writer: written, subscribers: got, missing, afterAckMs: percentiles(afterAck), rssMiB, serverCpuPercent: Math.round((cpu / written.seconds) * 100) };
}

async function latencyScenario(seconds: number, broadcast: boolean, kind: StoreKind): Promise<{ result: object; goals: Goal[] }> {
  const run = await serve(kind);
  try {
    const ids = thingIds(100, 50);
    await createThings(run.server.origin, ids);
    const rate = broadcast ? 20 : 200;
    // Each WebSocket session follows one namespace (20 sessions per namespace), each SSE stream one
    // thing (10 per thing): every write reaches 30 subscribers. --broadcast: all 2,000 get every write.
    const ws = Array.from({ length: 1000 }, (_, i) => (broadcast ? '' : `?namespaces=bench.n${i % 50}`));
    const sse = Array.from({ length: 1000 }, (_, i) => (broadcast ? '/api/2/things' : `/api/2/things/${ids[i % 100] ?? ''}`));
    const m = await measure(run, ids, ws, sse, rate, seconds);
    const deliveries = m.subscribers.latencyMs.count;
    console.log(`latency, ${kind}: 1,000 WebSocket + 1,000 SSE subscribers, ${rate} writes/s for ${seconds} s${broadcast ? ', every subscriber gets every write' : ''}`);
    console.log(`  ${fmt(deliveries)} notifications (${fmt(deliveries / m.writer.seconds)}/s), missing ${m.missing}, write→notification p50 ${m.subscribers.latencyMs.p50} ms p99 ${m.subscribers.latencyMs.p99} ms max ${m.subscribers.latencyMs.max} ms`);
    console.log(`  write answers p50 ${m.writer.latencyMs.p50} ms p99 ${m.writer.latencyMs.p99} ms, failed ${m.writer.failed}; last notification after the answer p50 ${m.afterAckMs.p50} ms p99 ${m.afterAckMs.p99} ms`);
    console.log(`  server ${m.serverCpuPercent}% of a core, RSS ${m.rssMiB} MiB; machine load average ${machine().loadAverage.join(' ')}`);
    const label = `, ${kind}${broadcast ? ', broadcast at 20 writes/s' : ''}`;
    const goals: Goal[] = [
      { name: `write→notification p99, 1,000 WS + 1,000 SSE${label}`, goal: '<= 100 ms', measured: `${m.subscribers.latencyMs.p99} ms`, met: m.subscribers.latencyMs.p99 <= 100 },
      { name: `every event delivered${label}`, goal: 'all', measured: m.missing === 0 ? `all ${fmt(deliveries)}` : `${m.missing} missing`, met: m.missing === 0 && m.writer.failed === 0 },
    ];
    return { result: { ...snapshotOf(m), store: kind, rate, seconds, broadcast }, goals };
  } finally {
    await stopRun(run);
  }
}

async function idleScenario(sessions: number, kind: StoreKind): Promise<{ result: object; goals: Goal[] }> {
  const run = await serve(kind);
  try {
    const before = run.server.memory();
    const holder = spawnChild('idle', { origin: run.server.origin, sessions } satisfies IdleSpec);
    await ready(holder);
    await new Promise((r) => setTimeout(r, 5_000));
    const after = run.server.memory();
    const held = await report<{ open: number; closed: number }>(holder);
    await holder.stop();
    const perSession = Math.round(((after.rssMiB - before.rssMiB) * 1024) / sessions);
    console.log(`idle, ${kind}: ${fmt(held.open)} WebSocket sessions open (${held.closed} closed): RSS ${before.rssMiB} → ${after.rssMiB} MiB (peak ${after.hwmMiB} MiB), ${perSession} KiB per session`);
    const goals: Goal[] = [{ name: `RSS with ${fmt(sessions)} idle WebSocket sessions, ${kind}`, goal: '<= 500 MB', measured: `${after.rssMiB} MiB (${before.rssMiB} MiB before the sessions)`, met: after.rssMiB * 1.048576 <= 500 && held.open === sessions && held.closed === 0 }];
    return { result: { store: kind, sessions, before, after, perSessionKiB: perSession, held }, goals };
  } finally {
    await stopRun(run);
  }
}

async function fanoutScenario(seconds: number, rate: number): Promise<{ result: object; goals: Goal[] }> {
  const run = await serve();
  try {
    const ids = thingIds(100, 10);
    await createThings(run.server.origin, ids);
    const ws = Array.from({ length: 100 }, () => '');
    const m = await measure(run, ids, ws, [], rate, seconds);
    const span = (m.subscribers.lastEventMs - m.subscribers.firstEventMs) / 1000;
    const perSecond = m.subscribers.latencyMs.count / Math.max(span, m.writer.seconds);
    console.log(`fanout: 100 WebSocket subscribers of every event, ${rate} writes/s for ${seconds} s`);
    console.log(`  ${fmt(m.subscribers.latencyMs.count)} notifications, ${fmt(perSecond)}/s delivered, missing ${m.missing}; latency p50 ${m.subscribers.latencyMs.p50} ms p99 ${m.subscribers.latencyMs.p99} ms`);
    console.log(`  write answers p50 ${m.writer.latencyMs.p50} ms p99 ${m.writer.latencyMs.p99} ms; server ${m.serverCpuPercent}% of a core; machine load average ${machine().loadAverage.join(' ')}`);
    const goals: Goal[] = [{ name: 'notifications delivered per second to 100 subscribers', goal: '>= 50,000/s', measured: `${fmt(perSecond)}/s (missing ${m.missing})`, met: perSecond >= 50_000 && m.missing === 0 }];
    return { result: { ...snapshotOf(m), rate, seconds, perSecond: Math.round(perSecond) }, goals };
  } finally {
    await stopRun(run);
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { seconds: { type: 'string' }, broadcast: { type: 'boolean' }, sessions: { type: 'string' }, rate: { type: 'string' }, 'server-dir': { type: 'string' }, 'cpu-prof-dir': { type: 'string' }, store: { type: 'string' } },
  });
  serverDir = values['server-dir'] ?? REPO_ROOT;
  cpuProfDir = values['cpu-prof-dir'];
  const stores: StoreKind[] = values.store === 'pglite' || values.store === 'postgres' ? [values.store] : ['pglite', 'postgres'];
  const which = positionals[0] ?? 'all';
  const seconds = Number(values.seconds ?? '20');
  installSignalCleanup();
  const results: Record<string, object> = {};
  const goals: Goal[] = [];
  const started = machine();
  try {
    if (which === 'latency' || which === 'all') {
      for (const kind of stores) {
        const r = await latencyScenario(seconds, values.broadcast === true, kind);
        results[`latency-${kind}`] = r.result;
        goals.push(...r.goals);
      }
    }
    if (which === 'idle' || which === 'all') {
      for (const kind of stores) {
        const r = await idleScenario(Number(values.sessions ?? '10000'), kind);
        results[`idle-${kind}`] = r.result;
        goals.push(...r.goals);
      }
    }
    if (which === 'fanout' || which === 'all') {
      const r = await fanoutScenario(Math.min(seconds, 10), Number(values.rate ?? '600'));
      results['fanout'] = r.result;
      goals.push(...r.goals);
    }
  } finally {
    await cleanupAll();
  }
  console.log('notifications:');
  printGoals(goals);
  const file = await writeResults(`notifications-${which}`, { scenario: 'notifications', machine: started, loadAverageAtEnd: machine().loadAverage, results, goals });
  console.log(`results in ${file}`);
  return goals.every((g) => g.met) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    console.error(e);
    await cleanupAll();
    process.exit(1);
  },
);
