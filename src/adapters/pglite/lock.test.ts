import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DataDirInUseError, LOCK_FILE_NAME, acquireDirLock, isProcessAlive } from './lock.ts';
import { tempDirs } from '../../../test/support/temp-dirs.ts';

const tempDir = tempDirs('doppel-lock-');

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  assert.ok(child.pid !== undefined && !isProcessAlive(child.pid));
  return child.pid;
}

void describe('data directory lock', () => {
  void it('writes the pid and removes the file on release', async () => {
    const dir = await tempDir();
    const lock = await acquireDirLock(dir);
    assert.equal((await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).trim(), String(process.pid));
    await lock.release();
    await lock.release();
    await assert.rejects(stat(join(dir, LOCK_FILE_NAME)), { code: 'ENOENT' });
  });

  void it('refuses a second lock in the same process, also when both race', async () => {
    const dir = await tempDir();
    const results = await Promise.allSettled([acquireDirLock(dir), acquireDirLock(dir)]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof DataDirInUseError && r.reason.pid === process.pid);
      else await r.value.release();
    }
  });

  void it('refuses a lock held by another live process and names it', async () => {
    const dir = await tempDir();
    const other = process.ppid; // alive for as long as this test runs
    await writeFile(join(dir, LOCK_FILE_NAME), `${other}\n`);
    await assert.rejects(acquireDirLock(dir), (e: unknown) => {
      assert.ok(e instanceof DataDirInUseError);
      assert.match(e.message, new RegExp(`data directory .* is in use by process ${other}`));
      return true;
    });
    assert.equal((await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).trim(), String(other), 'the owner keeps its lock');
  });

  void it('takes over a stale lock whose process is gone, or which is garbage', async () => {
    const dir = await tempDir();
    for (const content of [`${await deadPid()}\n`, 'not a pid']) {
      await writeFile(join(dir, LOCK_FILE_NAME), content);
      const lock = await acquireDirLock(dir);
      assert.equal((await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).trim(), String(process.pid));
      await lock.release();
    }
  });

  void it('treats its own pid in a lock it does not hold as stale (restarted container)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, LOCK_FILE_NAME), `${process.pid}\n`);
    const lock = await acquireDirLock(dir);
    await lock.release();
  });
});
