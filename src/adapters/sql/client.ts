/** One row as the driver returns it; callers narrow the fields they read. */
export type SqlRow = Readonly<Record<string, unknown>>;

export interface QueryOptions {
  /**
   * A batch write: a statement of fixed text run once per commit round with the round's rows as
   * parameters. Its best plan depends on the tables' size, which grows while a plan cached by the
   * server stays in use: one made while a table was small (a sequential scan joined by hash to the
   * input rows) makes every later batch read the whole table. Each adapter runs such statements so
   * that this cannot happen and the batch still costs little: see PostgresClient and PgliteClient.
   * Default: an ordinary statement (cached prepared statements on PostgreSQL).
   */
  readonly batch?: true;
  /**
   * Planned for its parameters' values each time it runs: a statement whose best plan depends on
   * them, as a search's does. A prepared statement on PostgreSQL gets a generic plan, made for any
   * values, once five runs suggest it costs no more; for a search that can be a plan a hundred
   * times slower (the and/or of the search benchmark: 1 s instead of 4-6 ms). Planning each time
   * costs ~0.6 ms there. PGlite plans every statement for its values anyway. Default: the
   * adapter's ordinary statements.
   */
  readonly customPlan?: true;
}

/**
 * Planner settings of every session Doppel opens, on PostgreSQL and PGlite alike. Doppel's working
 * set is meant to be in memory (and its disks to be SSDs), where reading a page out of order costs
 * little more than reading the next one; PostgreSQL's default of 4 sequential page reads made
 * searches read whole tables instead of probing an index: counting a 1 % filter at 1,000,000
 * things took 125 ms with a hash join over the per-thing table, 45-63 ms probing its index.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = { random_page_cost: '1.1' };

/** Options of the batch write statements (`QueryOptions.batch`). */
export const BATCH_WRITE: QueryOptions = { batch: true };

/** Options of statements planned for their values each time (`QueryOptions.customPlan`). */
export const CUSTOM_PLAN: QueryOptions = { customPlan: true };

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
