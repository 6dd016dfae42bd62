import type { AuthContext, DittoHeaders, SearchThingsCommand } from '../../signals/index.ts';

// The query parameters of a search (`filter`, `namespaces`, `fields`, `option`), read the same
// way by the HTTP search routes and the search event stream.

/** Repeated or comma-separated values, joined with commas [ditto: release notes 3.3]. */
export function joinedParam(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  return all.length === 0 ? undefined : all.join(',');
}

/** The search the parameters ask for; `filter` is only read where the route takes one. */
export function searchCommandOf(
  kind: 'query' | 'count', params: URLSearchParams, headers: DittoHeaders, auth: AuthContext, withFilter: boolean,
): SearchThingsCommand {
  const ns = joinedParam(params, 'namespaces');
  // `namespaces=` restricts to no namespace at all.
  const namespaces = ns === undefined ? undefined : ns.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const fields = joinedParam(params, 'fields');
  const options = joinedParam(params, 'option');
  return {
    kind,
    filters: withFilter ? params.getAll('filter') : [],
    headers,
    auth,
    ...(namespaces === undefined ? {} : { namespaces }),
    ...(fields === undefined ? {} : { fields }),
    ...(options === undefined ? {} : { options }),
  };
}
