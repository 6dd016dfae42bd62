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
      const expr = column.type === 'bigint' ? `${c}::float8` : column.column === 'policy_id' ? `coalesce(${c}, '')` : c;
      keys.push({ exprs: [expr], types: [column.type === 'text' ? 'text' : 'float8'], direction: field.direction });
      return;
    }
    const path = indexPathOf(field.pointer);
    const dir = field.direction === 'asc' ? 'ASC' : 'DESC';
    const where = [`x.thing_id = ${o.thing}.thing_id`, `x.gpath = ${params.add(text(path.gpath), 'text')}`, `x.kind <= ${KIND.string}`];
    if (path.fid !== undefined) where.push(`x.fid = ${params.add(text(path.fid), 'text')}`);
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
