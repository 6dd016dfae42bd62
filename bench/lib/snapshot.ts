// Benchmarking a committed revision instead of the working tree: `git archive` (which changes
// nothing in the repository) into a temporary directory that borrows the repository's
// node_modules. Useful while src/ is being edited, and to compare revisions.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';

export interface ServerSource {
  readonly dir: string;
  /** Commit (short) and whether what it runs has uncommitted changes, e.g. `ee14faa` or `ee14faa+changes`. */
  readonly revision: string;
}

function git(repo: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
}

/** The working tree itself. */
export function workingTree(repo: string): ServerSource {
  try {
    const head = git(repo, ['rev-parse', '--short', 'HEAD']);
    // What a revision's export holds (exportRevision): a change to the start script's flags or to
    // the allocator settings changes the server measured as much as one to src/ does.
    const dirty = git(repo, ['status', '--porcelain', '--', 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts']) !== '';
    return { dir: repo, revision: dirty ? `${head}+changes` : head };
  } catch {
    return { dir: repo, revision: 'unknown' };
  }
}

/** Whether `path` exists in commit `sha`. */
function inCommit(repo: string, sha: string, path: string): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${sha}:${path}`], { cwd: repo, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * What the server of `rev` is run from: src/, package.json and tsconfig.json, and where the
 * revision has them, scripts/ (`npm start` and its settings) and tsconfig.build.json, in a
 * temporary directory removed at cleanup.
 */
export async function exportRevision(repo: string, rev: string): Promise<ServerSource> {
  const sha = git(repo, ['rev-parse', '--short', `${rev}^{commit}`]);
  const dir = await mkdtemp(join(tmpdir(), `doppel-bench-src-${sha}-`));
  onCleanup(`source snapshot ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const paths = ['src', 'package.json', 'tsconfig.json', ...['scripts', 'tsconfig.build.json'].filter((p) => inCommit(repo, sha, p))];
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['archive', '--format=tar', sha, ...paths], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'inherit', 'inherit'] });
    archive.stdout.pipe(tar.stdin);
    let pending = 2;
    const done = (what: string) => (code: number | null): void => {
      if (code !== 0) reject(new Error(`${what} exited with ${String(code)}`));
      else if (--pending === 0) resolve();
    };
    archive.once('exit', done('git archive'));
    tar.once('exit', done('tar'));
  });
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, revision: sha };
}
