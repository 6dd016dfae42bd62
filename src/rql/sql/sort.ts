import type { Pointer } from '../../model/json-pointer.ts';
import type { SqlParams } from './params.ts';
import { indexPathOf, KIND, THING_COLUMNS, thingColumnSql, type RowAliases } from './paths.ts';

// sort(+a,-b) -> ORDER BY over the search index, plus the keyset condition that continues after
// a given row (cursor paging). The thing ID always ends the order, so the order is total.
//
// A field kept as a column sorts by that column. Any other field sorts by one of its values: the
// smallest for ascending, the largest for descending order, grouped by type as MongoDB (Ditto's
// index) does: absent, null, numbers, strings, booleans. Each such key is four SQL values
// (type rank, number, string, boolean), compared as a row.

export interface SortField {
  readonly pointer: Pointer;
  readonly direction: 'asc' | 'desc';
}

/** A policy (in a namespace) and, for feature fields, the feature a sort value comes from. */
export interface SortScope {
  readonly policyId: string;
  readonly namespace: string;
  /** The feature ID ('' outside features). */
  readonly fid: string;
}

/**
 * Things whose sort value the caller may not read: per scope, the pointer lengths at which a
 * value's leaf is readable (empty: none is). A value's leaf is its first array on the way down
 * (arrays are policy leaves) or the value itself; which one that is depends on the thing, so
 * scopes whose verdict depends on it carry the readable lengths and the SQL finds the leaf.
 */
export interface SortHiding {
  readonly scopes: readonly SortScope[];
  readonly readableDepths: readonly number[];
}

/**
 * Where a value's leaf may sit: from the first level that can hold an array (`attributes/<key>`,
 * `features/<id>/properties/<key>`) down to the field itself.
 */
export function leafDepths(pointer: Pointer): number[] {
  const first = pointer[0] === 'features' ? (pointer[2] === 'properties' || pointer[2] === 'desiredProperties' ? 4 : 3) : 2;
  const out: number[] = [];
  for (let d = Math.min(first, pointer.length); d <= pointer.length; d++) out.push(d);
  return out;
}

type KeyType = 'text' | 'float8' | 'boolean' | 'int';

interface SortKey {
  readonly exprs: readonly string[];
  readonly types: readonly KeyType[];
  readonly direction: 'asc' | 'desc';
}

export interface CompiledSort {
  /** LEFT JOIN LATERAL clauses to add after the per-thing table. */
  readonly joins: readonly string[];
  /** Select-list entries `expr AS k<i>`, in key order. */
  readonly select: readonly string[];
  /** The names of the selected key columns, in order (what a cursor stores). */
  readonly keyColumns: readonly string[];
  readonly orderBy: string;
  readonly keys: readonly SortKey[];
}

const RANK = `CASE x.kind WHEN ${KIND.null} THEN 1 WHEN ${KIND.number} THEN 2 WHEN ${KIND.string} THEN 3 ELSE 4 END`;

export interface SortSqlOptions extends RowAliases {
  readonly valueTable: string;
  /** Applied to paths, as the index applied it to the stored ones. */
  readonly text?: (s: string) => string;
  /** Per sort field (same order), the things that sort as if the field were absent for the caller. */
  readonly hidden?: readonly (readonly SortHiding[] | undefined)[];
}

/** `(policy, namespace, fid) IN (...)` for the scopes of one hiding. */
function inScopes(h: SortHiding, fid: string, thing: string, params: SqlParams, text: (s: string) => string): string {
  const ids = params.add(h.scopes.map((s) => text(s.policyId)), 'text[]');
  const nss = params.add(h.scopes.map((s) => text(s.namespace)), 'text[]');
  const fids = params.add(h.scopes.map((s) => text(s.fid)), 'text[]');
  return `(${thing}.policy_id, ${thing}.namespace, ${fid}) IN (SELECT * FROM unnest(${ids}, ${nss}, ${fids}))`;
}

/** The pointer length of the leaf holding the value row `x`: its first array above, or itself. */
function leafDepthOf(pointer: Pointer, valueTable: string, params: SqlParams, text: (s: string) => string): string {
  const above = leafDepths(pointer).filter((d) => d < pointer.length);
  if (above.length === 0) return String(pointer.length);
  const paths = above.map((d) => text(indexPathOf(pointer.slice(0, d)).gpath));
  const cases = above.map((d, i) => `WHEN ${params.add(paths[i], 'text')} THEN ${d}`).join(' ');
  return `coalesce((SELECT min(CASE y.gpath ${cases} END) FROM ${valueTable} y WHERE y.thing_id = x.thing_id AND y.fid = x.fid` +
    ` AND y.kind = ${KIND.array} AND y.gpath = ANY(${params.add(paths, 'text[]')})), ${pointer.length})`;
}

/** True for the rows (or things) whose sort value the caller may not read. */
function hiddenCondition(hidden: readonly SortHiding[], pointer: Pointer, fid: string, o: SortSqlOptions, params: SqlParams): string {
  const text = o.text ?? ((x: string): string => x);
  return hidden.map((h) => {
    const scope = inScopes(h, fid, o.thing, params, text);
    if (h.readableDepths.length === 0) return `(${scope})`;
    return `(${scope} AND NOT ${leafDepthOf(pointer, o.valueTable, params, text)} = ANY(${params.add(h.readableDepths, 'int[]')}))`;
  }).join(' OR ');
}

