import type { RqlFilter } from '../rql/ast.ts';
import type { SortField, SortHiding, SortScope } from '../rql/sql/index.ts';
import type { StoredEntity } from './store.ts';

/** One page of candidates for a search, in sort order, after a keyset position. */
export interface SearchCandidatesQuery {
  /** Undefined: every thing. */
  readonly filter: RqlFilter | undefined;
  /** Undefined: all namespaces; empty: none. */
  readonly namespaces: readonly string[] | undefined;
  readonly sort: readonly SortField[];
  /** The caller's subjects: only things whose policy may grant one of them READ are candidates. */
  readonly subjects: readonly string[];
  /** The key of the last row already seen (from `SearchCandidate.key`); undefined: from the start. */
  readonly after: readonly unknown[] | undefined;
  readonly limit: number;
  /** The instant time placeholders resolve to. */
  readonly now: Date;
  /**
   * Per sort field (same order), where the caller may not read the field: those things sort as
   * if it were absent (see `SearchIndex.sortScopes`). Undefined: every value counts.
   */
  readonly hidden?: readonly (readonly SortHiding[] | undefined)[];
}

/** What `sortScopes` looks at: the candidates of a query, whatever their order. */
export type SearchScopeQuery = Omit<SearchCandidatesQuery, 'after' | 'limit' | 'hidden'>;

export interface SearchCandidate {
  /** The committed thing, read in the same statement as the index. */
  readonly entity: StoredEntity;
  /** The thing's sort key: where the next batch starts. */
  readonly key: readonly unknown[];
}

/**
 * The search index. Candidates are a superset of the things whose readable view matches the
 * filter (see docs/search.md): the search service decides each one exactly.
 */
export interface SearchIndex {
  candidates(query: SearchCandidatesQuery): Promise<SearchCandidate[]>;
  /**
   * The distinct (policy, namespace, feature) scopes of the candidates (for the feature
   * wildcard: of those holding a value for sort field `field`; the feature is '' outside
   * features), at most `limit` of them: whose enforcers decide whether the caller may read it.
   */
  sortScopes(query: SearchScopeQuery, field: number, limit: number): Promise<SortScope[]>;
  /**
   * The number of candidates per (policy, namespace), at most `limit` groups, when the filter's
   * SQL is exact for a reader who sees things whole (see `CompiledRqlSql`); undefined otherwise.
   */
  countGroups(query: SearchScopeQuery, limit: number): Promise<SearchCountGroup[] | undefined>;
}

/** Candidates of one policy and namespace (see `SearchIndex.countGroups`). */
export interface SearchCountGroup {
  readonly policyId: string;
  readonly namespace: string;
  readonly count: number;
  /**
   * How many of them hold an array on the way to a field the filter names: for those the SQL
   * condition is not exact (`CompiledRqlSql.arrayPrefixes`).
   */
  readonly uncertain: number;
}
