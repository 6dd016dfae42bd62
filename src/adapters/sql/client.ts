/** One row as the driver returns it; callers narrow the fields they read. */
export type SqlRow = Readonly<Record<string, unknown>>;

export interface QueryOptions {
  /**
   * `custom`: plan the statement for this call's parameters and the tables' current size instead of
   * reusing a cached plan. For batch writes: a plan cached while a table was small (a sequential
   * scan joined by hash to the input rows) stays in use after the table has grown and makes every
   * batch read the whole table. Planning again costs a fraction of a millisecond per batch.
   * Default: the driver's (cached prepared statements on PostgreSQL).
   */
  readonly plan?: 'custom';
}

/** Batch writes are planned per call: their best plan depends on the batch and the tables' size. */
export const CUSTOM_PLAN: QueryOptions = { plan: 'custom' };

/** Something that runs one statement: the client itself or an open transaction. */
export interface SqlQueryable {
  /** Values are always bound as `$n` parameters, never spliced into `text`. */
  query<T extends SqlRow = SqlRow>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<T[]>;
}

/**
 * The minimal surface Doppel needs from a PostgreSQL driver, so the same SQL runs on PGlite and on a
 * PostgreSQL server. Each adapter maps driver failures that mean "the database cannot be reached"
 * to `StoreUnavailableError`.
 */
export interface SqlClient extends SqlQueryable {
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it rejects. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** pino-compatible; only what the adapters use. */
export interface StoreLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
