import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataDirInUseError, LOCK_FILE_NAME, hasSpare, openPgliteClient, pgliteTemplateFile, replenishSpare, schemaTemplateFile, spareDirectory } from '../../src/adapters/pglite/index.ts';
import { unpackTemplate } from '../../src/adapters/pglite/template-unpack.ts';
import { EMBEDDED_NUMBER_STATISTICS, SqlSearchIndex, SqlStore } from '../../src/adapters/sql/index.ts';
import { loadConfig } from '../../src/app/config.ts';
import { createLogger } from '../../src/app/logger.ts';
import { writeEmbeddedTemplate } from '../../src/app/store.ts';
import { StoreUnavailableError } from '../../src/services/persistence/errors.ts';
import { CountingSqlClient } from '../support/counting-sql-client.ts';
import { startTestServer } from '../support/doppel-server.ts';
import { openTestPglite, TEST_PGLITE_TEMPLATE_DIR } from '../support/pglite.ts';
import { entityAt, freshId, storeContract, write, type StoreFixture } from '../support/store-contract.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const tempDir = tempDirs('doppel-pglite-');

async function fixture(dataDir?: string, schema?: string): Promise<StoreFixture> {
  const client = new CountingSqlClient(await openTestPglite(dataDir));
  const store = await SqlStore.open(client, schema === undefined ? {} : { schema });
  return { store, client, admin: (text, params) => client.inner.query(text, params) };
}

storeContract('SqlStore on PGlite in memory', () => fixture());
storeContract('SqlStore on PGlite in a data directory, own schema', async () => fixture(await tempDir(), 'doppel'));

void describe('PGlite session', () => {
  void it("runs with Doppel's planner settings, and batch writes as prepared statements with generic plans", async () => {
    const client = await openTestPglite();
    const store = await SqlStore.open(client);
    try {
      const [setting] = await client.query<{ v: string }>(`SELECT current_setting('random_page_cost') AS v`);
      assert.equal(setting?.v, '1.1');
      const ids = Array.from({ length: 3 }, () => freshId());
      for (let r = 1; r <= 5; r++) assert.ok((await store.commit(ids.map((id) => [write(entityAt('thing', id, r, { r }), r - 1)]))).every((o) => o.ok));
      const prepared = await client.query<{ statement: string; generic: number; custom: number }>(
        'SELECT statement, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements',
      );
      const writes = prepared.filter((p) => /doppel_snapshot/.test(p.statement) && /json_to_recordset/.test(p.statement));
      assert.equal(writes.length, 1, 'one prepared batch statement');
      assert.deepEqual([writes[0]?.generic, writes[0]?.custom], [5, 0]);
    } finally {
      await store.close();
      await client.close();
    }
  });
});

void describe("PGlite's own thread", () => {
  void it('keeps the event loop turning while a statement runs', async () => {
    const client = await openTestPglite();
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      try {
        await client.query('SELECT pg_sleep(0.3)');
      } finally {
        clearInterval(timer);
      }
      // In the server's thread the statement would hold the loop for all 300 ms: no tick at all.
      assert.ok(ticks >= 10, `${ticks} timer ticks during a 300 ms statement`);
    } finally {
      await client.close();
    }
  });

  void it("passes PostgreSQL's errors with their fields, and a transaction holds the database until it ends", async () => {
    const client = await openTestPglite();
    try {
      await client.query('CREATE TABLE t (k int PRIMARY KEY)');
      await client.query('INSERT INTO t VALUES (1)');
      await assert.rejects(client.query('INSERT INTO t VALUES (1)'), (e: unknown) => {
        assert.equal((e as { code?: unknown }).code, '23505');
        assert.equal((e as { severity?: unknown }).severity, 'ERROR');
        assert.equal((e as { constraint?: unknown }).constraint, 't_pkey');
        return true;
      });
      // A statement sent while a transaction is open runs after it, and sees what it committed.
      let outside: Promise<{ n: number }[]> | undefined;
      await client.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (2)');
        outside = client.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
        await new Promise((resolve) => setTimeout(resolve, 50));
        await tx.query('INSERT INTO t VALUES (3)');
      });
      assert.deepEqual(await outside, [{ n: 3 }]);
      // A callback that throws rolls back, and its error reaches the caller unchanged.
      const boom = new Error('boom');
      await assert.rejects(
        client.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (4)');
          throw boom;
        }),
        (e: unknown) => e === boom,
      );
      // A failing statement inside a transaction fails the transaction, which is rolled back.
      await assert.rejects(
        client.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (5)');
          await tx.query('INSERT INTO t VALUES (1)');
        }),
        (e: unknown) => (e as { code?: unknown }).code === '23505',
      );
      assert.deepEqual(await client.query('SELECT k FROM t ORDER BY k'), [{ k: 1 }, { k: 2 }, { k: 3 }]);
    } finally {
      await client.close();
    }
    await assert.rejects(client.query('SELECT 1'), StoreUnavailableError);
  });
});

