import type { SqlClient } from './client.ts';

/** What a background run of a GrowthAnalyzer reports. */
export interface AnalyzerRun {
  /** All its statements, from the first sent to the last answered. */
  readonly ms: number;
  /** The longest single statement, from sent to answered (waiting for the connection included). */
  readonly longestMs: number;
  /** The table's estimated rows afterwards. */
  readonly rows: number;
}

/**
 * A background run pauses between two statements for twice as long as the last one took, and at
 * least PAUSE_MIN_MS. On PGlite the writes sent while a statement runs wait for it, and more keep
 * coming: at half the store's peak rate, draining what queued takes about as long as the statement
 * did. Without such a pause the next statement would start before that backlog is gone (the group
 * committer sends a batch only when one in flight ends), and requests would wait through several
 * statements.
 */
export const PAUSE_FACTOR = 2;
export const PAUSE_MIN_MS = 20;

/**
 * ANALYZE of tables as they grow, for the SQL store and the search index. PGlite has no autovacuum,
 * so nothing else gathers statistics there; and on both stores an ANALYZE makes the database plan
 * again the cached statements that use the table (the batch writes run with cached generic plans,
 * see `QueryOptions.batch`). The callers note their changes; once they reach the table's size at
 * the last ANALYZE (and at least `minChanges`), another runs: about each time a growing table
 * doubles, and rarely once its size is stable. It runs outside the caller's path (after a
 * setImmediate, so never inside a commit) and one at a time.
 */
export class GrowthAnalyzer {
  private changes = 0;
  private rowsAtAnalyze = 0;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Ends the pause of the running ANALYZE now (see `stop`). */
  private endPause: (() => void) | undefined;

  /**
   * @param statements run in order (an ANALYZE, and whatever should follow it)
   * @param sizeOf the table whose estimated row count (`reltuples`) sets the next threshold
   * @param onDone told after each background run how long its statements took in all, how long
   *   the longest of them took, and the table's estimated rows then. On PGlite a statement holds
   *   the only connection, so writes wait that long; between statements the writes queued
   *   meanwhile run (PGlite serves its callers in order), so the longest one is the stall.
   */
  constructor(
    private readonly client: SqlClient,
    private readonly statements: readonly string[],
    private readonly sizeOf: string,
    private readonly minChanges: number,
    private readonly onError: (err: unknown) => void,
    private readonly onDone?: (done: AnalyzerRun) => void,
  ) {}

  /** Notes `count` changed rows; starts an ANALYZE in the background when they are enough. */
  note(count: number): void {
    this.changes += count;
    if (this.running !== undefined || this.stopped || this.changes < Math.max(this.minChanges, this.rowsAtAnalyze)) return;
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        const started = performance.now();
        const longestMs = await this.now(true);
        if (longestMs !== undefined) this.onDone?.({ ms: Math.round(performance.now() - started), longestMs: Math.round(longestMs), rows: this.rowsAtAnalyze });
      })
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        this.running = undefined;
      });
  }

  /**
   * Runs the statements now (with `pauses`, paced as PAUSE_FACTOR says) and resets the count;
   * returns how long the longest one took (ms), or undefined when `stop` cut a pause short (the
   * statements after it do not run, and the count stays).
   */
  async now(pauses = false): Promise<number | undefined> {
    const counted = this.changes;
    let longest = 0;
    let last = 0;
    for (const [i, statement] of this.statements.entries()) {
      if (i > 0 && pauses) {
        if (!this.stopped) await this.pause(Math.max(PAUSE_MIN_MS, PAUSE_FACTOR * last));
        if (this.stopped) return undefined;
      }
      const started = performance.now();
      await this.client.query(statement);
      last = performance.now() - started;
      longest = Math.max(longest, last);
    }
    const size = await this.client.query(`SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, [this.sizeOf]);
    this.rowsAtAnalyze = Math.max(0, Number(size[0]?.['reltuples'] ?? 0));
    this.changes -= counted;
    return longest;
  }

  /** Resolves when no ANALYZE is running. */
  async idle(): Promise<void> {
    await this.running;
  }

  /**
   * Starts no more ANALYZEs; resolves when the running one (if any) has finished its statement (a
   * run in a pause stops there, so that closing the store need not wait for the rest).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.endPause?.();
    await this.running;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        this.endPause = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.endPause = end;
    });
  }
}
