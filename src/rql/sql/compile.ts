import type { Pointer } from '../../model/json-pointer.ts';
import { isTimePlaceholder, type RqlFilter, type RqlProperty, type RqlSingleOp, type RqlValue } from '../ast.ts';
import { resolveTimePlaceholder } from '../time-placeholder.ts';
import { compactParams, SqlParams, type SqlFragment } from './params.ts';
import { ALWAYS_VISIBLE, indexPathOf, KIND, THING_COLUMNS, thingColumnSql, type RowAliases } from './paths.ts';

// RQL filter -> SQL condition over the search index (see docs/search.md).
//
// The index holds every thing in full, but a caller sees a thing through its policy: a field it
// may not read is absent for it. The SQL therefore never decides a match alone: it selects
// candidates, and the service evaluates the filter exactly on each candidate's readable view.
// What the SQL must guarantee is that it never drops a thing whose view matches:
// - in positive position (under an even number of `not`s) a condition may match more than the
//   filter, never less. eq/gt/in/like/exists on the stored values are such conditions, because a
//   view holds a subset of the stored values;
// - in negative position (inside a `not`) a condition may match less, never more, so that its
//   negation matches more. Only fields every reader sees (thingId and the special fields) can be
//   tested there; anything else becomes FALSE there (no restriction once negated).
// `empty` is true where a field is absent, which a hidden field is, so in positive position it
// restricts only the always visible fields.

export interface RqlSqlOptions extends RowAliases {
  /** Qualified name of the value table. */
  readonly valueTable: string;
  /** The instant time placeholders resolve to. */
  readonly now: Date;
  /** Applied to every string value, as the index applied it to the stored strings. */
  readonly text?: (s: string) => string;
}

type Polarity = 'positive' | 'negative';

const TRUE = 'TRUE';
const FALSE = 'FALSE';

/** The SQL condition for `filter`, with its own numbering of parameters. */
export function rqlToSql(filter: RqlFilter, options: RqlSqlOptions): SqlFragment {
  const params = new SqlParams();
  return compactParams(rqlCondition(filter, params, options), params.values);
}

/** The SQL condition for `filter`, adding its values to `params`. */
export function rqlCondition(filter: RqlFilter, params: SqlParams, options: RqlSqlOptions): string {
  return compileRqlSql(filter, params, options).condition;
}

/** A compiled filter and what it is worth for a caller who may read the whole thing. */
export interface CompiledRqlSql {
  readonly condition: string;
  /**
   * For a thing its reader sees whole (READ at the root, revoked nowhere), the condition holds
   * exactly when the filter does, unless the thing holds an array at one of `arrayPrefixes`.
   * False: the condition only proposes candidates, even for such readers.
   */
  readonly exact: boolean;
  /**
   * Generic paths (as stored) of the proper prefixes of the value paths the filter names. The
   * index stores the fields of objects nested in arrays of arrays under the outer array's path,
   * where a filter does not reach them (json-walk.ts): a thing with an array on the way to a
   * filtered field is not decided by the condition alone.
   */
  readonly arrayPrefixes: readonly string[];
  /**
   * When the whole condition is one test of value rows (`thing_id IN (SELECT ...)`) whose rows the
   * index does not give in thing ID order (anything but an equality with one value): that SELECT,
   * giving the ID of each thing with a matching value row (once per row; `v` is the value table).
   */
  readonly unorderedValueRows?: string;
}

/** The SQL condition for `filter`, adding its values to `params`, with its exactness (see `CompiledRqlSql`). */
export function compileRqlSql(filter: RqlFilter, params: SqlParams, options: RqlSqlOptions): CompiledRqlSql {
  const compiler = new Compiler(params, options);
  const compiled = compiler.compile(filter, 'positive');
  const condition = compiler.sql(compiled);
  const unordered = typeof compiled !== 'string' && (compiled.arms.length > 1 || compiled.arms.some((a) => !a.inIdOrder));
  return { condition, exact: compiler.exact, arrayPrefixes: [...compiler.arrayPrefixes], ...(unordered ? { unorderedValueRows: compiler.select(compiled) } : {}) };
}

