// Starting Doppel for a run and filling it with things through its HTTP API.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnServer, type RunningServer } from './children.ts';
import { DITTO_BASIC, forEachBounded, HttpClient, withRetries } from './http.ts';
import { thingPath } from './load-spec.ts';
import type { BenchStore } from './stores.ts';

/** Every bench thing is `bench:thing-<n>`. */
export const ID_PREFIX = 'bench:thing-';

export interface DoppelStartOptions {
  readonly store: BenchStore;
  /** The tree to run: the repository or an exported revision. */
  readonly serverDir: string;
  /** Write a V8 CPU profile into this directory when the server exits. */
  readonly cpuProfDir?: string | undefined;
  readonly nodeOptions?: readonly string[];
  readonly name?: string;
  /** More settings for the server (e.g. DOPPEL_SEARCH_INDEX). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The Node flags `npm start` of that tree passes before its script or `--import tsx` (V8 heap
 * settings), so the server measured runs as `npm start` runs it, also for an exported revision.
 */
export function startScriptFlags(serverDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? '').split(/\s+/);
  if (words[0] !== 'node') return [];
  const end = words.findIndex((w, i) => i > 0 && (w === '--import' || !w.startsWith('-')));
  return end > 0 ? words.slice(1, end) : [];
}

/**
 * Builds dist/ of a tree whose `npm start` runs JavaScript compiled there (scripts/start.mjs), when
 * it is out of date; false for older trees, which run src/cli.ts through tsx.
 */
export function buildCompiledTree(serverDir: string): boolean {
  if (!existsSync(join(serverDir, 'scripts', 'start.mjs'))) return false;
  const built = spawnSync(process.execPath, [join('scripts', 'start.mjs'), '--build-only'], { cwd: serverDir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.status !== 0) throw new Error(`building ${serverDir} failed`);
  return true;
}

/** Compiled trees are measured from dist/, as `npm start` runs them. */
function serverEntry(serverDir: string): { args: string[]; typescript: boolean } {
  return buildCompiledTree(serverDir) ? { args: [join('dist', 'cli.js')], typescript: false } : { args: [join('src', 'cli.ts')], typescript: true };
}

/**
 * The allocator settings `npm start` gives the server on Linux (scripts/server-env.json), for
 * trees that have them. The bench starts dist/cli.js itself rather than through `npm start`, so
 * that the process it measures is the server and not the parent that relays its signals.
 */
function startScriptEnv(serverDir: string): Record<string, string> {
  const file = join(serverDir, 'scripts', 'server-env.json');
  if (process.platform !== 'linux' || !existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

export function startDoppel(options: DoppelStartOptions): Promise<RunningServer> {
  const profiling = options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
  return spawnServer({
    name: options.name ?? 'doppel',
    ...serverEntry(options.serverDir),
    env: { ...startScriptEnv(options.serverDir), DOPPEL_HOST: '127.0.0.1', DOPPEL_LOG_LEVEL: 'warn', ...options.store.env, ...options.env, ...serverEnvFromShell() },
    nodeOptions: [...startScriptFlags(options.serverDir), ...profiling, ...(options.nodeOptions ?? [])],
    cwd: options.serverDir,
  });
}

/**
 * A thing of a typical size (~450 bytes as read back): a few attributes, two features. `x` is
 * the attribute the write scenario overwrites, so writes answer 204.
 */
export function thingBody(n: number): string {
  return JSON.stringify({
    attributes: { x: 0, serial: `SN-${String(n).padStart(8, '0')}`, manufacturer: 'ACME', location: { building: `B${n % 20}`, floor: n % 7 } },
    features: {
      temperature: { properties: { value: 21.5, unit: 'Cel', updated: '2025-01-01T00:00:00Z' } },
      battery: { properties: { level: 87, charging: false } },
    },
  });
}

const JSON_HEADERS = { authorization: DITTO_BASIC, 'content-type': 'application/json' };

/** Creates things 0..count-1 with `concurrency` requests in flight; returns the seconds it took. */
export async function createThings(origin: string, count: number, concurrency: number): Promise<number> {
  const client = new HttpClient(origin, concurrency);
  const started = performance.now();
  try {
    await forEachBounded(count, concurrency, async (n) => {
      const path = thingPath(ID_PREFIX, n);
      await withRetries(() => client.call('PUT', path, JSON_HEADERS, thingBody(n)), (a) => a.status === 201 || a.status === 204, `PUT ${path}`);
    });
  } finally {
    client.close();
  }
  return (performance.now() - started) / 1000;
}

/**
 * Reads things 0..count-1 once each (which puts them in Doppel's cache). With `keep`, returns the
 * bodies by request path, for the baseline server to answer the very same bytes.
 */
export async function readThings(origin: string, count: number, concurrency: number, keep: boolean): Promise<{ seconds: number; bodies: Record<string, string> }> {
  const client = new HttpClient(origin, concurrency);
  const bodies: Record<string, string> = {};
  const started = performance.now();
  try {
    await forEachBounded(count, concurrency, async (n) => {
      const path = thingPath(ID_PREFIX, n);
      const answer = await withRetries(() => client.call('GET', path, { authorization: DITTO_BASIC }), (a) => a.status === 200, `GET ${path}`);
      if (keep) bodies[path] = answer.body;
    });
  } finally {
    client.close();
  }
  return { seconds: (performance.now() - started) / 1000, bodies };
}

/**
 * `BENCH_SERVER_ENV='K=V,K2=V2'` passes settings to every measured Doppel (the shell's own DOPPEL_*
 * variables never reach it), e.g. to compare DOPPEL_POSTGRES_COMMITS_IN_FLIGHT values.
 */
export function serverEnvFromShell(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (process.env['BENCH_SERVER_ENV'] ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}
