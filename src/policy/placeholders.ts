// [ditto: basic-placeholders] Subject IDs written to a policy may name the requester with
// `{{ request:subjectId }}` (or the legacy `${request.subjectId}`); it is replaced by the first
// authenticated subject when the policy is written. Any other placeholder is refused.

import { DittoError } from '../model/errors/index.ts';

const ANY = /\{\{([^}]*)\}\}|\$\{([^}]*)\}/g;

export function hasPlaceholder(text: string): boolean {
  ANY.lastIndex = 0;
  return ANY.test(text);
}

export function resolveSubjectIdPlaceholders(subjectId: string, requestSubject: string | undefined): string {
  if (!subjectId.includes('{{') && !subjectId.includes('${')) return subjectId;
  return subjectId.replace(ANY, (whole, mustache: string | undefined, legacy: string | undefined) => {
    const name = (mustache ?? legacy ?? '').trim();
    const known = mustache !== undefined ? name === 'request:subjectId' : name === 'request.subjectId';
    if (!known || requestSubject === undefined) throw new DittoError('placeholder:placeholder.notresolvable', { placeholder: whole });
    return requestSubject;
  });
}