type Scalar = string | number | boolean | null;

/**
 * "The thing has a value row meeting one of these arms". Kept apart from plain SQL while compiling
 * so that an `or` of such conditions becomes one `IN` over the value rows meeting any of the arms,
 * with their paths listed once more for the index: PostgreSQL then may join it, and for a few
 * candidates look up only their rows at those paths (a handful of index entries each), where an
 * `OR` of separate `IN`s left it one plan, hashing every operand whole (the and/or of the search
 * benchmark at 1,000,000 things: 85-190 ms against about 5 ms; docs/benchmarks.md).
 */
interface ValueRows {
  /**
   * `gpath` is the parameter of the path `path`; `condition` what else a row must meet; `inIdOrder`
   * whether the index gives the rows meeting it in thing ID order (an equality with one value).
   */
  readonly arms: readonly { readonly path: string; readonly gpath: string; readonly condition: string; readonly inIdOrder: boolean }[];
}

type Condition = string | ValueRows;

class Compiler {
  /** Whether every condition so far is exact for a whole-thing reader (see `CompiledRqlSql`). */
  exact = true;
  readonly arrayPrefixes = new Set<string>();

  constructor(
    private readonly params: SqlParams,
    private readonly o: RqlSqlOptions,
  ) {}

  /** The SQL of a compiled condition. */
  sql(c: Condition): string {
    return typeof c === 'string' ? c : `${this.o.thing}.thing_id IN (${this.select(c)})`;
  }

  /** The thing IDs of the value rows `c` tests. */
  select(c: ValueRows): string {
    const select = `SELECT v.thing_id FROM ${this.o.valueTable} v WHERE`;
    const arm = (a: ValueRows['arms'][number]): string => `v.gpath = ${a.gpath}${a.condition === TRUE ? '' : ` AND ${a.condition}`}`;
    if (c.arms.length === 1) return `${select} ${arm(c.arms[0] as ValueRows['arms'][number])}`;
    const paths = new Map<string, string>();
    for (const a of c.arms) if (!paths.has(a.path)) paths.set(a.path, a.gpath);
    const listed = [...paths.values()];
    const arms = c.arms.map((a) => `(${arm(a)})`).join(' OR ');
    return `${select} ${listed.length === 1 ? `v.gpath = ${listed[0] ?? ''}` : `v.gpath IN (${listed.join(', ')})`} AND (${arms})`;
  }

  compile(f: RqlFilter, polarity: Polarity): Condition {
    switch (f.op) {
      case 'and':
        return combine(f.filters.map((x) => this.sql(this.compile(x, polarity))), 'AND');
      case 'or': {
        const parts = f.filters.map((x) => this.compile(x, polarity));
        if (parts.includes(TRUE)) return TRUE;
        const rest = parts.filter((p) => p !== FALSE);
        if (rest.length === 1) return rest[0] as Condition;
        if (rest.length > 1 && rest.every((p) => typeof p !== 'string')) return { arms: rest.flatMap((p) => p.arms) };
        return combine(rest.map((p) => this.sql(p)), 'OR');
      }
      case 'not': {
        const inner = this.sql(this.compile(f.filter, polarity === 'positive' ? 'negative' : 'positive'));
        return inner === TRUE ? FALSE : inner === FALSE ? TRUE : `NOT (${inner})`;
      }
      default:
        break;
    }
    const field = fieldOf(f.property);
    if (field === undefined) return this.widened(polarity === 'positive' ? TRUE : FALSE);
    const exact = ALWAYS_VISIBLE.has(field[0] as string) && field.length === 1;
    if (polarity === 'negative' && !exact) return this.widened(FALSE);
    // A hidden field is absent, hence empty: only always visible fields restrict here. (`empty`
    // is never exact: the SQL does not look for empty values.)
    if (f.op === 'empty') this.exact = false;
    if (f.op === 'empty' && !exact) return TRUE;
    const column = field.length === 1 ? THING_COLUMNS[field[0] as string] : undefined;
    if (column !== undefined) return this.column(f, thingColumnSql(column, this.o), column.type, polarity);
    // Only these roots are indexed; the evaluator would find others in the document.
    if (!INDEXED_ROOTS.has(field[0] as string) || !field.every(plainText)) return this.widened(polarity === 'positive' ? TRUE : FALSE);
    return this.values(f, field);
  }

