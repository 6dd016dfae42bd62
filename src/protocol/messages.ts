import { DittoError } from '../model/errors/index.ts';
import type { Pointer } from '../model/json-pointer.ts';

/**
 * [ditto: protocol-specification-things-messages] Where a message goes: a thing's (or one of its
 * features') inbox or outbox, under a subject that may contain slashes. The protocol path is
 * `/[features/<featureId>/]<inbox|outbox>/messages/<subject>`; the topic ends with
 * `messages/<subject>`.
 */
export type MessageDirection = 'inbox' | 'outbox';

export interface MessageAddress {
  readonly direction: MessageDirection;
  readonly featureId?: string;
  readonly subject: string;
}

/** [ditto: basic-messages claiming] The subject of claim messages, sent to a thing's inbox. */
export const CLAIM_SUBJECT = 'claim';

export function checkMessageSubject(subject: string): string {
  if (subject === '' || subject.split('/').includes('')) throw new DittoError('messages:subject.invalid', { subject });
  return subject;
}

export function messagePath(a: MessageAddress): string {
  const feature = a.featureId === undefined ? '' : `/features/${a.featureId}`;
  return `${feature}/${a.direction}/messages/${a.subject}`;
}

/** The path as a pointer into the `message:` resource of a policy. */
export function messagePointer(a: MessageAddress): Pointer {
  const feature = a.featureId === undefined ? [] : ['features', a.featureId];
  return [...feature, a.direction, 'messages', ...a.subject.split('/')];
}

/** The address of a message path, or undefined when the path is none. */
export function parseMessagePath(path: string): MessageAddress | undefined {
  const parts = path.split('/').slice(1);
  let featureId: string | undefined;
  if (parts[0] === 'features') {
    featureId = parts[1];
    if (featureId === undefined || featureId === '') return undefined;
    parts.splice(0, 2);
  }
  const [direction, messages, ...subject] = parts;
  if ((direction !== 'inbox' && direction !== 'outbox') || messages !== 'messages' || subject.length === 0) return undefined;
  const s = subject.join('/');
  if (s === '' || subject.includes('')) return undefined;
  return featureId === undefined ? { direction, subject: s } : { direction, featureId, subject: s };
}