void describe('PGlite WAL', () => {
  void it('has a checkpointer (PGlite never checkpoints by itself)', async () => {
    const client = await openTestPglite(await tempDir());
    try {
      assert.equal(await client.checkpointIfDue(), false, 'a checkpointer, with nothing to checkpoint in a new database');
    } finally {
      await client.close();
    }
  });
});

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

  void it('caches a freshly initialised database as a template, and survives a damaged one', async () => {
    const templateDir = await tempDir();
    const first = await openPgliteClient({ dataDir: await tempDir(), templateDir });
    await first.close();
    const template = await pgliteTemplateFile(templateDir);
    assert.ok(template !== undefined && (await stat(template)).size > 100_000, 'the template is written after initdb');
    await writeFile(template, 'not a tarball');
    const warnings: string[] = [];
    const logger = { warn: (_: object, msg?: string) => void warnings.push(msg ?? ''), info: () => undefined, error: () => undefined };
    const second = await openPgliteClient({ dataDir: await tempDir(), templateDir, logger });
    assert.deepEqual(await second.query('SELECT 1 AS one'), [{ one: 1 }]);
    await second.close();
    assert.match(warnings.join(), /template/);
    assert.ok((await stat(template)).size > 100_000, 'the damaged template is replaced');
  });

  void it('unpacks the template into a new data directory, replacing one left there without a database', async () => {
    // An open writes the template when there is none yet (on a new machine, after initdb).
    await (await openTestPglite()).close();
    const dataDir = await tempDir();
    // What a start that died while making the database may leave: files, but no PG_VERSION.
    await writeFile(join(dataDir, 'unrelated'), 'kept');
    await mkdir(join(dataDir, 'pgdata'));
    await writeFile(join(dataDir, 'pgdata', 'leftover'), 'x');
    const logs: object[] = [];
    const logger = { info: (o: object) => void logs.push(o), warn: (o: object) => void logs.push({ warn: o }), error: () => undefined };
    const client = await openPgliteClient({ dataDir, templateDir: TEST_PGLITE_TEMPLATE_DIR, logger });
    try {
      assert.deepEqual(await client.query('SELECT 1 AS one'), [{ one: 1 }]);
      assert.ok(logs.some((o) => (o as { fromTemplate?: boolean }).fromTemplate === true), JSON.stringify(logs));
      assert.ok(!logs.some((o) => 'warn' in o), JSON.stringify(logs));
    } finally {
      await client.close();
    }
    const entries = await readdir(dataDir);
    assert.ok(entries.includes('pgdata') && entries.includes('unrelated') && !entries.some((e) => e.endsWith('.unpacking')), entries.join());
    await assert.rejects(stat(join(dataDir, 'pgdata', 'leftover')), { code: 'ENOENT' });
  });

  void it("starts a new data directory from the template with Doppel's tables: opening the store then runs one statement", async () => {
    await (await openTestPglite()).close(); // the plain template, written when missing
    const templateDir = await tempDir();
    const plain = await pgliteTemplateFile(TEST_PGLITE_TEMPLATE_DIR);
    assert.ok(plain !== undefined);
    await copyFile(plain, join(templateDir, basename(plain)));
    const quiet = createLogger('silent');
    const file = await writeEmbeddedTemplate(loadConfig({ DOPPEL_PGLITE_TEMPLATE_DIR: templateDir }), quiet);
    assert.equal(file, await schemaTemplateFile(templateDir));
    assert.ok(file !== undefined);
    assert.ok((await stat(join(spareDirectory(file), 'PG_VERSION'))).isFile(), 'the directory it was packed from is kept as the spare');
    // The control file's state (a 32-bit word after the system identifier and two version words):
    // 1 is "shut down", so a database started from the template has no crash recovery to run.
    const unpacked = join(await tempDir(), 'unpacked');
    await unpackTemplate(file, unpacked);
    for (const dir of [unpacked, spareDirectory(file)]) assert.equal((await readFile(join(dir, 'global', 'pg_control'))).readUInt32LE(16), 1, dir);
    assert.deepEqual((await readdir(join(unpacked, 'pg_wal'))).filter((f) => /^[0-9A-F]{24}$/.test(f)).length, 1, 'one WAL segment');
    const client = new CountingSqlClient(await openPgliteClient({ dataDir: await tempDir(), templateDir }));
    await assert.rejects(stat(spareDirectory(file)), { code: 'ENOENT' }, 'the new directory took the spare');
    const store = await SqlStore.open(client);
    try {
      assert.deepEqual([client.transactions, client.statements], [0, 1]);
      const search = await SqlSearchIndex.open(client, store.tables, 'public', { numberStatistics: EMBEDDED_NUMBER_STATISTICS, vacuumValues: true });
      assert.deepEqual([client.transactions, client.statements], [0, 4], 'the index: its mark, whether it is built, whether it is big enough for ANALYZE');
      store.addCommitHook(search.hook);
      const id = freshId();
      assert.deepEqual(await store.commit([[write(entityAt('thing', id, 1, { attributes: { a: 1 } }), 0)]]), [{ ok: true }]);
      assert.equal((await store.load('thing', id))?.revision, 1);
      assert.deepEqual(await client.query('SELECT datname FROM pg_database'), [{ datname: 'postgres' }], 'the template keeps only the database Doppel uses');
    } finally {
      await store.close();
    }
  });

  void it('a server started on a data directory unpacks a new spare in the background, unless one is ready or the setting is off', async () => {
    const templateDir = await tempDir();
    const plain = await pgliteTemplateFile(TEST_PGLITE_TEMPLATE_DIR);
    assert.ok(plain !== undefined);
    await copyFile(plain, join(templateDir, basename(plain)));
    const file = await writeEmbeddedTemplate(loadConfig({ DOPPEL_PGLITE_TEMPLATE_DIR: templateDir }), createLogger('silent'));
    assert.ok(file !== undefined);
    const spare = spareDirectory(file);
    assert.equal(await replenishSpare(file), undefined, 'one is ready: nothing to do');
    const abandoned = `${spare}.999999999.tmp`; // half unpacked by a process that is gone
    await mkdir(abandoned);
    const packedFrom = (await stat(spare)).ino;

    const dataDir = await tempDir();
    const server = await startTestServer({ dataDir, pgliteTemplateDir: templateDir });
    try {
      assert.equal((await stat(join(dataDir, 'pgdata'))).ino, packedFrom, 'the start took the spare');
      for (let waited = 0; !(await hasSpare(file)); waited += 50) {
        if (waited > 60_000) assert.fail('no new spare within 60 s');
        await sleep(50);
      }
      assert.notEqual((await stat(spare)).ino, packedFrom, 'a new one');
      assert.ok((await stat(join(spare, 'PG_VERSION'))).isFile());
      await assert.rejects(stat(abandoned), { code: 'ENOENT' }, 'what a dead process left is removed');
    } finally {
      await server.close();
    }

    const off = await startTestServer({ dataDir: await tempDir(), pgliteTemplateDir: templateDir, pgliteSpare: false });
    await off.close();
    await assert.rejects(stat(spare), { code: 'ENOENT' }, 'taken');
    await sleep(2_000); // the unpacking above took well under this
    assert.equal(await hasSpare(file), false, 'and not made again');
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

  void it('refuses a directory used by another process; after it is killed, takes over and finds its acknowledged writes', async () => {
    const dir = await tempDir();
    const id = freshId();
    const e = entityAt('thing', id, 1, { fromChild: true });
    // Another Doppel-like process: opens the directory, commits, reports, then idles until killed.
    const src = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
    const script = `
      const { openPgliteClient } = await import(${src('../../src/adapters/pglite/index.ts')});
      const { SqlStore } = await import(${src('../../src/adapters/sql/index.ts')});
      const client = await openPgliteClient({ dataDir: ${JSON.stringify(dir)}, templateDir: ${JSON.stringify(TEST_PGLITE_TEMPLATE_DIR)} });
      const store = await SqlStore.open(client);
      const [outcome] = await store.commit([[${JSON.stringify(write(e, 0))}]]);
      process.stdout.write(outcome.ok ? 'committed\\n' : 'failed\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const said = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
        child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
      });
      assert.equal(said, 'committed');
      await assert.rejects(openPgliteClient({ dataDir: dir }), (err: unknown) => {
        assert.ok(err instanceof DataDirInUseError);
        assert.equal(err.message.startsWith(`data directory ${dir} is in use by process ${child.pid}`), true, err.message);
        return true;
      });
    } finally {
      // Killed without a chance to clean up: its lock file stays behind, stale.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await stat(join(dir, LOCK_FILE_NAME));
    const f = await fixture(dir);
    try {
      assert.deepEqual(await f.store.load('thing', id), e, 'a write acknowledged before the crash is there');
    } finally {
      await f.store.close();
    }
  });
});

it('shared_buffers of the embedded store can be set, and a bad size is refused', async () => {
  const small = await openPgliteClient({ sharedBuffers: '16MB' });
  try {
    const rows = await small.query<{ shared_buffers: string }>('SHOW shared_buffers');
    assert.equal(rows[0]?.shared_buffers, '16MB');
  } finally {
    await small.close();
  }
  await assert.rejects(openPgliteClient({ sharedBuffers: '16 pages' }), /not a size/);
});
