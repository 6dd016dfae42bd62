// Policy imports: the entries of other policies merged into a policy when it is evaluated
// [ditto: basic-policy "Policy imports"]. Pure: other policies come from a lookup the caller
// fills; what the lookup lacks is reported so the caller can load it and resolve again.

import { namespaceRootLabel } from './namespace-roots.ts';
import { importedLabel, resolveReferences, type EntryList } from './references.ts';
import type { Policy, PolicyEntry, PolicyImport } from './types.ts';

/** [ditto: basic-policy limitations] at most this many imports per policy. */
export const MAX_IMPORTS = 10;
/** [ditto: basic-policy transitive imports] resolution stops this many levels down. */
export const MAX_TRANSITIVE_DEPTH = 10;

/** A policy by ID: the policy, `null` when it does not exist, `undefined` when not loaded yet. */
export type PolicyLookup = (policyId: string) => Policy | null | undefined;

export interface ImportResolution {
  /** The policy with imported entries (labelled `imported-<policyId>-<label>`) and references resolved. */
  readonly policy: Policy;
  /** Every policy ID the resolution looked at, found or not (what the result depends on). */
  readonly dependencies: ReadonlySet<string>;
  /** IDs the lookup had not loaded; resolve again once they are. */
  readonly missing: ReadonlySet<string>;
}

function importable(entry: PolicyEntry, label: string, imp: PolicyImport): boolean {
  switch (entry.importable ?? 'implicit') {
    case 'implicit':
      return true;
    case 'explicit':
      return imp.entries?.includes(label) === true;
    default:
      return false;
  }
}

class Resolver {
  readonly dependencies = new Set<string>();
  readonly missing = new Set<string>();

  constructor(private readonly lookup: PolicyLookup) {}

  merge(base: EntryList, imports: readonly (readonly [string, PolicyImport])[], depth: number, visited: ReadonlySet<string>): EntryList {
    const out: (readonly [string, PolicyEntry])[] = [...base];
    const seen = new Set(base.map(([label]) => label));
    for (const [id, imp] of imports) {
      for (const pair of this.importOne(id, imp, depth, visited)) {
        // Of two entries with one label the first one found stays.
        if (seen.has(pair[0])) continue;
        seen.add(pair[0]);
        out.push(pair);
      }
    }
    return out;
  }

  private importOne(id: string, imp: PolicyImport, depth: number, visited: ReadonlySet<string>): EntryList {
    this.dependencies.add(id);
    const loaded = this.lookup(id);
    if (loaded === undefined) {
      this.missing.add(id);
      return [];
    }
    // An imported policy that does not exist (any more) contributes nothing.
    if (loaded === null) return [];
    const own = Object.entries(loaded.entries);
    const transitive = imp.transitiveImports ?? [];
    const entries = transitive.length > 0 ? this.transitive(loaded, own, transitive, depth, visited) : own;
    return resolveReferences(loaded, entries)
      .filter(([label, entry]) => importable(entry, label, imp))
      .map(([label, entry]) => [importedLabel(id, label), withoutReferences(entry)] as const);
  }

  /**
   * [ditto: basic-policy transitive imports] the imported policy's own imports named in
   * `transitiveImports` are resolved first; IDs it does not import are ignored, a visited set
   * breaks cycles, and past the depth limit resolution stops with what it has.
   */
  private transitive(loaded: Policy, own: EntryList, ids: readonly string[], depth: number, visited: ReadonlySet<string>): EntryList {
    if (depth >= MAX_TRANSITIVE_DEPTH) return own;
    const wanted = ids.filter((id) => !visited.has(id));
    const chosen = Object.entries(loaded.imports ?? {}).filter(([id]) => wanted.includes(id));
    if (chosen.length === 0) return own;
    return this.merge(own, chosen, depth + 1, new Set([...visited, ...wanted]));
  }

  /** [ditto: namespace root policies] only `implicit` entries, under `nsimported-` labels. */
  roots(ids: readonly string[]): EntryList {
    const out: (readonly [string, PolicyEntry])[] = [];
    for (const id of ids) {
      this.dependencies.add(id);
      const loaded = this.lookup(id);
      if (loaded === undefined) {
        this.missing.add(id);
        continue;
      }
      // A configured root policy that does not exist contributes nothing.
      if (loaded === null) continue;
      for (const [label, entry] of resolveReferences(loaded, Object.entries(loaded.entries))) {
        if ((entry.importable ?? 'implicit') === 'implicit') out.push([namespaceRootLabel(id, label), withoutReferences(entry)]);
      }
    }
    return out;
  }
}

function withoutReferences(entry: PolicyEntry): PolicyEntry {
  if (entry.references === undefined) return entry;
  const { references: _dropped, ...rest } = entry;
  return rest;
}

/**
 * The policy as it is evaluated: its own entries, then the importable entries of each imported
 * policy, with entry references of every policy involved resolved against what that policy sees,
 * then the implicit entries of the namespace root policies `roots`.
 */
export function resolvePolicy(policy: Policy, lookup: PolicyLookup, roots: readonly string[] = []): ImportResolution {
  const resolver = new Resolver(lookup);
  const imports = Object.entries(policy.imports ?? {});
  const merged = imports.length === 0 ? Object.entries(policy.entries) : resolver.merge(Object.entries(policy.entries), imports, 0, new Set());
  const rootEntries = roots.length === 0 ? [] : resolver.roots(roots);
  const hasReferences = Object.values(policy.entries).some((e) => (e.references?.length ?? 0) > 0);
  if (imports.length === 0 && !hasReferences && rootEntries.length === 0) return { policy, dependencies: resolver.dependencies, missing: resolver.missing };
  // Tenants cannot use `nsimported-` labels, so root entries never collide with others.
  const entries = Object.fromEntries([...resolveReferences(policy, merged), ...rootEntries]);
  const resolved: Policy = policy.imports === undefined ? { policyId: policy.policyId, entries } : { policyId: policy.policyId, entries, imports: policy.imports };
  return { policy: resolved, dependencies: resolver.dependencies, missing: resolver.missing };
}
