import postgres from 'postgres';
import { SESSION_SETTINGS, type QueryOptions, type SqlClient, type SqlQueryable, type SqlRow, type StoreLogger } from '../sql/client.ts';
import { schemaIdentifier } from '../sql/identifiers.ts';
import { StoreUnavailableError } from '../../services/persistence/errors.ts';

export interface PostgresClientOptions {
  /** `postgres://user:password@host:port/database?...` */
  readonly url: string;
  /** Becomes the connections' search_path, so unqualified names resolve in Doppel's schema. */
  readonly schema?: string;
  /** Size of the main pool; the pool for searches has half as many (rounded up). Default 10. */
  readonly maxConnections?: number;
  /** Size of the pool for batch writes and transactions. Default 2. */
  readonly writeConnections?: number;
  /** Default 10. */
  readonly connectTimeoutSeconds?: number;
  /** Prepared statements; turn off behind a transaction-pooling PgBouncer. Default true. */
  readonly prepare?: boolean;
  readonly logger?: StoreLogger;
}

type Sql = postgres.Sql;
type Unsafe = Pick<postgres.TransactionSql, 'unsafe'>;
type Param = postgres.ParameterOrJSON<never>;

// Driver and socket codes, and SQLSTATEs, that mean the server is not there (rather than that the
// statement was wrong): class 08 connection exceptions, shutdowns, too many connections.
const UNAVAILABLE_CODES = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  '57P01', '57P02', '57P03', '53300',
]);

function isUnavailable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08');
}

/** The URL without its password, fit for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port === '' ? '5432' : u.port}${u.pathname === '' || u.pathname === '/' ? '' : ` database ${u.pathname.slice(1)}`}`;
  } catch {
    return '(unparseable URL)';
  }
}

async function run<T>(sql: Unsafe, text: string, params: readonly unknown[], where: string, prepare: boolean): Promise<T[]> {
  try {
    // The statement texts are fixed, so preparing them saves a round trip (an unnamed statement
    // takes two: Parse/Describe, then Bind/Execute) and a parse per call. The driver ignores its
    // connection-level `prepare` option for unsafe() queries, so it is passed here.
    const rows = params.length === 0 ? await sql.unsafe(text) : await sql.unsafe(text, params as Param[], { prepare });
    return rows as unknown as T[];
  } catch (e) {
    if (isUnavailable(e)) {
      throw new StoreUnavailableError(`PostgreSQL at ${where} is unreachable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    throw e;
  }
}

/**
 * Three pools of connections to a PostgreSQL server (porsager/postgres). Batch writes
 * (`QueryOptions.batch`) and all transactions run on a small pool whose sessions set
 * `plan_cache_mode` to `force_generic_plan`: a batch statement is prepared once per connection and
 * then neither parsed nor planned again (planning it was a quarter of a batch's time on the
 * database). What keeps such a plan from outliving the table size it was made for is the ANALYZE
 * the store runs each time the snapshot table has about doubled (SqlStore), and the search index's
 * ANALYZE of its own tables: an ANALYZE makes every session plan the statements using the table
 * again. Statements that must be planned for their values (`QueryOptions.customPlan`, searches)
 * run on a pool whose sessions set `force_custom_plan`: still prepared, so parsed once. Everything
 * else runs on the first pool with PostgreSQL's default choice of plans.
 */
export class PostgresClient implements SqlClient {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly planned: Sql,
    private readonly searching: Sql,
    private readonly where: string,
    private readonly prepare: boolean,
  ) {}

  query<T extends SqlRow = SqlRow>(text: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<T[]> {
    const pool = options?.batch === true ? this.planned : options?.customPlan === true ? this.searching : this.sql;
    return run<T>(pool, text, params, this.where, this.prepare);
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    try {
      const result = await this.planned.begin((tx) =>
        fn({
          query: <R extends SqlRow = SqlRow>(text: string, params: readonly unknown[] = []) => run<R>(tx, text, params, this.where, this.prepare),
        }),
      );
      return result as T;
    } catch (e) {
      if (!(e instanceof StoreUnavailableError) && isUnavailable(e)) {
        throw new StoreUnavailableError(`PostgreSQL at ${this.where} is unreachable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      throw e;
    }
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([this.sql, this.planned, this.searching].map((p) => p.end({ timeout: 5 }))).then(() => undefined);
    return this.closing;
  }
}

/**
 * Connects to PostgreSQL and checks that it answers; throws StoreUnavailableError naming the server
 * (never the password) when it does not.
 */
export async function openPostgresClient(options: PostgresClientOptions): Promise<PostgresClient> {
  const where = describeUrl(options.url);
  const { logger } = options;
  const connection: Record<string, string> = { application_name: 'doppel', ...SESSION_SETTINGS };
  if (options.schema !== undefined) connection['search_path'] = schemaIdentifier(options.schema);
  const max = options.maxConnections ?? 10;
  const prepare = options.prepare ?? true;
  const pool = (size: number, settings: Record<string, string>): Sql =>
    postgres(options.url, {
      max: size,
      connect_timeout: options.connectTimeoutSeconds ?? 10,
      prepare,
      connection: settings,
      onnotice: (notice) => {
        // NOTICEs such as "already exists, skipping" are expected; warnings are worth a line.
        if (notice['severity'] === 'WARNING') logger?.warn({ notice: notice['message'] }, 'PostgreSQL warning');
      },
    });
  const sql = pool(max, connection);
  const planned = pool(Math.max(1, options.writeConnections ?? 2), { ...connection, plan_cache_mode: 'force_generic_plan' });
  // Connections are opened when first needed: a server that is never searched opens none here.
  const searching = pool(Math.ceil(max / 2), { ...connection, plan_cache_mode: 'force_custom_plan' });
  const client = new PostgresClient(sql, planned, searching, where, prepare);
  try {
    await client.query('SELECT 1');
    await client.query('SELECT 1', [], { batch: true });
  } catch (e) {
    await Promise.all([sql, planned, searching].map((p) => p.end({ timeout: 0 }))).catch(() => undefined);
    if (e instanceof StoreUnavailableError) throw e;
    throw new StoreUnavailableError(`PostgreSQL at ${where} is unreachable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  logger?.info({ postgres: where, schema: options.schema }, 'PostgreSQL connected');
  return client;
}
