// Start-up: from starting the server as `npm start` does (node, the start script's flags,
// scripts/start.mjs) to the first 200 of GET /health, on a new data directory (the template is
// unpacked), on a new data directory with a spare database directory in place (what the first
// start after `npm install` finds; the spare is made untimed before it, where the revision has
// spares) and again on the first directory (an existing, empty store). A spare that a start made
// in the background after it was ready is removed before the next start that is to find none. With --against REV, the
// same is measured for another revision, the two alternating round by round, so that both see
// the same machine. Each revision starts from templates its own install step makes (untimed, in
// a directory of the run's), so that a change to the templates is measured too, and the ones in
// node_modules/.cache are left alone.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, freePort, readMemory, REPO_ROOT } from '../lib/children.ts';
import { onCleanup } from '../lib/cleanup.ts';
import { buildCompiledTree, serverEnvFromShell, startScriptFlags } from '../lib/doppel.ts';
import { machine, median, printGoals, type Goal } from '../lib/report.ts';
import { exportRevision, type ServerSource } from '../lib/snapshot.ts';
import type { BenchOptions } from './options.ts';

const GOAL_MS = 2_000;
/** How often /health is asked while the server starts. */
const POLL_MS = 10;
/** After the first 200, how long before the server's resident size is read. */
const SETTLE_MS = 1_000;

interface Start {
  readonly ms: number;
  /** VmRSS of the server process (the child of scripts/start.mjs where there is one), MiB. */
  readonly rssMiB: number;
}

/** The command `npm start` runs in `dir`, built first where it runs dist/. */
function startCommand(dir: string): string[] {
  return buildCompiledTree(dir) ? [...startScriptFlags(dir), join('scripts', 'start.mjs')] : ['--import', 'tsx', join('src', 'cli.ts')];
}

function health(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', () => resolve(0));
    req.once('timeout', () => req.destroy());
    req.end();
  });
}

/** The process the server runs in: the only child of `pid` (scripts/start.mjs), or `pid` itself. */
function serverPid(pid: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return pid;
}

/** Starts the server in `dir` on `dataDir`, times it to its first healthy answer, stops it. */
async function timeStart(dir: string, command: readonly string[], templateDir: string, dataDir: string): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, command, {
    cwd: dir,
    env: { ...cleanEnv(), DOPPEL_HOST: '127.0.0.1', DOPPEL_LOG_LEVEL: 'warn', ...serverEnvFromShell(), DOPPEL_PGLITE_TEMPLATE_DIR: templateDir, DOPPEL_DATA_DIR: dataDir, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = onCleanup(`server being started (pid ${child.pid ?? '?'})`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  });
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited while starting:\n${stderr}`);
      if ((await health(port)) === 200) break;
      if (performance.now() - started > 90_000) throw new Error(`the server was not healthy within 90 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const ms = Math.round(performance.now() - started);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { ms, rssMiB: child.pid === undefined ? NaN : readMemory(serverPid(child.pid)).rssMiB };
  } finally {
    await stop();
  }
}

interface Target {
  readonly label: string;
  readonly source: ServerSource;
  readonly command: readonly string[];
  /** The templates of new embedded databases, as the revision's `npm install` makes them. */
  readonly templateDir: string;
  readonly fresh: Start[];
  readonly spare: Start[];
  readonly existing: Start[];
}

const SPARE_MODULE = join('src', 'adapters', 'pglite', 'spare-directory.ts');

