// An exclusive lock on a data directory, so that two processes never run PGlite over the same
// files (which would corrupt them: PGlite has no postmaster to refuse a second instance).
// The lock is a file holding the owner's pid. It appears atomically with its content (written
// to a temporary file, then hard-linked into place, which fails if the lock exists), and a lock
// whose pid is not alive is stale and taken over.
// Known limit: two processes taking over the same stale lock at the same instant can both win;
// starting two servers on one directory at the same moment after a crash is not guarded.

import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const LOCK_FILE_NAME = 'doppel.lock';

/** Locks held by this process, so a second open in the same process is refused as well. */
const held = new Set<string>();

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly lockFile: string,
  ) {
    const who = pid === process.pid ? `this process (${pid})` : `process ${pid}`;
    super(`data directory ${dataDir} is in use by ${who}; if no Doppel is running there, delete ${lockFile}`);
    this.name = 'DataDirInUseError';
  }
}

export interface DirLock {
  readonly lockFile: string;
  /** Idempotent; removes the lock file if this process still owns it. */
  release(): Promise<void>;
}

function errnoCode(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

async function readPid(lockFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(lockFile, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

async function removeIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

/** Takes the lock of an existing directory, or throws DataDirInUseError naming the owner. */
export async function acquireDirLock(dataDir: string): Promise<DirLock> {
  const lockFile = resolve(join(dataDir, LOCK_FILE_NAME));
  if (held.has(lockFile)) throw new DataDirInUseError(dataDir, process.pid, lockFile);
  // Claimed before the first await, so two opens in one process cannot both proceed.
  held.add(lockFile);
  try {
    await takeLockFile(dataDir, lockFile);
    return lockHandle(lockFile);
  } catch (e) {
    held.delete(lockFile);
    throw e;
  }
}

async function takeLockFile(dataDir: string, lockFile: string): Promise<void> {
  const temp = `${lockFile}.${process.pid}.tmp`;
  await writeFile(temp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(temp, lockFile);
        return;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
      }
      const owner = await readPid(lockFile);
      if (owner === undefined) continue; // released meanwhile
      // Our own pid from an earlier life (e.g. pid 1 in a restarted container) is stale too:
      // this process holds no lock on the directory (checked by the caller).
      if (owner !== 0 && owner !== process.pid && isProcessAlive(owner)) {
        throw new DataDirInUseError(dataDir, owner, lockFile);
      }
      await removeIfPresent(lockFile);
    }
    throw new Error(`could not lock data directory ${dataDir}: ${lockFile} keeps reappearing`);
  } finally {
    await removeIfPresent(temp);
  }
}

function lockHandle(lockFile: string): DirLock {
  let released: Promise<void> | undefined;
  return {
    lockFile,
    release() {
      released ??= (async () => {
        held.delete(lockFile);
        if ((await readPid(lockFile)) === process.pid) await removeIfPresent(lockFile);
      })();
      return released;
    },
  };
}
