// Memory: the resident set of the Doppel process holding 100,000 things in its cache. Measured
// twice: in the process that created them (write-path garbage included), and in a fresh process
// on the same data after reading each thing once (the cache filled from the store only).

import type { ProcessMemory, RunningServer } from '../lib/children.ts';
import { createThings, readThings, startDoppel } from '../lib/doppel.ts';
import { awaitHeapSnapshot, printHeap, summariseHeap, type HeapSummary } from '../lib/heap.ts';
import { fmt, machine, printGoals, type Goal } from '../lib/report.ts';
import { prepareStore, type StoreKind } from '../lib/stores.ts';
import { SEED_CONCURRENCY, type BenchOptions } from './options.ts';

const GOAL_MIB = 300;

async function heapSnapshot(server: RunningServer, dir: string): Promise<HeapSummary | undefined> {
  process.kill(server.pid, 'SIGUSR2');
  const file = await awaitHeapSnapshot(dir, server.pid, 300_000);
  if (file === undefined) {
    console.log('  no heap snapshot appeared within 300 s');
    return undefined;
  }
  const summary = await summariseHeap(file, 30);
  printHeap(summary);
  return summary;
}

/**
 * Leaves the loaded server alone for `seconds` and returns its memory then: right after a load the
 * resident size still holds what the load left behind, and this shows whether V8 gives any of it
 * back once allocation stops.
 */
async function afterIdle(server: RunningServer, seconds: number): Promise<ProcessMemory> {
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return server.memory();
}

function show(label: string, m: ProcessMemory): void {
  console.log(`  ${label.padEnd(44)} VmRSS ${String(m.rssMiB).padStart(6)} MiB   VmHWM ${String(m.hwmMiB).padStart(6)} MiB`);
}

async function memoryOn(kind: StoreKind, o: BenchOptions): Promise<{ result: object; goals: Goal[] }> {
  const store = await prepareStore(kind, o.postgresUrl);
  console.log(`memory on ${store.description}: ${fmt(o.memoryThings)} things`);
  const first = await startDoppel({ store, serverDir: o.server.dir, name: `doppel-${kind}` });
  const idle = first.memory();
  show('started, empty', idle);
  const createSeconds = await createThings(first.origin, o.memoryThings, SEED_CONCURRENCY);
  const afterCreate = first.memory();
  show(`created (${fmt(o.memoryThings / createSeconds)}/s)`, afterCreate);
  const read = await readThings(first.origin, o.memoryThings, SEED_CONCURRENCY, false);
  const afterRead = first.memory();
  show(`each read once (${fmt(o.memoryThings / read.seconds)}/s)`, afterRead);
  const idleAfterRead = o.memoryIdleSeconds === 0 ? undefined : await afterIdle(first, o.memoryIdleSeconds);
  if (idleAfterRead !== undefined) show(`then idle for ${o.memoryIdleSeconds} s`, idleAfterRead);
  await first.stop();

  const heapOptions = o.heapSnapshotDir === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${o.heapSnapshotDir}`];
  const second = await startDoppel({ store, serverDir: o.server.dir, name: `doppel-${kind}-restarted`, nodeOptions: heapOptions });
  const idleAgain = second.memory();
  show('restarted on the same data', idleAgain);
  const coldRead = await readThings(second.origin, o.memoryThings, SEED_CONCURRENCY, false);
  const afterColdRead = second.memory();
  show(`each read once from the store (${fmt(o.memoryThings / coldRead.seconds)}/s)`, afterColdRead);
  // A second pass must be served from the cache; its speed shows whether everything stayed in it.
  const warmRead = await readThings(second.origin, o.memoryThings, SEED_CONCURRENCY, false);
  const afterWarmRead = second.memory();
  show(`each read again (${fmt(o.memoryThings / warmRead.seconds)}/s)`, afterWarmRead);
  const idleAfterWarmRead = o.memoryIdleSeconds === 0 ? undefined : await afterIdle(second, o.memoryIdleSeconds);
  if (idleAfterWarmRead !== undefined) show(`then idle for ${o.memoryIdleSeconds} s`, idleAfterWarmRead);
  const heap = o.heapSnapshotDir === undefined ? undefined : await heapSnapshot(second, o.heapSnapshotDir);
  await second.stop();
  await store.dispose();

  const goals: Goal[] = [
    { name: `RSS with ${fmt(o.memoryThings)} things cached, ${kind}, creating process`, goal: `<= ${GOAL_MIB} MiB`, measured: `${afterRead.rssMiB} MiB (peak ${afterRead.hwmMiB} MiB)`, met: afterRead.rssMiB <= GOAL_MIB },
    { name: `RSS with ${fmt(o.memoryThings)} things cached, ${kind}, restarted process`, goal: `<= ${GOAL_MIB} MiB`, measured: `${afterWarmRead.rssMiB} MiB (peak ${afterWarmRead.hwmMiB} MiB)`, met: afterWarmRead.rssMiB <= GOAL_MIB },
  ];
  for (const [which, m] of [['creating process', idleAfterRead], ['restarted process', idleAfterWarmRead]] as const) {
    if (m === undefined) continue;
    goals.push({ name: `RSS with ${fmt(o.memoryThings)} things cached, ${kind}, ${which}, ${o.memoryIdleSeconds} s idle`, goal: `<= ${GOAL_MIB} MiB`, measured: `${m.rssMiB} MiB`, met: m.rssMiB <= GOAL_MIB });
  }
  return {
    result: {
      store: kind,
      seconds: { create: createSeconds, read: read.seconds, coldRead: coldRead.seconds, warmRead: warmRead.seconds },
      memory: { idle, afterCreate, afterRead, idleAfterRead, idleAgain, afterColdRead, afterWarmRead, idleAfterWarmRead },
      idleSeconds: o.memoryIdleSeconds,
      goals,
      ...(heap === undefined ? {} : { heap }),
    },
    goals,
  };
}

export async function memoryScenario(o: BenchOptions): Promise<object> {
  const started = machine();
  const perStore: object[] = [];
  const goals: Goal[] = [];
  for (const kind of o.stores) {
    const r = await memoryOn(kind, o);
    perStore.push(r.result);
    goals.push(...r.goals);
  }
  console.log('memory:');
  printGoals(goals);
  return {
    scenario: 'memory',
    machine: started,
    revision: o.server.revision,
    loadAverageAtEnd: machine().loadAverage,
    settings: { things: o.memoryThings, seedConcurrency: SEED_CONCURRENCY, cacheMaxThings: 'default (200,000)', unit: 'MiB (VmRSS and VmHWM from /proc/<pid>/status)' },
    stores: perStore,
    goals,
  };
}
