import type { JsonObject } from '../model/json.ts';
import type { AuthContext, DittoHeaders } from './headers.ts';

/**
 * A search over the things the caller may read [ditto: thing-search QueryThings / CountThings].
 * Texts are as the client sent them; the search service parses and validates them.
 */
export interface SearchThingsCommand {
  readonly kind: 'query' | 'count';
  /** RQL filters, combined with and; none: every thing. */
  readonly filters: readonly string[];
  /** Undefined: all namespaces; empty: none. */
  readonly namespaces?: readonly string[];
  readonly fields?: string;
  /** The `option` parameter (sort, size, cursor, limit); ignored by count. */
  readonly options?: string;
  readonly headers: DittoHeaders;
  readonly auth: AuthContext;
}

/** One page of results, shaped as Ditto's search result JSON. */
export interface SearchThingsPage {
  readonly items: JsonObject[];
  readonly cursor?: string;
  readonly nextPageOffset?: number;
}
