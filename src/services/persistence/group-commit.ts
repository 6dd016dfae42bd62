import type { Store, WriteUnit } from '../../ports/store.ts';
import { CommitQueueFullError, CommitterClosedError } from './errors.ts';

export interface GroupCommitOptions {
  /** Units per transaction. Default 256. */
  readonly maxBatchSize?: number;
  /** Units waiting for a transaction (in flight not counted) before `submit` refuses. Default 10,000. */
  readonly maxQueued?: number;
  /**
   * Transactions committing at once. Default 1. More lets a database server with several
   * connections work on one batch while another waits for its commit to reach the disk; an
   * entity's writes still commit in submission order (a unit waits while an earlier write of one
   * of its entities is in flight).
   */
  readonly maxInFlight?: number;
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
  readonly keys: readonly string[];
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

const keyOf = (w: WriteUnit[number]): string => `${w.entity.type}\u0000${w.entity.id}`;

/**
 * Turns writes from many concurrent callers into few transactions. While batches are being
 * committed (up to `maxInFlight`), new units queue; when one completes, what is queued (up to
 * `maxBatchSize`) goes into the next. A caller's promise settles only after its unit's transaction
 * committed or failed, so acknowledgements never precede durability ([design:
 * entities-and-persistence]). Under light load a unit waits for at most one setImmediate turn,
 * under heavy load for a batch in flight.
 */
export class GroupCommitter {
  private readonly maxBatchSize: number;
  private readonly maxQueued: number;
  private readonly maxInFlight: number;
  private queue: Pending[] = [];
  private inFlight = 0;
  /** Entities with a write in a batch being committed, and how many such batches. */
  private readonly busy = new Map<string, number>();
  private scheduled = false;
  private closed: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private counters = { batches: 0, units: 0, largestBatch: 0 };

  constructor(
    private readonly store: Pick<Store, 'commit'>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? 256);
    this.maxQueued = Math.max(1, options.maxQueued ?? 10_000);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  /** Resolves once the unit is committed; rejects with the unit's error (see CommitOutcome). */
  submit(unit: WriteUnit): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(new CommitterClosedError());
    if (this.queue.length >= this.maxQueued) return Promise.reject(new CommitQueueFullError(this.maxQueued));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ unit, keys: unit.map(keyOf), resolve, reject });
      this.schedule();
    });
  }

  stats(): GroupCommitStats {
    return { ...this.counters, queued: this.queue.length };
  }

  /** Idempotent. Refuses new units and resolves once every accepted unit is settled. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.pump();
      this.checkIdle();
    });
    return this.closed;
  }

  private checkIdle(): void {
    if (this.inFlight > 0 || this.queue.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    // Waiting one turn gathers the units submitted by all callbacks of this I/O phase.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts batches while fewer than `maxInFlight` are committing and some queued unit may go. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) return;
      void this.commit(batch);
    }
  }

  /**
   * The next batch: queued units in order, skipping any that touches an entity written by a batch
   * in flight or by a unit skipped before it (so each entity's writes keep their order).
   */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const held = new Set<string>();
    // Shared among the free slots, so that a burst keeps several transactions busy.
    const size = Math.min(this.maxBatchSize, Math.ceil(this.queue.length / (this.maxInFlight - this.inFlight)));
    for (const p of this.queue) {
      if (batch.length < size && !p.keys.some((k) => this.busy.has(k) || held.has(k))) batch.push(p);
      else {
        rest.push(p);
        for (const k of p.keys) held.add(k);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async commit(batch: Pending[]): Promise<void> {
    this.inFlight++;
    for (const p of batch) for (const k of p.keys) this.busy.set(k, (this.busy.get(k) ?? 0) + 1);
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
    } finally {
      this.inFlight--;
      for (const p of batch) {
        for (const k of p.keys) {
          const n = (this.busy.get(k) ?? 1) - 1;
          if (n === 0) this.busy.delete(k);
          else this.busy.set(k, n);
        }
      }
      // Everything queued meanwhile goes at once (the batch that just finished gathered it).
      this.pump();
      this.checkIdle();
    }
  }
}
