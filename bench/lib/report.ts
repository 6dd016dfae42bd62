// Machine description, small statistics, goal checks and the results files.

import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './children.ts';
import type { LoadResult } from './load-spec.ts';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
  /** 1, 5 and 15 minute load averages when the scenario started: other work on the machine. */
  readonly loadAverage: readonly number[];
}

export function machine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export interface Goal {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Repeated measurements of one target: every round and their median. */
export interface Series {
  readonly rounds: readonly LoadResult[];
  readonly medianOkPerSecond: number;
  readonly minOkPerSecond: number;
  readonly maxOkPerSecond: number;
  readonly medianServerCpuMicrosPerRequest?: number;
  readonly medianDatabaseCpuMicrosPerRequest?: number;
}

export function series(rounds: readonly LoadResult[]): Series {
  const rates = rounds.map((r) => r.okPerSecond);
  const cpu = rounds.flatMap((r) => (r.serverCpuMicrosPerRequest === undefined ? [] : [r.serverCpuMicrosPerRequest]));
  const dbCpu = rounds.flatMap((r) => (r.databaseCpuMicrosPerRequest === undefined ? [] : [r.databaseCpuMicrosPerRequest]));
  return {
    rounds,
    medianOkPerSecond: Math.round(median(rates)),
    minOkPerSecond: Math.round(Math.min(...rates)),
    maxOkPerSecond: Math.round(Math.max(...rates)),
    ...(cpu.length === 0 ? {} : { medianServerCpuMicrosPerRequest: median(cpu) }),
    ...(dbCpu.length === 0 ? {} : { medianDatabaseCpuMicrosPerRequest: median(dbCpu) }),
  };
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function describeLoad(label: string, r: LoadResult): string {
  const l = r.latencyMs;
  const bad = r.non2xx + r.errors > 0 ? `  non-2xx ${r.non2xx}, errors ${r.errors} ${JSON.stringify(r.statusCodes)}` : '';
  const details: string[] = [];
  if (r.sendLatencyMs !== undefined) details.push(`from send p50 ${r.sendLatencyMs.p50} ms, p99 ${r.sendLatencyMs.p99} ms`);
  if (r.serverCpuMicrosPerRequest !== undefined && r.serverCpuSeconds !== undefined) {
    details.push(`server ${r.serverCpuMicrosPerRequest} µs CPU/request, ${Math.round((r.serverCpuSeconds / r.durationSeconds) * 100)}% of a core`);
  }
  if (r.databaseCpuMicrosPerRequest !== undefined && r.databaseCpuSeconds !== undefined) {
    details.push(`database ${r.databaseCpuMicrosPerRequest} µs CPU/request, ${Math.round((r.databaseCpuSeconds / r.durationSeconds) * 100)}% of a core`);
  }
  if (r.loaderCpuSeconds !== undefined) details.push(`load generator ${Math.round((r.loaderCpuSeconds / r.durationSeconds) * 100)}% of a core`);
  if (r.machineBusyPercent !== undefined) details.push(`machine ${r.machineBusyPercent}% busy`);
  const second = details.length === 0 ? '' : `\n  ${' '.repeat(34)} ${details.join('; ')}`;
  return `  ${label.padEnd(34)} ${fmt(r.okPerSecond).padStart(7)} 2xx/s   p50 ${l.p50} ms  p99 ${l.p99} ms  max ${l.max} ms${bad}${second}`;
}

export function printGoals(goals: readonly Goal[]): void {
  for (const g of goals) console.log(`  ${g.met ? 'MET    ' : 'NOT MET'}  ${g.name}: ${g.measured} (goal ${g.goal})`);
}

/**
 * Writes `bench/results/<scenario>-<UTC date and time>.json` and returns its path; a run that ends
 * in the same minute as an earlier one gets `-2`, `-3`, ... rather than replacing its file.
 */
export async function writeResults(scenario: string, data: object): Promise<string> {
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 16).replace(':', '');
  for (let n = 1; ; n++) {
    const file = join(dir, `${scenario}-${stamp}${n === 1 ? '' : `-${n}`}.json`);
    try {
      await writeFile(file, JSON.stringify(data, null, 2) + '\n', { flag: 'wx' });
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
