// Namespace root policies [ditto: basic-policy "Namespace root policies", installation-operating
// "Namespace root policies"]: the operator maps namespace patterns to policies whose implicit
// entries count in every policy of a matching namespace, labelled `nsimported-<id>-<label>`.
// The stored policies are never changed; the merge happens when a policy is compiled.

import { isJsonObject } from '../model/json.ts';
import { isValidNamespacePattern, validatePolicyId } from './names.ts';

/** Pattern → root policy IDs, in the order configured. */
export type NamespaceRoots = ReadonlyMap<string, readonly string[]>;

export const NO_NAMESPACE_ROOTS: NamespaceRoots = new Map();

/** `org.example.devices` exactly, `org.example.*` strictly below it, or `*` for every namespace. */
function validPattern(p: string): boolean {
  return p === '*' || isValidNamespacePattern(p);
}

/**
 * Parses the operator's JSON object `{ "<pattern>": ["<policyId>", ...] }`; throws an Error
 * naming every mistake (unsupported patterns such as `org.*.devices` or `foo*`, bad IDs).
 */
export function parseNamespaceRoots(text: string): NamespaceRoots {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  if (!isJsonObject(json)) throw new Error('expected a JSON object of namespace pattern to policy IDs');
  const problems: string[] = [];
  const out = new Map<string, string[]>();
  for (const [pattern, ids] of Object.entries(json)) {
    if (!validPattern(pattern)) problems.push(`'${pattern}' is no namespace pattern (use 'a.b', 'a.b.*' or '*')`);
    if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
      problems.push(`'${pattern}' must map to an array of policy IDs`);
      continue;
    }
    for (const id of ids) {
      try {
        validatePolicyId(id);
      } catch {
        problems.push(`'${id}' is no policy ID`);
      }
    }
    out.set(pattern, [...ids]);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return out;
}

function rank(pattern: string, namespace: string): number | undefined {
  if (pattern === namespace) return Number.MAX_SAFE_INTEGER;
  if (pattern === '*') return 0;
  if (pattern.endsWith('.*') && namespace.startsWith(pattern.slice(0, -1))) return pattern.length;
  return undefined;
}

/**
 * The root policies for a policy in `namespace`, in precedence order: the exact pattern, then
 * prefix patterns from the most to the least specific, then `*`; IDs in configured order, each
 * once. A root policy is never merged into itself.
 */
export function rootPoliciesFor(roots: NamespaceRoots, namespace: string, policyId: string): string[] {
  if (roots.size === 0) return [];
  const matching: [number, readonly string[]][] = [];
  for (const [pattern, ids] of roots) {
    const r = rank(pattern, namespace);
    if (r !== undefined) matching.push([r, ids]);
  }
  matching.sort((a, b) => b[0] - a[0]);
  const out: string[] = [];
  for (const [, ids] of matching) for (const id of ids) if (id !== policyId && !out.includes(id)) out.push(id);
  return out;
}

/** The label a root policy's entry carries where it is merged. */
export function namespaceRootLabel(rootPolicyId: string, label: string): string {
  return `nsimported-${rootPolicyId}-${label}`;
}
