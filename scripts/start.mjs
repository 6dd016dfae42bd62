#!/usr/bin/env node
// `npm start` and the `doppel` command: runs the server from JavaScript compiled into dist/.
// Compiling once instead of transpiling at every start keeps TypeScript's loader (a second
// V8 isolate on its own thread, with esbuild and the source maps) out of the server: an empty
// server on PostgreSQL takes about half the memory. dist/ is rebuilt when it is missing or
// older than a source file; `--build-only` builds (if needed) and exits.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

const buildOnly = process.argv[2] === '--build-only';
if (!upToDate()) build();
if (!buildOnly) await import(pathToFileURL(join(dist, 'cli.js')).href);