  /** Notes that `condition` only approximates the filter, even for a whole-thing reader. */
  private widened<C extends Condition>(condition: C): C {
    this.exact = false;
    return condition;
  }

  /** Notes whether the string `v` compares in SQL as in the evaluator (for `op`); see `plainText`. */
  private checkString(v: Scalar | undefined, op: RqlSingleOp | 'like'): void {
    if (typeof v !== 'string') return;
    if (!plainText(v) || (op !== 'eq' && op !== 'ne' && op !== 'like' && !orderedAlike(v))) this.exact = false;
  }

  /** A filter on a column of the per-thing row (exact: no arrays, no absence except policyId). */
  private column(f: RqlFilter, expr: string, type: 'text' | 'bigint', polarity: Polarity): string {
    const typed = (v: RqlValue): Scalar | undefined => {
      const r = this.resolve(v);
      this.checkString(r, 'eq');
      if (type === 'text') return typeof r === 'string' ? r : undefined;
      return typeof r === 'number' ? r : undefined;
    };
    const cast = type === 'text' ? 'text' : 'float8';
    // Text columns are declared COLLATE "C": byte order, as the evaluator's code unit order for
    // all but astral characters.
    const target = expr;
    switch (f.op) {
      case 'exists':
        return `${expr} IS NOT NULL`;
      case 'empty':
        return `${expr} IS NULL`;
      case 'like':
      case 'ilike':
        return type === 'text' ? this.like(f.op, target, f.pattern, polarity) : FALSE;
      case 'in': {
        const vs = f.values.map(typed).filter((v): v is string | number => v !== undefined && v !== null);
        if (vs.length === 0) return FALSE;
        return `${expr} = ANY(${this.params.add(vs, type === 'text' ? 'text[]' : 'float8[]')})`;
      }
      case 'eq':
      case 'ne':
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le': {
        // The evaluator never matches a time placeholder it cannot resolve, not even with ne.
        if (f.op === 'ne' && isTimePlaceholder(f.value) && this.resolve(f.value) === undefined) this.exact = false;
        const v = typed(f.value);
        this.checkString(v, f.op);
        if (v === undefined || v === null) return f.op === 'ne' ? `${expr} IS NOT NULL` : FALSE;
        return `${target} ${SQL_OP[f.op]} ${this.params.add(v, cast)}`;
      }
      default:
        return TRUE;
    }
  }

  /** A filter on value rows; `field` is not always visible, so this runs in positive position only. */
  private values(f: RqlFilter, field: Pointer): Condition {
    const path = indexPathOf(field);
    const text = this.o.text ?? ((x: string): string => x);
    for (let i = objectLevels(field); i < field.length; i++) this.arrayPrefixes.add(text(indexPathOf(field.slice(0, i)).gpath));
    const rows = (condition: string, inIdOrder = false): ValueRows => {
      const text = this.o.text ?? ((x: string): string => x);
      const stored = text(path.gpath);
      const gpath = this.params.add(stored, 'text');
      const where: string[] = [];
      if (path.fid !== undefined) where.push(`v.fid = ${this.params.add(text(path.fid), 'text')}`);
      // An OR is parenthesised, or it would take the path conditions with it.
      if (condition !== TRUE) where.push(condition !== ANY_ROW && condition.includes(' OR ') ? `(${condition})` : condition);
      return { arms: [{ path: stored, gpath, condition: where.length === 0 ? TRUE : where.join(' AND '), inIdOrder }] };
    };
    switch (f.op) {
      case 'exists':
        return rows(ANY_ROW);
      case 'empty':
        return TRUE;
      case 'like':
      case 'ilike':
        return rows(combine([`v.kind = ${KIND.string} AND v.t IS NOT NULL`, this.like(f.op, 'v.t', f.pattern, 'positive')], 'AND'));
      case 'in': {
        const parts = f.values.map((v) => {
          const r = this.resolve(v);
          this.checkString(r, 'eq');
          return this.valueTest('eq', r);
        });
        const condition = combine(parts, 'OR');
        return condition === FALSE ? FALSE : rows(condition);
      }
      case 'ne': {
        // Exists, and no value equals: exact on one path; with the wildcard a hidden feature
        // may hold the equal value, so only existence is required there.
        const exists = rows(ANY_ROW);
        if (path.fid === undefined) return this.widened(exists);
        const r = this.resolve(f.value);
        if (r === undefined) this.exact = false;
        this.checkString(r, 'ne');
        const equal = this.valueTest('eq', r);
        return equal === FALSE ? exists : `${this.sql(exists)} AND NOT ${this.sql(rows(equal))}`;
      }
      case 'eq':
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le': {
        const r = this.resolve(f.value);
        // Stored strings holding U+0000 are stored with U+FFFF in its place: ranges on them differ.
        if (typeof r === 'string' && f.op !== 'eq') this.exact = false;
        this.checkString(r, f.op);
        const condition = this.valueTest(f.op, r);
        // An equality at one path (no feature wildcard): its index entries come in thing ID order.
        return condition === FALSE ? FALSE : rows(condition, f.op === 'eq' && path.fid !== undefined);
      }
      default:
        return TRUE;
    }
  }

  /** The condition one value row must meet; values only ever compare with the same JSON type. */
  private valueTest(op: Exclude<RqlSingleOp, 'ne'>, v: Scalar | undefined): string {
    if (v === undefined) return FALSE;
    if (v === null) return op === 'eq' ? `v.kind = ${KIND.null} AND ${NO_T_NO_N}` : FALSE;
    const sqlOp = SQL_OP[op];
    switch (typeof v) {
      case 'string':
        return `v.kind = ${KIND.string} AND v.t ${sqlOp} ${this.params.add(v, 'text')}`;
      case 'number':
        return `v.kind = ${KIND.number} AND v.n ${sqlOp} ${this.params.add(v, 'float8')}`;
      default:
        return `v.kind = ${KIND.boolean} AND ${NO_T_NO_N} AND v.b ${sqlOp} ${this.params.add(v, 'boolean')}`;
    }
  }

  /**
   * `like` becomes SQL LIKE (with an explicit prefix range so a B-tree index serves it whatever
   * the plan); `ilike` folds ASCII only in SQL, so a pattern with other letters restricts
   * nothing there and is decided by the exact evaluation. Lower-casing some non-ASCII letters
   * yields ASCII ones (U+212A KELVIN SIGN is `k`, U+0130 is `i` and a combining dot), so any
   * string with a non-ASCII character (more bytes than characters) stays a candidate of `ilike`;
   * in negative position (thing ID, namespace) only ASCII strings, where SQL folds as the
   * evaluator does, match.
   */
  private like(op: 'like' | 'ilike', expr: string, text: string, polarity: Polarity): string {
    // ilike: the evaluator lower-cases every letter, SQL only ASCII ones.
    if (op === 'ilike') this.exact = false;
    this.checkString(text, 'like');
    const pattern = this.o.text === undefined ? text : this.o.text(text);
    const sqlPattern = toSqlLike(pattern);
    if (op === 'ilike') {
      if ([...pattern].some((ch) => (ch.codePointAt(0) ?? 0) > 0x7f)) return polarity === 'positive' ? TRUE : FALSE;
      const folded = `lower(${expr}) LIKE ${this.params.add(sqlPattern.toLowerCase(), 'text')}`;
      return polarity === 'positive' ? `${folded} OR octet_length(${expr}) <> length(${expr})` : `${folded} AND octet_length(${expr}) = length(${expr})`;
    }
    const prefix = likePrefix(pattern);
    const conditions = [`${expr} LIKE ${this.params.add(sqlPattern, 'text')}`];
    if (prefix !== '') {
      conditions.unshift(`${expr} >= ${this.params.add(prefix, 'text')}`);
      const upper = prefixUpperBound(prefix);
      if (upper !== undefined) conditions.splice(1, 0, `${expr} < ${this.params.add(upper, 'text')}`);
    }
    return conditions.join(' AND ');
  }

  private resolve(v: RqlValue): Scalar | undefined {
    const r = isTimePlaceholder(v) ? resolveTimePlaceholder(v, this.o.now) : v;
    return typeof r === 'string' && this.o.text !== undefined ? this.o.text(r) : r;
  }
}

