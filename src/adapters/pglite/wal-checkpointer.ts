// Checkpoints for the embedded database. PGlite runs PostgreSQL in single-user mode, where nothing
// ever requests a checkpoint: not the volume of WAL (max_wal_size is only watched under a
// postmaster), not checkpoint_timeout (there is no checkpointer process). Until the database is
// closed, every WAL segment written stays on disk (tested: 272 MB of WAL with max_wal_size at
// 64MB), and a crash makes the next start replay all of it. Under steady writes that is gigabytes
// an hour. So Doppel asks for the checkpoints itself.

export interface WalCheckpointerOptions {
  /** A checkpoint once this much WAL was written since the last one. */
  readonly maxWalBytes: number;
  /** A checkpoint once this long has passed since the last one, when any WAL was written. */
  readonly maxIntervalMs: number;
  /** How often the WAL position is looked at (a read of the control file). */
  readonly checkEveryMs: number;
  readonly onError: (err: unknown) => void;
  /** Told of each checkpoint: the WAL it covered and how long it held the database. */
  readonly onCheckpoint?: (done: { readonly walBytes: number; readonly ms: number }) => void;
  readonly now?: () => number;
}

/** What the checkpointer runs its two statements with (the PGlite client; a test's spy). */
export interface CheckpointQueryable {
  query(text: string): Promise<readonly Record<string, unknown>[]>;
}

/** WAL below one page since the redo point is the last checkpoint's own records, not writes. */
const MIN_WAL_BYTES = 8192;
const WAL_SINCE_CHECKPOINT = `SELECT (pg_current_wal_insert_lsn() - redo_lsn)::float8 AS bytes FROM pg_control_checkpoint()`;

/**
 * Looks at the WAL written since the last checkpoint every `checkEveryMs` and runs `CHECKPOINT`
 * when it reaches `maxWalBytes`, or when `maxIntervalMs` has passed with any WAL written. A
 * checkpoint holds PGlite's only connection while it writes the dirty buffers (tens of
 * milliseconds with 32 MB of them), like any other statement; one runs at a time.
 */
export class WalCheckpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private lastCheckpointAt: number;
  private readonly now: () => number;

  constructor(
    private readonly db: CheckpointQueryable,
    private readonly options: WalCheckpointerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.lastCheckpointAt = this.now();
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running === undefined) this.check().catch((err: unknown) => this.options.onError(err));
    }, this.options.checkEveryMs);
    this.timer.unref();
  }

  /** Checks now; resolves to whether a checkpoint ran. */
  check(): Promise<boolean> {
    this.running ??= this.checkOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Starts no more checks; resolves when the running one (if any) has finished. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async checkOnce(): Promise<boolean> {
    const [row] = await this.db.query(WAL_SINCE_CHECKPOINT);
    const bytes = Number(row?.['bytes'] ?? 0);
    // A checkpoint leaves its own record (and one of running transactions) after its redo point.
    const written = bytes >= MIN_WAL_BYTES;
    const due = bytes >= this.options.maxWalBytes || (written && this.now() - this.lastCheckpointAt >= this.options.maxIntervalMs);
    if (!due) return false;
    const started = performance.now();
    await this.db.query('CHECKPOINT');
    this.lastCheckpointAt = this.now();
    this.options.onCheckpoint?.({ walBytes: bytes, ms: Math.round(performance.now() - started) });
    return true;
  }
}
