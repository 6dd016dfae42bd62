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
  return new Compiler(params, options).compile(filter, 'positive');
}

type Scalar = string | number | boolean | null;

class Compiler {
  constructor(
    private readonly params: SqlParams,
    private readonly o: RqlSqlOptions,
  ) {}

  compile(f: RqlFilter, polarity: Polarity): string {
    switch (f.op) {
      case 'and':
        return combine(f.filters.map((x) => this.compile(x, polarity)), 'AND');
      case 'or':
        return combine(f.filters.map((x) => this.compile(x, polarity)), 'OR');
      case 'not': {
        const inner = this.compile(f.filter, polarity === 'positive' ? 'negative' : 'positive');
        return inner === TRUE ? FALSE : inner === FALSE ? TRUE : `NOT (${inner})`;
      }
      default:
        break;
    }
    const field = fieldOf(f.property);
    if (field === undefined) return polarity === 'positive' ? TRUE : FALSE;
    const exact = ALWAYS_VISIBLE.has(field[0] as string) && field.length === 1;
    if (polarity === 'negative' && !exact) return FALSE;
    // A hidden field is absent, hence empty: only always visible fields restrict here.
    if (f.op === 'empty' && !exact) return TRUE;
    const column = field.length === 1 ? THING_COLUMNS[field[0] as string] : undefined;
    if (column !== undefined) return this.column(f, thingColumnSql(column, this.o), column.type);
    if (field[0] === '_metadata') return polarity === 'positive' ? TRUE : FALSE;
    return this.values(f, field);
  }

  /** A filter on a column of the per-thing row (exact: no arrays, no absence except policyId). */
  private column(f: RqlFilter, expr: string, type: 'text' | 'bigint'): string {
    const typed = (v: RqlValue): Scalar | undefined => {
      const r = this.resolve(v);
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
        return type === 'text' ? this.like(f.op, target, f.pattern) : FALSE;
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
        const v = typed(f.value);
        if (v === undefined || v === null) return f.op === 'ne' ? `${expr} IS NOT NULL` : FALSE;
        return `${target} ${SQL_OP[f.op]} ${this.params.add(v, cast)}`;
      }
      default:
        return TRUE;
    }
  }

  /** A filter on value rows; `field` is not always visible, so this runs in positive position only. */
  private values(f: RqlFilter, field: Pointer): string {
    const path = indexPathOf(field);
    const rows = (condition: string): string => {
      const text = this.o.text ?? ((x: string): string => x);
      const where = [`v.gpath = ${this.params.add(text(path.gpath), 'text')}`];
      if (path.fid !== undefined) where.push(`v.fid = ${this.params.add(text(path.fid), 'text')}`);
      if (condition !== TRUE) where.push(condition);
      return `${this.o.thing}.thing_id IN (SELECT v.thing_id FROM ${this.o.valueTable} v WHERE ${where.join(' AND ')})`;
    };
    switch (f.op) {
      case 'exists':
        return rows(ANY_ROW);
      case 'empty':
        return TRUE;
      case 'like':
      case 'ilike':
        return rows(combine([`v.kind = ${KIND.string} AND v.t IS NOT NULL`, this.like(f.op, 'v.t', f.pattern)], 'AND'));
      case 'in': {
        const parts = f.values.map((v) => this.valueTest('eq', this.resolve(v)));
        const condition = combine(parts, 'OR');
        return condition === FALSE ? FALSE : rows(condition);
      }
      case 'ne': {
        // Exists, and no value equals: exact on one path; with the wildcard a hidden feature
        // may hold the equal value, so only existence is required there.
        const exists = rows(ANY_ROW);
        if (path.fid === undefined) return exists;
        const equal = this.valueTest('eq', this.resolve(f.value));
        return equal === FALSE ? exists : `${exists} AND NOT ${rows(equal)}`;
      }
      case 'eq':
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le': {
        const condition = this.valueTest(f.op, this.resolve(f.value));
        return condition === FALSE ? FALSE : rows(condition);
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
   * nothing there and is decided by the exact evaluation.
   */
  private like(op: 'like' | 'ilike', expr: string, text: string): string {
    const pattern = this.o.text === undefined ? text : this.o.text(text);
    const sqlPattern = toSqlLike(pattern);
    if (op === 'ilike') {
      if ([...pattern].some((ch) => (ch.codePointAt(0) ?? 0) > 0x7f)) return TRUE;
      return `lower(${expr}) LIKE ${this.params.add(sqlPattern.toLowerCase(), 'text')}`;
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
