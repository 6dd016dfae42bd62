import type { Store, WriteUnit } from '../../ports/store.ts';
import { CommitQueueFullError, CommitterClosedError } from './errors.ts';

export interface GroupCommitOptions {
  /** Units per transaction. Default 256. */
  readonly maxBatchSize?: number;
  /** Units waiting for a transaction (in flight not counted) before `submit` refuses. Default 10,000. */
  readonly maxQueued?: number;
}

export interface GroupCommitStats {
  /** `store.commit` calls made. */
  readonly batches: number;
  /** Units handed to the store. */
  readonly units: number;
  /** Units waiting now. */
  readonly queued: number;
  readonly largestBatch: number;
}

interface Pending {
  readonly unit: WriteUnit;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/**
 * Turns writes from many concurrent callers into few transactions. While one batch is being
 * committed, new units queue; when it completes, everything queued (up to `maxBatchSize`) goes into
 * the next. A caller's promise settles only after its unit's transaction committed or failed, so
 * acknowledgements never precede durability ([design: entities-and-persistence]). Under light load
 * a unit waits for at most one setImmediate turn, under heavy load for the batch in flight.
 */
export class GroupCommitter {
  private readonly maxBatchSize: number;
  private readonly maxQueued: number;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed: Promise<void> | undefined;
  private counters = { batches: 0, units: 0, largestBatch: 0 };

  constructor(
    private readonly store: Pick<Store, 'commit'>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? 256);
    this.maxQueued = Math.max(1, options.maxQueued ?? 10_000);
  }

  /** Resolves once the unit is committed; rejects with the unit's error (see CommitOutcome). */
  submit(unit: WriteUnit): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(new CommitterClosedError());
    if (this.queue.length >= this.maxQueued) return Promise.reject(new CommitQueueFullError(this.maxQueued));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ unit, resolve, reject });
      this.schedule();
    });
  }

  stats(): GroupCommitStats {
    return { ...this.counters, queued: this.queue.length };
  }

  /** Idempotent. Refuses new units and resolves once every accepted unit is settled. */
  close(): Promise<void> {
    this.closed ??= this.drain();
    return this.closed;
  }

  private async drain(): Promise<void> {
    while (this.flushing !== undefined || this.queue.length > 0) {
      await (this.flushing ?? this.flush());
    }
  }

  private schedule(): void {
    if (this.flushing !== undefined || this.scheduled) return;
    // Waiting one turn gathers the units submitted by all callbacks of this I/O phase.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.flushing === undefined && this.queue.length > 0) void this.flush();
    });
  }

  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        await this.run();
      } finally {
        this.flushing = undefined;
        // Units submitted after run() saw an empty queue but before this point found a flush in
        // progress and did not schedule one.
        if (this.queue.length > 0) this.schedule();
      }
    })();
    return this.flushing;
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      this.counters.batches++;
      this.counters.units += batch.length;
      this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
      try {
        const outcomes = await this.store.commit(batch.map((p) => p.unit));
        batch.forEach((p, i) => {
          const outcome = outcomes[i];
          if (outcome === undefined) p.reject(new Error('the store returned no outcome for this unit'));
          else if (outcome.ok) p.resolve();
          else p.reject(outcome.error);
        });
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        for (const p of batch) p.reject(error);
      }
    }
  }
}
