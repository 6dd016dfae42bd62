import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { WalCheckpointer, type CheckpointQueryable } from './wal-checkpointer.ts';

const MiB = 1024 * 1024;

void describe('WalCheckpointer on PGlite', () => {
  let db: PGlite;
  const queryable: CheckpointQueryable = { query: async (text) => (await db.query<Record<string, unknown>>(text)).rows };
  const redo = async (): Promise<string> => String((await db.query<{ r: string }>('SELECT redo_lsn::text AS r FROM pg_control_checkpoint()')).rows[0]?.r);
  /** Writes about `bytes` of WAL (random text does not compress). */
  const writeWal = async (bytes: number): Promise<void> => {
    for (let done = 0; done < bytes; done += 64 * 1024) await db.query('INSERT INTO filler VALUES ($1)', [randomBytes(32 * 1024).toString('hex')]);
  };

  before(async () => {
    db = await PGlite.create();
    await db.exec('CREATE TABLE filler (v text)');
    await db.exec('CHECKPOINT');
  });
  after(async () => {
    await db.close();
  });

  void it('checkpoints once the WAL since the last checkpoint reaches the limit, and not before', async () => {
    const checkpointer = new WalCheckpointer(queryable, { maxWalBytes: 2 * MiB, maxIntervalMs: 3_600_000, checkEveryMs: 60_000, onError: (e) => assert.fail(String(e)) });
    const first = await redo();
    await writeWal(MiB / 2);
    assert.equal(await checkpointer.check(), false);
    assert.equal(await redo(), first, 'PGlite never checkpoints by itself');
    await writeWal(2 * MiB);
    assert.equal(await checkpointer.check(), true);
    assert.notEqual(await redo(), first);
    assert.equal(await checkpointer.check(), false, 'nothing written since');
  });

  void it('checkpoints after the interval only when something was written', async () => {
    let clock = 0;
    const checkpointer = new WalCheckpointer(queryable, { maxWalBytes: 1024 * MiB, maxIntervalMs: 1_000, checkEveryMs: 60_000, onError: (e) => assert.fail(String(e)), now: () => clock });
    await db.exec('CHECKPOINT');
    clock = 5_000;
    assert.equal(await checkpointer.check(), false, 'only the last checkpoint\'s own records since it');
    await writeWal(64 * 1024);
    clock = 5_500;
    assert.equal(await checkpointer.check(), true);
    await writeWal(64 * 1024);
    clock = 6_000;
    assert.equal(await checkpointer.check(), false, 'the interval counts from the last checkpoint');
  });

  void it('checks on its timer once started, and not after stop', async () => {
    const checkpointer = new WalCheckpointer(queryable, { maxWalBytes: MiB, maxIntervalMs: 3_600_000, checkEveryMs: 10, onError: (e) => assert.fail(String(e)) });
    await writeWal(2 * MiB);
    const before = await redo();
    checkpointer.start();
    const deadline = Date.now() + 10_000;
    while ((await redo()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.notEqual(await redo(), before, 'a checkpoint ran on the timer');
    await checkpointer.stop();
    await writeWal(2 * MiB);
    const stopped = await redo();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await redo(), stopped);
  });
});
