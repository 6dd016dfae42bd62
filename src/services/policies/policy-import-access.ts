// [ditto: basic-policy-imports, PolicyImportsPreEnforcer] who writes an import must be able to
// READ the entries it imports; who writes a reference into an imported policy must be able to
// READ the referenced entry, which must exist and be importable.

import { DittoError } from '../../model/errors/index.ts';
import type { EntryReference, Policy, PolicyEntry, PolicyImport } from '../../policy/index.ts';
import type { PolicyHandle } from './policy-enforcers.ts';
import { namespaceOfId } from './policy-retrieve.ts';

export type PolicyLoader = (policyId: string, namespace: string) => Promise<PolicyHandle | undefined>;

function notAccessible(policyId: string): DittoError {
  return new DittoError('policies:policy.notfound', { policyId });
}

async function source(load: PolicyLoader, policyId: string): Promise<PolicyHandle> {
  const handle = await load(policyId, namespaceOfId(policyId));
  if (handle === undefined) throw notAccessible(policyId);
  return handle;
}

/** The caller may READ, unrestricted, every entry each import takes from its policy. */
export async function checkImportsReadable(imports: Readonly<Record<string, PolicyImport>>, subjects: readonly string[], load: PolicyLoader): Promise<void> {
  await Promise.all(Object.entries(imports).map(async ([id, imp]) => {
    const src = await source(load, id);
    const labels = Object.entries(src.policy.entries)
      .filter(([, e]) => (e.importable ?? 'implicit') === 'implicit')
      .map(([label]) => label)
      .concat(imp.entries ?? []);
    if (!labels.every((label) => src.enforcer.hasUnrestricted('policy', ['entries', label], subjects, ['READ']))) throw notAccessible(id);
  }));
}

function importReferences(entries: readonly PolicyEntry[]): (EntryReference & { readonly import: string })[] {
  return entries.flatMap((e) => (e.references ?? []).filter((r): r is EntryReference & { readonly import: string } => r.import !== undefined));
}

/**
 * Each import reference names an existing, importable entry the caller may READ. With `declared`,
 * the referenced policy must also be among them (a whole policy is written).
 */
export async function checkReferencesReadable(entries: readonly PolicyEntry[], subjects: readonly string[], load: PolicyLoader, declared?: Policy): Promise<void> {
  const refs = importReferences(entries);
  if (declared !== undefined) {
    const missing = refs.find((r) => declared.imports?.[r.import] === undefined);
    if (missing !== undefined) throw new DittoError('policies:import.invalid', { reason: `a reference points to the policy '${missing.import}', which is not imported` });
  }
  await Promise.all(refs.map(async (ref) => {
    const src = await source(load, ref.import);
    const target = Object.prototype.hasOwnProperty.call(src.policy.entries, ref.entry) ? src.policy.entries[ref.entry] : undefined;
    if (target === undefined) throw new DittoError('policies:import.invalid', { reason: `the referenced entry '${ref.entry}' of the policy '${ref.import}' does not exist` });
    if (target.importable === 'never') throw new DittoError('policies:import.invalid', { reason: `the referenced entry '${ref.entry}' of the policy '${ref.import}' is importable=never` });
    if (!src.enforcer.hasUnrestricted('policy', ['entries', ref.entry], subjects, ['READ'])) throw notAccessible(ref.import);
  }));
}
