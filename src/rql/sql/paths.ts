import type { Pointer } from '../../model/json-pointer.ts';

// How the search index names a place in a thing. Every value row carries a generic path
// (`gpath`: the pointer with array indexes dropped and the feature ID replaced by `*`) and the
// feature ID (`fid`, '' outside features). Filters on one feature use both columns, filters with
// the `features/*` wildcard only `gpath`, so one set of indexes serves both.

/** Value kinds stored in the `kind` column. */
export const KIND = { null: 0, boolean: 1, number: 2, string: 3, object: 4, array: 5 } as const;

/** Fields kept as columns of the per-thing row instead of value rows. */
export const THING_COLUMNS: Readonly<Record<string, { readonly column: string; readonly type: 'text' | 'bigint' }>> = {
  thingId: { column: 'thing_id', type: 'text' },
  policyId: { column: 'policy_id', type: 'text' },
  _namespace: { column: 'namespace', type: 'text' },
  _revision: { column: 'revision', type: 'bigint' },
  _created: { column: 'created', type: 'text' },
  _modified: { column: 'modified', type: 'text' },
};

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