// The value table has three partial indexes on the path: strings (t set), numbers and containers
// (n set), and nulls and booleans (neither). Conditions name the partial index's predicate so
// the planner may use it, and "any row at the path" is spelled out as the three cases, each
// served by its own index.
const NO_T_NO_N = 'v.t IS NULL AND v.n IS NULL';
const ANY_ROW = `(v.t IS NOT NULL OR v.n IS NOT NULL OR (${NO_T_NO_N}))`;

const INDEXED_ROOTS: ReadonlySet<string> = new Set(['definition', 'attributes', 'features']);

/**
 * The length of a pointer's shortest prefix that may hold an array; shorter prefixes name places a
 * stored thing always holds as objects (or not at all): `attributes`, `features`, a feature and its (desired) properties are validated so
 * (src/services/things/thing-validation.ts); no array can be on the way there.
 */
function objectLevels(field: Pointer): number {
  if (field[0] === 'attributes') return 2;
  if (field[0] !== 'features') return 1;
  return field[2] === 'properties' || field[2] === 'desiredProperties' ? 4 : 3;
}

/**
 * Whether the string is stored as it is and no stored string maps to it: the index stores U+0000
 * as U+FFFF and unpaired surrogates as U+FFFD (src/adapters/sql/search-rows.ts), so a value with
 * any of these four may equal in SQL what differs in the document.
 */
