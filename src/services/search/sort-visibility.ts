import { DittoError } from '../../model/errors/index.ts';
import type { Pointer } from '../../model/json-pointer.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import type { SearchIndex, SearchScopeQuery } from '../../ports/search.ts';
import { ALWAYS_VISIBLE, leafDepths, type SortField, type SortHiding, type SortScope } from '../../rql/sql/index.ts';

// A sort must not order by what the caller may not read: a thing whose sort value is hidden from
// the caller sorts as if it had none. Whether a value is readable is decided by the thing's
// policy (compiled for its namespace) and, for a feature field, the feature; so the index lists
// the distinct scopes (policy, namespace, feature) of the candidates holding a value, each is
// decided here once, and the SQL computes the hidden ones' keys as absent (docs/search.md).

/** Scopes one sort field may span before the search gives up (408), bounding memory and time. */
export const MAX_SORT_SCOPES = 50_000;

export interface SortVisibilityDeps {
  readonly index: SearchIndex;
  readonly enforcer: (policyId: string, namespace: string) => Promise<PolicyEnforcer | undefined>;
  /** Throws 408 once the search has used up its time. */
  readonly checkTime: () => void;
  readonly maxScanMs: number;
}

/** Verdicts per compiled enforcer: a changed policy is a new enforcer, so nothing goes stale. */
const verdicts = new WeakMap<PolicyEnforcer, Map<string, readonly number[] | 'all'>>();

/** Whether the field needs deciding: the thing ID and the special fields are every reader's. */
function mayBeHidden(field: SortField): boolean {
  return !(field.pointer.length === 1 && ALWAYS_VISIBLE.has(field.pointer[0] as string));
}

/**
 * The pointer lengths at which a leaf holding the field's value is readable for `subjects`;
 * 'all' when every possible leaf is. A leaf is a scalar, an array or an empty object, and READ
 * at its own path decides it (src/policy/json-view.ts).
 */
function readableDepths(enforcer: PolicyEnforcer, subjects: readonly string[], pointer: Pointer, fid: string): readonly number[] | 'all' {
  const concrete = pointer[0] === 'features' && pointer.length >= 2 ? ['features', fid, ...pointer.slice(2)] : [...pointer];
  const key = `${subjects.join('\n')}\u0000${concrete.join('/')}`;
  let memo = verdicts.get(enforcer);
  if (memo === undefined) {
    memo = new Map();
    verdicts.set(enforcer, memo);
  }
  const known = memo.get(key);
  if (known !== undefined) return known;
  const depths = leafDepths(concrete);
  const readable = depths.filter((d) => enforcer.filterReadable('thing', concrete.slice(0, d), 0, subjects) !== undefined);
  const verdict = readable.length === depths.length ? 'all' : readable;
  if (memo.size < 1_000) memo.set(key, verdict);
  return verdict;
}

/** Per sort field, the scopes whose values are hidden from `subjects` (grouped by verdict). */
export async function sortHiding(
  q: SearchScopeQuery, deps: SortVisibilityDeps,
): Promise<readonly (readonly SortHiding[] | undefined)[] | undefined> {
  if (!q.sort.some(mayBeHidden)) return undefined;
  const out: (readonly SortHiding[] | undefined)[] = [];
  for (let i = 0; i < q.sort.length; i++) {
    const field = q.sort[i] as SortField;
    if (!mayBeHidden(field)) {
      out.push(undefined);
      continue;
    }
    const scopes = await deps.index.sortScopes(q, i, MAX_SORT_SCOPES + 1);
    if (scopes.length > MAX_SORT_SCOPES) throw new DittoError('thing-search:query.time.exceeded', { timeoutMs: deps.maxScanMs });
    const groups = new Map<string, { scopes: SortScope[]; readableDepths: readonly number[] }>();
    const enforcers = new Map<string, Promise<PolicyEnforcer | undefined>>();
    for (const scope of scopes) {
      const key = `${scope.policyId}\u0000${scope.namespace}`;
      let pending = enforcers.get(key);
      if (pending === undefined) {
        deps.checkTime();
        pending = deps.enforcer(scope.policyId, scope.namespace);
        enforcers.set(key, pending);
      }
      const enforcer = await pending;
      // A thing without a policy is never a result; its key does not matter.
      if (enforcer === undefined) continue;
      const verdict = readableDepths(enforcer, q.subjects, field.pointer, scope.fid);
      if (verdict === 'all') continue;
      const groupKey = verdict.join(',');
      let group = groups.get(groupKey);
      if (group === undefined) {
        group = { scopes: [], readableDepths: verdict };
        groups.set(groupKey, group);
      }
      group.scopes.push(scope);
    }
    out.push([...groups.values()]);
  }
  return out;
}
