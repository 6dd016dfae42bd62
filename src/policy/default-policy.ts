import { validatePolicyId, validateSubjectId } from './names.ts';
import type { Permission, Policy } from './types.ts';

const READ_WRITE: readonly Permission[] = ['READ', 'WRITE'];

/**
 * [ditto: basic-policy default policy] The policy Ditto creates for a thing created without one:
 * a single entry `DEFAULT` giving the creating subject READ and WRITE on the thing, the policy
 * itself and the thing's messages.
 */
export function createDefaultPolicy(policyId: string, subject: string): Policy {
  validatePolicyId(policyId);
  validateSubjectId(subject);
  const all = { grant: READ_WRITE, revoke: [] };
  return {
    policyId,
    entries: {
      DEFAULT: {
        subjects: Object.fromEntries([[subject, { type: 'generated' }]]),
        resources: { 'thing:/': all, 'policy:/': all, 'message:/': all },
      },
    },
  };
}
