// Policy announcements in the Ditto Protocol [ditto: protocol-specification-policies
// "Announcements"]: `<namespace>/<policyName>/policies/announcements/subjectDeletion`, path `/`,
// value `{deleteAt, subjectIds}`. Announcements are not persisted; they tell a subject's holder
// that it is about to lose (or has lost) its place in a policy.

import { isJsonObject } from '../model/json.ts';
import type { DittoHeaders } from '../signals/index.ts';
import type { Envelope } from './envelope.ts';
import { invalidField, missingField } from './protocol-errors.ts';
import { topicEntityId, topicPartsOf } from './topic.ts';

export interface SubjectDeletionAnnouncement {
  readonly policyId: string;
  /** ISO-8601: when the subjects expire, or when they were deleted. */
  readonly deleteAt: string;
  readonly subjectIds: readonly string[];
  readonly headers: DittoHeaders;
}

export function subjectDeletionToEnvelope(a: SubjectDeletionAnnouncement): Envelope {
  const { namespace, name } = topicPartsOf(a.policyId);
  return {
    topic: { namespace, name, group: 'policies', criterion: 'announcements', announcement: 'subjectDeletion' },
    headers: a.headers,
    path: '/',
    value: { deleteAt: a.deleteAt, subjectIds: [...a.subjectIds] },
  };
}

/** The announcement an envelope carries, or undefined when it is no subjectDeletion announcement. */
export function subjectDeletionFromEnvelope(env: Envelope): SubjectDeletionAnnouncement | undefined {
  const t = env.topic;
  if (t.group !== 'policies' || t.criterion !== 'announcements' || t.announcement !== 'subjectDeletion') return undefined;
  const policyId = topicEntityId(t);
  const v = env.value;
  if (policyId === undefined) return undefined;
  if (!isJsonObject(v)) throw missingField('value');
  const { deleteAt, subjectIds } = v;
  if (typeof deleteAt !== 'string') throw invalidField('deleteAt', 'a timestamp string');
  if (!Array.isArray(subjectIds) || !subjectIds.every((s): s is string => typeof s === 'string')) throw invalidField('subjectIds', 'an array of strings');
  return { policyId, deleteAt, subjectIds, headers: env.headers };
}
