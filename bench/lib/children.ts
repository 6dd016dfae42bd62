// Child processes of a run: the Doppel server, the baseline server, the load generator. Each is
// a separate `node` so that the measured server has its own event loop and its own /proc entry.

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.ts';
import { isLoadResult, type LoadResult, type LoadSpec } from './load-spec.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ProcessMemory {
  /** Resident set now, MiB. */
  readonly rssMiB: number;
  /** Highest resident set so far (VmHWM), MiB. */
  readonly hwmMiB: number;
}

export interface RunningServer {
  readonly name: string;
  readonly pid: number;
  readonly origin: string;
  memory(): ProcessMemory;
  /** User plus system CPU time the process has used so far, in seconds (all its threads). */
  cpuSeconds(): number;
  /** SIGTERM, wait for the exit (so a CPU profile gets written), SIGKILL after 20 s. Idempotent. */
  stop(): Promise<void>;
}

export interface SpawnServerOptions {
  readonly name: string;
  /** Script and arguments after `node --import tsx` (after `node` when `typescript` is false). */
  readonly args: readonly string[];
  /** Load the script through tsx (default); false for JavaScript. */
  readonly typescript?: boolean;
  readonly env: Readonly<Record<string, string>>;
  /** Extra node options, e.g. --cpu-prof. */
  readonly nodeOptions?: readonly string[];
  /** Directory to run in (and resolve `args` from); the repository by default. */
  readonly cwd?: string;
}

/** A port that was free a moment ago (the servers take their port from the environment). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function readMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kb('VmRSS') / 102.4) / 10, hwmMiB: Math.round(kb('VmHWM') / 102.4) / 10 };
}

// /proc/<pid>/stat counts in clock ticks, 100 per second on Linux.
const TICKS_PER_SECOND = 100;

function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds used so far by each process of the machine's own PostgreSQL (every process named
 * `postgres`: the backends of all sessions, the WAL writer, the checkpointer), by pid. The bench
 * accepts only loopback PostgreSQL URLs, so the server it measures runs on this machine.
 */
export function localPostgresCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      out.set(Number(entry), readCpuSeconds(Number(entry)));
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

/** CPU seconds the processes of `after` used since `before` (all of it for those started since). */
function cpuSince(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

/** The environment without anything Doppel would read, so the caller's shell cannot skew a run. */
export function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('DOPPEL_') && k !== 'PORT' && k !== 'NODE_OPTIONS') out[k] = v;
  }
  return out;
}

/**
 * Keeps a child's last lines, and echoes its first few so warnings are seen but cannot flood.
 * `BENCH_SERVER_LOG=FILE` appends every line of every server to FILE, prefixed with its name (with
 * `BENCH_SERVER_ENV=DOPPEL_LOG_LEVEL=info`, e.g. to see when the background ANALYZEs ran).
 */
function tail(child: ChildProcess, name: string, echo: number): () => string[] {
  const lines: string[] = [];
  let echoed = 0;
  const logFile = process.env['BENCH_SERVER_LOG'];
  const take = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      if (logFile !== undefined && logFile !== '') appendFileSync(logFile, `[${name}] ${line}\n`);
      if (echoed++ < echo) console.error(`  [${name}] ${line.slice(0, 400)}`);
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return () => lines;
}

async function waitHealthy(origin: string, child: ChildProcess, lines: () => string[], name: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it was ready:\n${lines().join('\n')}`);
    }
    try {
      const res = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} was not healthy within 90 s:\n${lines().join('\n')}`);
}

export async function spawnServer(options: SpawnServerOptions): Promise<RunningServer> {
  const port = await freePort();
  const loader = options.typescript === false ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), ...loader, ...options.args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...cleanEnv(), ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name} could not be started`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = tail(child, options.name, 20);
  const stop = onCleanup(`${options.name} (pid ${pid})`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  });
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(origin, child, lines, options.name);
  } catch (e) {
    await stop();
    throw e;
  }
  return { name: options.name, pid, origin, memory: () => readMemory(pid), cpuSeconds: () => readCpuSeconds(pid), stop };
}

/** Busy and total jiffies of all cores since boot, from the first line of /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  // idle and iowait are fields 4 and 5.
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

/**
 * runLoad, plus the CPU time `server` spent meanwhile and how busy the whole machine was; with
 * `database`, also the CPU time of the database server's processes (`localPostgresCpu`).
 */
export async function runLoadOn(server: RunningServer, spec: LoadSpec, database?: () => ReadonlyMap<number, number>): Promise<LoadResult> {
  const before = server.cpuSeconds();
  const db0 = database?.();
  const m0 = machineJiffies();
  const r = await runLoad(spec);
  const cpu = server.cpuSeconds() - before;
  const dbCpu = database === undefined || db0 === undefined ? undefined : cpuSince(db0, database());
  const m1 = machineJiffies();
  const answered = r.ok + r.non2xx;
  const perRequest = (seconds: number): number => (answered === 0 ? 0 : Math.round((seconds / answered) * 1e7) / 10);
  return {
    ...r,
    serverCpuSeconds: Math.round(cpu * 100) / 100,
    serverCpuMicrosPerRequest: perRequest(cpu),
    ...(dbCpu === undefined ? {} : { databaseCpuSeconds: Math.round(dbCpu * 100) / 100, databaseCpuMicrosPerRequest: perRequest(dbCpu) }),
    machineBusyPercent: m1.total === m0.total ? 0 : Math.round(((m1.busy - m0.busy) / (m1.total - m0.total)) * 100),
  };
}

/** Runs load.ts in its own process and returns what it measured. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(spec)], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = onCleanup(`load generator (pid ${child.pid ?? '?'})`, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const killer = setTimeout(() => child.kill('SIGKILL'), (spec.durationSeconds + 60) * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  await stop();
  const last = out.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    parsed = undefined;
  }
  if (code !== 0 || !isLoadResult(parsed)) throw new Error(`the load generator failed (exit ${String(code)}):\n${err.slice(-2000)}${out.slice(-500)}`);
  return parsed;
}
