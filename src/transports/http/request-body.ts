import { DittoError } from '../../model/errors/index.ts';
import type { JsonValue } from '../../model/json.ts';
import { parseJsonBounded } from '../../model/json-parse.ts';

function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  return contentType.split(';')[0]?.trim().toLowerCase();
}

/**
 * [ditto: ContentTypeValidationDirective] PUT and POST take JSON, octet-stream or no content
 * type; PATCH takes exactly application/merge-patch+json.
 */
export function checkContentType(method: string, contentType: string | undefined): void {
  const type = mediaType(contentType);
  if (method === 'PATCH') {
    if (type !== 'application/merge-patch+json') {
      throw new DittoError('mediatype.unsupported', { mediaType: type ?? 'none', supported: 'application/merge-patch+json' });
    }
    return;
  }
  if (type !== undefined && type !== 'application/json' && type !== 'application/octet-stream') {
    throw new DittoError('mediatype.unsupported', { mediaType: type, supported: 'application/json' });
  }
}

export function parseBody(body: unknown, maxDepth: number): JsonValue {
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text.trim() === '') throw new DittoError('json.invalid', { reason: 'the request body is empty' });
  return parseJsonBounded(text, { maxDepth });
}
