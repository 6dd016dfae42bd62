// Lockout prevention [ditto: basic-policy, PoliciesValidator]: a policy must keep at least one
// subject without expiry that is granted WRITE on policy:/ and not revoked it there, so someone
// can always manage it. Policies with imports are exempt (an imported entry may be the manager).

import { resolveReferences } from './references.ts';
import type { Policy } from './types.ts';

const ROOT = 'policy:/';

export function keepsPolicyManager(policy: Policy): boolean {
  if (Object.keys(policy.imports ?? {}).length > 0) return true;
  // Local references count: an entry may get its WRITE on policy:/ from the entry it references.
  const entries = resolveReferences(policy, Object.entries(policy.entries));
  const granted = new Set<string>();
  const revoked = new Set<string>();
  for (const [, entry] of entries) {
    const root = entry.resources[ROOT];
    if (root === undefined) continue;
    for (const [id, subject] of Object.entries(entry.subjects)) {
      // Expiring subjects are deleted some day; they cannot be the guarantee.
      if (root.grant.includes('WRITE') && subject.expiry === undefined) granted.add(id);
      if (root.revoke.includes('WRITE')) revoked.add(id);
    }
  }
  for (const id of granted) if (!revoked.has(id)) return true;
  return false;
}
