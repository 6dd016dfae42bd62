#!/usr/bin/env node
// `npm start` and the `doppel` command: runs the server from JavaScript compiled into dist/.
// Compiling once instead of transpiling at every start keeps TypeScript's loader (a second
// V8 isolate on its own thread, with esbuild and the source maps) out of the server: an empty
// server on PostgreSQL takes about half the memory. dist/ is rebuilt when it is missing or
// older than a source file; `--build-only` builds (if needed) and exits.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.built');

/** The newest modification time among the files the build reads. */
function newestSource(dir, newest) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(path, newest);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function upToDate() {
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  const configs = ['tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(join(root, f)).mtimeMs);
  return Math.max(newestSource(join(root, 'src'), 0), ...configs) <= built;
}

function build() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  console.error('doppel: compiling src/ into dist/ (once per change of the sources)');
  rmSync(dist, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error('doppel: compiling failed');
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

/**
 * Settings of the C library's allocator (scripts/server-env.json), which it reads only when a
 * process starts. glibc keeps what V8's compiler threads free in per-thread arenas: compiling the
 * embedded database (WASM) left ~90 MiB resident that nothing used again. With allocations of 64
 * KiB and more mapped on their own (MALLOC_MMAP_THRESHOLD_), the largest go back to the system
 * when freed: an empty server on PGlite holds 168-185 instead of ~245 MiB. 32 KiB held ~25 MiB
 * less, but mapped each of V8's 32 KiB compiler segments on its own: ~0.4-0.5 s more for every
 * start on two cores (docs/benchmarks.md). On Linux the server therefore runs as a child of this
 * process with the settings, unless they are set already; this process only relays signals and
 * the exit code.
 */
function startWithAllocatorSettings() {
  if (process.platform !== 'linux') return false;
  const settings = JSON.parse(readFileSync(join(root, 'scripts', 'server-env.json'), 'utf8'));
  const missing = Object.keys(settings).filter((k) => process.env[k] === undefined);
  if (missing.length === 0) return false;
  const env = { ...process.env };
  for (const k of missing) env[k] = settings[k];
  const child = spawn(process.execPath, [...process.execArgv, join(dist, 'cli.js'), ...process.argv.slice(2)], { stdio: 'inherit', env });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
  return true;
}

const buildOnly = process.argv[2] === '--build-only';
if (!upToDate()) build();
if (!buildOnly && !startWithAllocatorSettings()) await import(pathToFileURL(join(dist, 'cli.js')).href);
