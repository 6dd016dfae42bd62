// Batch writes on PGlite (`QueryOptions.batch`): prepared once, run with a generic plan that is
// made again as the tables grow.
//
// PGlite runs one statement at a time, synchronously, in the database's thread, so whatever it
// spends on a statement is time no other statement runs (and CPU the server's thread may need
// on a small machine). Parsing and planning the batch write
// statement (a dozen WITH items over five tables) cost about as much as executing it: planning
// alone was ~1.6 ms of a ~5 ms batch of 16 writes (docs/benchmarks.md). A prepared statement with
// a generic plan skips both. The danger of a generic plan is the one QueryOptions.batch describes:
// made while the tables were small, it may scan them whole and stay in use after they have grown.
// So the cached plan is dropped and made again after the 1st, 2nd, 4th, ... 256th execution and
// then every 256th (`DISCARD PLANS`): a plan is never used for more executions than had run
// before it was made (up to 256), so it is made again by the time the tables have had that many
// batches more. An ANALYZE of a table (the search index runs them) also invalidates the plans that
// use it.
//
// PGlite's query() always sends an unnamed statement, so the prepared statement is run with SQL:
// `EXECUTE name(arguments)`, the arguments written as quoted literals (single quotes doubled; the
// session keeps standard_conforming_strings on, so a backslash is an ordinary character). The
// plan_cache_mode that forces the generic plan is set around that one EXECUTE only: the searches'
// statements keep their plans made for their parameters.

/** What the statements need of PGlite or of one of its transactions. */
export interface ExecQueryable {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(text: string): Promise<{ rows: unknown[] }[]>;
}

/** After the 256th execution, the plan is made again every 256 executions. */
const REPLAN_EVERY = 256;
/** Statement texts prepared at most; others run unprepared (the store has a handful). */
const MAX_STATEMENTS = 32;

interface Prepared {
  readonly name: string;
  /** Settles when the PREPARE has run; rejects when it failed. */
  readonly ready: Promise<void>;
  executions: number;
}

/** Statement names are unique in the process, so two instances never clash in one database. */
let named = 0;

export class BatchStatements {
  private readonly statements = new Map<string, Prepared>();

  constructor(private readonly mapError: (e: unknown) => unknown) {}

  async run<T>(db: ExecQueryable, text: string, params: readonly unknown[]): Promise<T[]> {
    try {
      const args = literals(params);
      const prepared = args === undefined ? undefined : this.prepared(db, text);
      if (args === undefined || prepared === undefined) return (await db.query<T>(text, [...params])).rows;
      await prepared.ready;
      const n = ++prepared.executions;
      const replan = n <= REPLAN_EVERY ? (n & (n - 1)) === 0 : n % REPLAN_EVERY === 0;
      const results = await db.exec(
        `SET plan_cache_mode = force_generic_plan; ${replan ? 'DISCARD PLANS; ' : ''}EXECUTE ${prepared.name}(${args}); RESET plan_cache_mode`,
      );
      return (results[replan ? 2 : 1]?.rows ?? []) as T[];
    } catch (e) {
      throw this.mapError(e);
    }
  }

  /** The prepared statement of `text`, prepared by the first caller; undefined when there are too many. */
  private prepared(db: ExecQueryable, text: string): Prepared | undefined {
    const known = this.statements.get(text);
    if (known !== undefined) return known;
    if (this.statements.size >= MAX_STATEMENTS) return undefined;
    const name = `doppel_batch_${++named}`;
    const prepared: Prepared = { name, executions: 0, ready: db.exec(`PREPARE ${name} AS ${text}`).then(() => undefined) };
    this.statements.set(text, prepared);
    // A failed PREPARE (say, in a transaction that had already failed) is tried again next time.
    prepared.ready.catch(() => {
      if (this.statements.get(text) === prepared) this.statements.delete(text);
    });
    return prepared;
  }
}

/**
 * The parameters as a list of SQL literals, or undefined when one has no literal form here (the
 * statement then runs with bound parameters instead). Each is quoted, whatever its type: the
 * prepared statement's parameter types convert them.
 */
export function literals(params: readonly unknown[]): string | undefined {
  const out: string[] = [];
  for (const p of params) {
    if (p === null || p === undefined) {
      out.push('NULL');
      continue;
    }
    const text = Array.isArray(p) ? arrayLiteral(p) : scalarText(p);
    const literal = text === undefined ? undefined : quoted(text);
    if (literal === undefined) return undefined;
    out.push(literal);
  }
  return out.join(', ');
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

/** PostgreSQL's array input form: every element double-quoted, `"` and `\` escaped by a backslash. */
function arrayLiteral(values: readonly unknown[]): string | undefined {
  const elements: string[] = [];
  for (const v of values) {
    if (v === null || v === undefined) {
      elements.push('NULL');
      continue;
    }
    const text = scalarText(v);
    if (text === undefined) return undefined;
    elements.push(`"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  }
  return `{${elements.join(',')}}`;
}

/** A standard SQL string literal; undefined for text PostgreSQL cannot hold (U+0000). */
function quoted(s: string): string | undefined {
  return s.includes('\u0000') ? undefined : `'${s.replaceAll("'", "''")}'`;
}
