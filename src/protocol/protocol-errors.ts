import { DittoError } from '../model/errors/index.ts';

/** Long topics are cut in error messages: the message echoes input and must stay small. */
const MAX_ECHO = 200;

function echo(text: string): string {
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
}

/** [ditto: UnknownTopicPathException] 400 for a topic Ditto does not know or does not support here. */
export function unknownTopic(topic: string, reason: string): DittoError {
  return new DittoError('protocoladapter:unknown.topicpath', { topic: echo(topic), reason });
}

/** [ditto: UnknownPathException] 400 for a path that addresses no resource of the entity. */
export function unknownPath(path: string): DittoError {
  return new DittoError('protocoladapter:unknown.path', { path: echo(path) });
}

/** [ditto: IllegalAdaptableException] 422 for a well-formed message whose value does not fit. */
export function illegalAdaptable(reason: string): DittoError {
  return new DittoError('protocoladapter:illegal.adaptable', { reason });
}

/** [ditto: JsonParseException] 400 `json.invalid` for an envelope field of the wrong JSON type. */
export function invalidField(field: string, expected: string): DittoError {
  return new DittoError('json.invalid', { reason: `the field '${field}' must be ${expected}.` });
}

/** [ditto: JsonMissingFieldException] 400 `json.field.missing`. */
export function missingField(field: string): DittoError {
  return new DittoError('json.field.missing', { field });
}
