import type { Pointer } from '../model/json-pointer.ts';

// The RQL filter AST. Nodes are readonly plain data: they can be compared with deepEqual,
// serialised, cached by identity and turned back into text by formatRqlFilter.
// [ditto: basic-rql]

/** Comparisons that take exactly one value. */
export type RqlSingleOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
/** Pattern comparisons; their value must be a string. */
export type RqlLikeOp = 'like' | 'ilike';
export type RqlLogicalOp = 'and' | 'or';
export type RqlPropertyOp = 'exists' | 'empty';
export type RqlOp = RqlSingleOp | RqlLikeOp | 'in' | RqlLogicalOp | 'not' | RqlPropertyOp;

/** Units of time placeholder offsets and truncation [ditto: basic-placeholders time]. */
export type RqlTimeUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w' | 'mo' | 'y';

/**
 * `time:now` (an ISO-8601 string) or `time:now_epoch_millis` (a number), optionally shifted by
 * an offset and then truncated. Resolved at evaluation with the injected clock, so a parsed
 * filter can be kept and evaluated again later.
 */
export interface RqlTimePlaceholder {
  readonly kind: 'time';
  readonly format: 'iso' | 'epochMillis';
  readonly offset?: RqlTimeOffset;
  readonly truncateTo?: RqlTimeUnit;
}

export interface RqlTimeOffset {
  readonly sign: 1 | -1;
  /** A non-negative safe integer. */
  readonly amount: number;
  /** Seconds when the text leaves the unit out, as in Ditto. */
  readonly unit: RqlTimeUnit;
}

/** A literal value. Numbers are always finite; objects only ever appear as time placeholders. */
export type RqlValue = string | number | boolean | null | RqlTimePlaceholder;

/**
 * What a filter reads. A field is a JSON pointer into the thing (never empty; `namespace` is
 * already normalised to `_namespace`; `*` as the second segment of `features/...` is the
 * feature-ID wildcard). A placeholder (`topic:action`) is only accepted where the parser was
 * told its prefix is allowed, e.g. in event filters [ditto: basic-changenotifications].
 */
export type RqlProperty =
  | { readonly kind: 'field'; readonly pointer: Pointer }
  | { readonly kind: 'placeholder'; readonly prefix: string; readonly name: string };

export type RqlFilter =
  | { readonly op: RqlSingleOp; readonly property: RqlProperty; readonly value: RqlValue }
  | { readonly op: RqlLikeOp; readonly property: RqlProperty; readonly pattern: string }
  | { readonly op: 'in'; readonly property: RqlProperty; readonly values: readonly [RqlValue, ...RqlValue[]] }
  | { readonly op: RqlLogicalOp; readonly filters: readonly [RqlFilter, ...RqlFilter[]] }
  | { readonly op: 'not'; readonly filter: RqlFilter }
  | { readonly op: RqlPropertyOp; readonly property: RqlProperty };

export const SINGLE_OPS: readonly RqlSingleOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
export const LIKE_OPS: readonly RqlLikeOp[] = ['like', 'ilike'];
export const TIME_UNITS: readonly RqlTimeUnit[] = ['ms', 's', 'm', 'h', 'd', 'w', 'mo', 'y'];

export function isTimePlaceholder(v: RqlValue): v is RqlTimePlaceholder {
  return typeof v === 'object' && v !== null;
}
