import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataDirInUseError, LOCK_FILE_NAME, openPgliteClient } from '../../src/adapters/pglite/index.ts';
import { SqlStore } from '../../src/adapters/sql/index.ts';
import { CountingSqlClient } from '../support/counting-sql-client.ts';
import { openTestPglite, TEST_PGLITE_TEMPLATE_DIR } from '../support/pglite.ts';
import { entityAt, freshId, storeContract, write, type StoreFixture } from '../support/store-contract.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'doppel-pglite-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function fixture(dataDir?: string, schema?: string): Promise<StoreFixture> {
  const client = new CountingSqlClient(await openTestPglite(dataDir));
  const store = await SqlStore.open(client, schema === undefined ? {} : { schema });
  return { store, client, admin: (text, params) => client.inner.query(text, params) };
}

storeContract('SqlStore on PGlite in memory', () => fixture());
storeContract('SqlStore on PGlite in a data directory, own schema', async () => fixture(await tempDir(), 'doppel'));

void describe('PGlite data directory', () => {
  void it('keeps what was committed across close and reopen', async () => {
    const dir = await tempDir();
    const id = freshId();
    const e = entityAt('thing', id, 1, { kept: true });
    let f = await fixture(dir);
    assert.deepEqual(await f.store.commit([[write(e, 0)]]), [{ ok: true }]);
    await f.store.close();
    await assert.rejects(stat(join(dir, LOCK_FILE_NAME)), { code: 'ENOENT' }, 'close releases the lock');
    f = await fixture(dir);
    assert.deepEqual(await f.store.load('thing', id), e);
    await f.store.close();
  });

  void it('refuses a second open of the same directory in this process', async () => {
    const dir = await tempDir();
    const client = await openTestPglite(dir);
    try {
      await assert.rejects(openTestPglite(dir), DataDirInUseError);
    } finally {
      await client.close();
    }
  });

  void it('refuses a directory used by another process, and takes it over once that process is gone', async () => {
    const dir = await tempDir();
    // Another Doppel-like process holding the directory open.
    const script = `
      const { openPgliteClient } = await import(${JSON.stringify(new URL('../../src/adapters/pglite/index.ts', import.meta.url).href)});
      await openPgliteClient({ dataDir: ${JSON.stringify(dir)}, templateDir: ${JSON.stringify(TEST_PGLITE_TEMPLATE_DIR)} });
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
      });
      await assert.rejects(openPgliteClient({ dataDir: dir }), (e: unknown) => {
        assert.ok(e instanceof DataDirInUseError);
        assert.equal(e.message.startsWith(`data directory ${dir} is in use by process ${child.pid}`), true, e.message);
        return true;
      });
    } finally {
      // Killed without a chance to clean up: its lock file stays behind, stale.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await stat(join(dir, LOCK_FILE_NAME));
    const client = await openTestPglite(dir);
    await client.query('SELECT 1');
    await client.close();
  });
});
