import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommitOutcome, EntityWrite, Store, WriteUnit } from '../../ports/store.ts';
import { CommitQueueFullError, CommitterClosedError, RevisionConflictError } from './errors.ts';
import { GroupCommitter } from './group-commit.ts';

function unit(id: string): WriteUnit {
  const write: EntityWrite = {
    entity: { type: 'thing', id, revision: 1, created: 't', modified: 't', deleted: false, data: {} },
    event: {},
    expectedRevision: 0,
  };
  return [write];
}

/** Records batches; commits wait for `release()` while `held`. */
class FakeStore implements Pick<Store, 'commit'> {
  readonly batches: string[][] = [];
  readonly conflicting = new Set<string>();
  throwNext: Error | undefined;
  held = false;
  private waiting: (() => void)[] = [];

  async commit(units: readonly WriteUnit[]): Promise<CommitOutcome[]> {
    this.batches.push(units.map((u) => u[0]?.entity.id ?? '?'));
    if (this.held) await new Promise<void>((r) => this.waiting.push(r));
    if (this.throwNext !== undefined) {
      const e = this.throwNext;
      this.throwNext = undefined;
      throw e;
    }
    return units.map((u): CommitOutcome => {
      const id = u[0]?.entity.id ?? '?';
      return this.conflicting.has(id) ? { ok: false, conflict: true, error: new RevisionConflictError('thing', id, 0) } : { ok: true };
    });
  }

  release(): void {
    this.held = false;
    for (const r of this.waiting.splice(0)) r();
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

void describe('GroupCommitter', () => {
  void it('commits units submitted together in one batch', async () => {
    const store = new FakeStore();
    const gc = new GroupCommitter(store);
    await Promise.all(['a', 'b', 'c'].map((id) => gc.submit(unit(id))));
    assert.deepEqual(store.batches, [['a', 'b', 'c']]);
    assert.deepEqual(gc.stats(), { batches: 1, units: 3, queued: 0, largestBatch: 3 });
  });

  void it('queues units while a batch is in flight and sends them all in the next one', async () => {
    const store = new FakeStore();
    const gc = new GroupCommitter(store);
    store.held = true;
    const first = gc.submit(unit('a'));
    await tick();
    const rest = ['b', 'c', 'd'].map((id) => gc.submit(unit(id)));
    await tick();
    assert.deepEqual(store.batches, [['a']], 'nothing else starts while a batch is in flight');
    assert.equal(gc.stats().queued, 3);
    store.release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(store.batches, [['a'], ['b', 'c', 'd']]);
  });

  void it('with maxInFlight 2 starts a second batch while one commits, but never two writes of one entity at once', async () => {
    const store = new FakeStore();
    const gc = new GroupCommitter(store, { maxInFlight: 2 });
    store.held = true;
    const first = gc.submit(unit('a'));
    await tick();
    const again = gc.submit(unit('a'));
    const other = gc.submit(unit('b'));
    const third = gc.submit(unit('c'));
    await tick();
    assert.deepEqual(store.batches, [['a'], ['b', 'c']], 'the second write of a waits for the first');
    assert.equal(gc.stats().queued, 1);
    const fourth = gc.submit(unit('d'));
    await tick();
    assert.equal(store.batches.length, 2, 'no third batch while two are in flight');
    store.release();
    await Promise.all([first, again, other, third, fourth]);
    assert.deepEqual(store.batches, [['a'], ['b', 'c'], ['a', 'd']]);
    await gc.close();
  });

  void it('does not resolve before the store has committed', async () => {
    const store = new FakeStore();
    const gc = new GroupCommitter(store);
    store.held = true;
    let done = false;
    const p = gc.submit(unit('a')).then(() => {
      done = true;
    });
    await tick();
    await tick();
    assert.equal(done, false);
    store.release();
    await p;
    assert.equal(done, true);
  });

  void it('splits the queue into batches of at most maxBatchSize', async () => {
    const store = new FakeStore();
    const gc = new GroupCommitter(store, { maxBatchSize: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => gc.submit(unit(id))));
    assert.deepEqual(store.batches, [['a', 'b'], ['c', 'd'], ['e']]);
  });

  void it('rejects only the failing unit, with its own error', async () => {
    const store = new FakeStore();
    store.conflicting.add('b');
    const gc = new GroupCommitter(store);
    const results = await Promise.allSettled(['a', 'b', 'c'].map((id) => gc.submit(unit(id))));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    const rejected = results[1];
    assert.ok(rejected?.status === 'rejected' && rejected.reason instanceof RevisionConflictError);
    assert.equal(rejected.reason.entityId, 'b');
  });

  void it('rejects a whole batch when the store call throws, and keeps going afterwards', async () => {
    const store = new FakeStore();
    store.throwNext = new Error('database gone');
    const gc = new GroupCommitter(store);
    const results = await Promise.allSettled(['a', 'b'].map((id) => gc.submit(unit(id))));
    assert.deepEqual(results.map((r) => r.status === 'rejected' && (r.reason as Error).message), ['database gone', 'database gone']);
    await gc.submit(unit('c'));
    assert.deepEqual(store.batches, [['a', 'b'], ['c']]);
  });

  void it('refuses units beyond maxQueued with a clear error', async () => {
    const store = new FakeStore();
    store.held = true;
    const gc = new GroupCommitter(store, { maxQueued: 2 });
    const inFlight = gc.submit(unit('a'));
    await tick();
    const queued = [gc.submit(unit('b')), gc.submit(unit('c'))];
    await assert.rejects(gc.submit(unit('d')), (e: unknown) => e instanceof CommitQueueFullError && /queue is full \(2 /.test(e.message));
    store.release();
    await Promise.all([inFlight, ...queued]);
  });

  void it('commits a unit submitted while the previous batch is settling', async () => {
    const store = new FakeStore();
    const gc = new GroupCommitter(store);
    // The follow-up is submitted from the first unit's continuation, i.e. after the flush loop
    // saw an empty queue but before it finished; it must not be stranded.
    await gc.submit(unit('a')).then(() => gc.submit(unit('b')));
    assert.deepEqual(store.batches, [['a'], ['b']]);
  });

  void it('close() commits what is queued, then refuses new units; it is idempotent', async () => {
    const store = new FakeStore();
    store.held = true;
    const gc = new GroupCommitter(store);
    const units = ['a', 'b', 'c'].map((id) => gc.submit(unit(id)));
    const closing = gc.close();
    assert.equal(gc.close(), closing);
    await assert.rejects(gc.submit(unit('late')), CommitterClosedError);
    let closed = false;
    void closing.then(() => {
      closed = true;
    });
    await tick();
    assert.equal(closed, false, 'close waits for the batch in flight');
    store.release();
    await closing;
    await Promise.all(units);
    assert.deepEqual(store.batches.flat(), ['a', 'b', 'c']);
  });

  void it('close() on an idle committer resolves at once', async () => {
    const gc = new GroupCommitter(new FakeStore());
    await gc.close();
    await gc.close();
  });
});
