import type { Pointer } from '../../model/json-pointer.ts';

// How the search index names a place in a thing. Every value row carries a generic path
// (`gpath`: the pointer with array indexes dropped and the feature ID replaced by `*`) and the
// feature ID (`fid`, '' outside features). Filters on one feature use both columns, filters with
// the `features/*` wildcard only `gpath`, so one set of indexes serves both.

/** Value kinds stored in the `kind` column. */
export const KIND = { null: 0, boolean: 1, number: 2, string: 3, object: 4, array: 5 } as const;

/**
 * Fields kept as columns instead of value rows: of the per-thing row, or (`snapshot`) of the
 * snapshot row the search joins with it anyway. The revision and timestamps change with every
 * write; reading them from the snapshot spares the index an update of its per-thing row per write.
 */
export const THING_COLUMNS: Readonly<Record<string, { readonly column: string; readonly type: 'text' | 'bigint'; readonly snapshot?: true }>> = {
  thingId: { column: 'thing_id', type: 'text' },
  policyId: { column: 'policy_id', type: 'text' },
  _namespace: { column: 'namespace', type: 'text' },
  _revision: { column: 'revision', type: 'bigint', snapshot: true },
  _created: { column: 'created', type: 'text', snapshot: true },
  _modified: { column: 'modified', type: 'text', snapshot: true },
};

/** Aliases of the per-thing row and the snapshot row in the surrounding query. */
export interface RowAliases {
  readonly thing: string;
  readonly snapshot: string;
}

/** The SQL expression of a `THING_COLUMNS` field; text compares in byte order ("C") wherever it comes from. */
export function thingColumnSql(column: (typeof THING_COLUMNS)[string], o: RowAliases): string {
  if (column.snapshot !== true) return `${o.thing}.${column.column}`;
  return column.type === 'text' ? `(${o.snapshot}.${column.column} COLLATE "C")` : `${o.snapshot}.${column.column}`;
}

/**
 * Fields every reader of a thing sees in the view search evaluates (the thing ID and the special
 * fields); all other fields depend on the caller's grants.
 */
export const ALWAYS_VISIBLE: ReadonlySet<string> = new Set(['thingId', '_namespace', '_revision', '_created', '_modified']);

export interface IndexPath {
  readonly gpath: string;
  /** The feature ID; undefined for the `features/*` wildcard. */
  readonly fid: string | undefined;
}

/** Where a filter or sort property lives in the value rows. */
export function indexPathOf(pointer: Pointer): IndexPath {
  if (pointer[0] === 'features' && pointer.length >= 2) {
    const fid = pointer[1] as string;
    return { gpath: ['features', '*', ...pointer.slice(2)].join('/'), fid: fid === '*' ? undefined : fid };
  }
  return { gpath: pointer.join('/'), fid: '' };
}