function plainText(s: string): boolean {
  return !s.includes('\u0000') && !/[\ufffd\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/**
 * Whether strings order against `s` alike in SQL ("C": code points) and in the evaluator (UTF-16
 * code units): the two orders differ only between two code units at or above U+D800.
 */
function orderedAlike(s: string): boolean {
  return !/[\ud800-\uffff]/.test(s);
}

const SQL_OP: Readonly<Record<RqlSingleOp, string>> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };

function fieldOf(p: RqlProperty): Pointer | undefined {
  return p.kind === 'field' ? p.pointer : undefined;
}

function combine(parts: readonly string[], op: 'AND' | 'OR'): string {
  const absorbing = op === 'AND' ? FALSE : TRUE;
  const neutral = op === 'AND' ? TRUE : FALSE;
  if (parts.includes(absorbing)) return absorbing;
  const rest = parts.filter((p) => p !== neutral);
  if (rest.length === 0) return neutral;
  if (rest.length === 1) return rest[0] as string;
  return rest.map((p) => `(${p})`).join(` ${op} `);
}

/** RQL `*` and `?` to SQL `%` and `_`; SQL's own wildcards and the escape are escaped. */
export function toSqlLike(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '*') out += '%';
    else if (ch === '?') out += '_';
    else if (ch === '%' || ch === '_' || ch === '\\') out += '\\' + ch;
    else out += ch;
  }
  return out;
}

/** The literal text before the first wildcard. */
export function likePrefix(pattern: string): string {
  const i = pattern.search(/[*?]/);
  return i < 0 ? pattern : pattern.slice(0, i);
}

/**
 * The smallest string above every string starting with `prefix` in byte order (the index's "C"
 * collation): the prefix with its last code point incremented. Undefined when there is none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next);
  }
  return undefined;
}
