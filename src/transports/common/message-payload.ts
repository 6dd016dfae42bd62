import { DittoError } from '../../model/errors/index.ts';
import type { JsonValue } from '../../model/json.ts';
import { parseJsonBounded } from '../../model/json-parse.ts';

/**
 * [ditto: httpapi-messages, protocol-specification-things-messages] A message payload travels in
 * the protocol's `value` by its content type: text (`text/*`) as a string, JSON as JSON, anything
 * else (binary) as a base64 string.
 */

export type PayloadKind = 'text' | 'json' | 'binary';

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function payloadKind(contentType: string | undefined): PayloadKind {
  const type = mediaTypeOf(contentType);
  if (type.startsWith('text/')) return 'text';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  return 'binary';
}

/** The protocol value of received payload bytes; undefined for an empty payload. */
export function payloadToValue(bytes: Buffer, contentType: string | undefined, maxJsonDepth: number): JsonValue | undefined {
  if (bytes.length === 0) return undefined;
  switch (payloadKind(contentType)) {
    case 'text':
      return bytes.toString('utf8');
    case 'json':
      return parseJsonBounded(bytes.toString('utf8'), { maxDepth: maxJsonDepth });
    case 'binary':
      return bytes.toString('base64');
  }
}

/** The bytes a protocol value stands for under its content type (the inverse of payloadToValue). */
export function valueToPayload(value: JsonValue | undefined, contentType: string | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  const kind = payloadKind(contentType);
  if (typeof value === 'string' && kind === 'binary' && contentType !== undefined && contentType !== '') return Buffer.from(value, 'base64');
  if (typeof value === 'string' && kind !== 'json') return Buffer.from(value, 'utf8');
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** [ditto: ditto-limits.conf messages max-size, 250k] */
export function checkPayloadSize(bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) throw new DittoError('messages:payload.toolarge', { actualKb: Math.ceil(bytes / 1024), maxKb: Math.floor(maxBytes / 1024) });
}