export function compileSort(fields: readonly SortField[], params: SqlParams, o: SortSqlOptions): CompiledSort {
  const text = o.text ?? ((x: string): string => x);
  const joins: string[] = [];
  const keys: SortKey[] = [];
  fields.forEach((field, i) => {
    const name = field.pointer.length === 1 ? (field.pointer[0] as string) : undefined;
    const column = name === undefined ? undefined : THING_COLUMNS[name];
    if (column !== undefined) {
      // int8 comes back as a string from some drivers; revisions fit a float8 exactly.
      const c = thingColumnSql(column, o);
      const hidden = o.hidden?.[i];
      // A policy ID the caller may not read sorts as a thing without one.
      const policy = hidden === undefined || hidden.length === 0 ? `coalesce(${c}, '')` : `CASE WHEN ${hiddenCondition(hidden, field.pointer, "''", o, params)} THEN '' ELSE coalesce(${c}, '') END`;
      const expr = column.type === 'bigint' ? `${c}::float8` : column.column === 'policy_id' ? policy : c;
      keys.push({ exprs: [expr], types: [column.type === 'text' ? 'text' : 'float8'], direction: field.direction });
      return;
    }
    const path = indexPathOf(field.pointer);
    const dir = field.direction === 'asc' ? 'ASC' : 'DESC';
    const where = [`x.thing_id = ${o.thing}.thing_id`, `x.gpath = ${params.add(text(path.gpath), 'text')}`, `x.kind <= ${KIND.string}`];
    if (path.fid !== undefined) where.push(`x.fid = ${params.add(text(path.fid), 'text')}`);
    // Values the caller may not read are left out: a thing with none left sorts as without the field.
    const hidden = o.hidden?.[i];
    if (hidden !== undefined && hidden.length > 0) where.push(`NOT (${hiddenCondition(hidden, field.pointer, 'x.fid', o, params)})`);
    const j = `j${i}`;
    joins.push(
      `LEFT JOIN LATERAL (SELECT ${RANK} AS rank, x.n, x.t, x.b FROM ${o.valueTable} x WHERE ${where.join(' AND ')}` +
        ` ORDER BY 1 ${dir}, 2 ${dir}, 3 ${dir}, 4 ${dir} LIMIT 1) ${j} ON TRUE`,
    );
    keys.push({
      exprs: [`coalesce(${j}.rank, 0)`, `coalesce(${j}.n, 0)`, `coalesce(${j}.t, '')`, `coalesce(${j}.b, false)`],
      types: ['int', 'float8', 'text', 'boolean'],
      direction: field.direction,
    });
  });
  if (!fields.some((f) => f.pointer.length === 1 && f.pointer[0] === 'thingId')) {
    keys.push({ exprs: [`${o.thing}.thing_id`], types: ['text'], direction: 'asc' });
  }
  const select: string[] = [];
  const keyColumns: string[] = [];
  const order: string[] = [];
  for (const key of keys) {
    for (const expr of key.exprs) {
      const alias = `k${keyColumns.length}`;
      select.push(`${expr} AS ${alias}`);
      keyColumns.push(alias);
      order.push(`${expr} ${key.direction === 'asc' ? 'ASC' : 'DESC'}`);
    }
  }
  return { joins, select, keyColumns, orderBy: order.join(', '), keys };
}

/**
 * The condition for rows strictly after the row whose key values are `after` (as selected by
 * `keyColumns`) in the order of `sort`. Undefined when `after` does not fit the sort.
 */
export function keysetCondition(sort: CompiledSort, after: readonly unknown[], params: SqlParams): string | undefined {
  const width = sort.keys.reduce((n, k) => n + k.exprs.length, 0);
  if (after.length !== width) return undefined;
  let at = 0;
  const equal: string[] = [];
  const alternatives: string[] = [];
  for (const key of sort.keys) {
    const values: string[] = [];
    for (let i = 0; i < key.exprs.length; i++) {
      const p = bind(after[at + i], key.types[i] as KeyType, params);
      if (p === undefined) return undefined;
      values.push(p);
    }
    at += key.exprs.length;
    const left = key.exprs.length === 1 ? (key.exprs[0] as string) : `(${key.exprs.join(', ')})`;
    const right = values.length === 1 ? (values[0] as string) : `(${values.join(', ')})`;
    alternatives.push([...equal, `${left} ${key.direction === 'asc' ? '>' : '<'} ${right}`].join(' AND '));
    equal.push(`${left} = ${right}`);
  }
  return alternatives.map((a) => `(${a})`).join(' OR ');
}

function bind(v: unknown, type: KeyType, params: SqlParams): string | undefined {
  switch (type) {
    case 'text':
      return typeof v === 'string' ? params.add(v, 'text') : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? params.add(v, 'boolean') : undefined;
    case 'int':
      return Number.isInteger(v) ? `${params.add(v, 'bigint')}::int` : undefined;
    case 'float8':
      return typeof v === 'number' && Number.isFinite(v) ? params.add(v, 'float8') : undefined;
  }
}