/** Makes the templates in `templateDir` with the install step of the tree in `dir`. */
async function makeTemplates(dir: string, templateDir: string): Promise<void> {
  const r = spawnSync(process.execPath, [join('scripts', 'make-pglite-template.mjs')], {
    cwd: dir,
    env: { ...cleanEnv(), DOPPEL_PGLITE_TEMPLATE_DIR: templateDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const made = r.status === 0 ? await readdir(templateDir).catch(() => []) : [];
  if (!made.some((f) => f.endsWith('.tar.gz'))) throw new Error(`the install step of ${dir} made no template in ${templateDir}`);
}

/**
 * Makes (`make`) or removes the spare database directory in `templateDir`, with the code of the
 * tree in `dir`; false where the revision has no spares.
 */
function spare(dir: string, templateDir: string, make: boolean): boolean {
  if (!existsSync(join(dir, SPARE_MODULE))) return false;
  const code = `
    import { rm } from 'node:fs/promises';
    import { makeSpare, spareDirectory } from './src/adapters/pglite/spare-directory.ts';
    import { schemaTemplateFile } from './src/adapters/pglite/template-files.ts';
    const file = await schemaTemplateFile(${JSON.stringify(templateDir)});
    if (file === undefined) process.exit(3);
    if (${make}) await makeSpare(file); else await rm(spareDirectory(file), { recursive: true, force: true });
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`could not ${make ? 'make' : 'remove'} the spare database directory in ${dir}`);
  return true;
}

function summary(starts: readonly Start[]): object {
  const ms = starts.map((s) => s.ms);
  return { medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), medianRssMiB: median(starts.map((s) => s.rssMiB)), starts };
}

const show = (starts: readonly Start[]): string => starts.map((s) => `${s.ms} ms (${s.rssMiB} MiB)`).join(', ');

export async function startupScenario(o: BenchOptions): Promise<object> {
  const started = machine();
  const sources = [{ label: 'measured', source: o.server }];
  if (o.against !== undefined) sources.push({ label: 'against', source: await exportRevision(REPO_ROOT, o.against) });
  const base = await mkdtemp(join(tmpdir(), 'doppel-bench-startup-'));
  onCleanup(`start-up data ${base}`, () => rm(base, { recursive: true, force: true }));
  const targets: Target[] = sources.map(({ label, source }) => ({ label, source, command: startCommand(source.dir), templateDir: join(base, `templates-${label}`), fresh: [], spare: [], existing: [] }));
  for (const t of targets) {
    await makeTemplates(t.source.dir, t.templateDir);
    spare(t.source.dir, t.templateDir, false); // made again before the start that is to find one
  }
  console.log(`start-up on PGlite: ${o.rounds} rounds${targets.length > 1 ? ', the revisions alternating' : ''}`);
  for (let round = 0; round < o.rounds; round++) {
    for (const t of targets) {
      const dataDir = join(base, `${t.source.revision}-${round}`);
      spare(t.source.dir, t.templateDir, false); // one that the last start made in the background
      t.fresh.push(await timeStart(t.source.dir, t.command, t.templateDir, dataDir));
      if (spare(t.source.dir, t.templateDir, true)) t.spare.push(await timeStart(t.source.dir, t.command, t.templateDir, `${dataDir}-spare`));
      spare(t.source.dir, t.templateDir, false); // taken, unless the start failed to
      t.existing.push(await timeStart(t.source.dir, t.command, t.templateDir, dataDir));
      await rm(dataDir, { recursive: true, force: true });
      await rm(`${dataDir}-spare`, { recursive: true, force: true });
    }
  }
  const goals: Goal[] = [];
  for (const t of targets) {
    console.log(`  ${t.source.revision} (${t.label}): node ${t.command.join(' ')}`);
    console.log(`    new data directory:      ${show(t.fresh)}`);
    if (t.spare.length > 0) console.log(`    new, spare in place:     ${show(t.spare)}`);
    console.log(`    existing, empty:         ${show(t.existing)}`);
    const fresh = median(t.fresh.map((s) => s.ms));
    const existing = median(t.existing.map((s) => s.ms));
    goals.push({ name: `start-up, new data directory (${t.source.revision}, median)`, goal: `< ${GOAL_MS} ms`, measured: `${fresh} ms`, met: fresh < GOAL_MS });
    if (t.spare.length > 0) {
      const withSpare = median(t.spare.map((s) => s.ms));
      goals.push({ name: `start-up, new data directory, spare in place (${t.source.revision}, median)`, goal: `< ${GOAL_MS} ms`, measured: `${withSpare} ms`, met: withSpare < GOAL_MS });
    }
    goals.push({ name: `start-up, existing empty store (${t.source.revision}, median)`, goal: `< ${GOAL_MS} ms`, measured: `${existing} ms`, met: existing < GOAL_MS });
  }
  console.log('startup:');
  printGoals(goals);
  return {
    scenario: 'startup',
    machine: started,
    revision: o.server.revision,
    loadAverageAtEnd: machine().loadAverage,
    settings: { rounds: o.rounds, pollMs: POLL_MS, settleMs: SETTLE_MS, serverEnv: serverEnvFromShell() },
    targets: targets.map((t) => ({ revision: t.source.revision, label: t.label, command: t.command, newDirectory: summary(t.fresh), ...(t.spare.length > 0 ? { newDirectoryWithSpare: summary(t.spare) } : {}), existingEmpty: summary(t.existing) })),
    goals,
  };
}
