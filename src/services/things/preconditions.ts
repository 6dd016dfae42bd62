import { DittoError, isDittoError } from '../../model/errors/index.ts';
import type { JsonObject, JsonValue } from '../../model/json.ts';
import { evaluateRqlFilter, parseRqlFilter } from '../../rql/index.ts';
import type { DittoHeaders } from '../../signals/index.ts';

/** FNV-1a over the UTF-16 code units of the serialisation: stable, fast, not cryptographic. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

/**
 * [ditto: httpapi-concepts conditional-requests] the whole entity is tagged by revision, a part of
 * it by a hash of its content. Both are strong tags.
 */
export function entityTag(path: readonly string[], revision: number, value: JsonValue | undefined): string | undefined {
  if (path.length === 0) return `"rev:${revision}"`;
  if (value === undefined) return undefined;
  return `"hash:${fnv1a(JSON.stringify(value))}"`;
}

function tagList(header: string): string[] {
  return header.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
}

function matchesAny(header: string, tag: string | undefined): boolean {
  if (tag === undefined) return false;
  const tags = tagList(header);
  return tags.includes('*') || tags.includes(tag);
}

/**
 * Checks If-Match / If-None-Match against the current tag (undefined: the resource is absent).
 * Reads answer 304 where writes answer 412 for a matching If-None-Match.
 */
export function checkEntityTags(headers: DittoHeaders, tag: string | undefined, isRead: boolean, entity: 'things' | 'policies' = 'things'): void {
  const etagHeaders: Record<string, string> = tag === undefined ? {} : { etag: tag };
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined && !matchesAny(ifMatch, tag)) {
    throw new DittoError(`${entity}:precondition.failed`, { header: 'if-match', value: ifMatch, etag: tag ?? 'none' }, { headers: etagHeaders });
  }
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined && matchesAny(ifNoneMatch, tag)) {
    if (isRead) throw new DittoError(`${entity}:precondition.notmodified`, { value: ifNoneMatch }, { headers: etagHeaders });
    throw new DittoError(`${entity}:precondition.failed`, { header: 'if-none-match', value: ifNoneMatch, etag: tag ?? 'none' }, { headers: etagHeaders });
  }
}

/** Evaluates the `condition` header against the caller's view of the thing. */
export function checkCondition(headers: DittoHeaders, thingId: string, view: () => JsonObject, now: () => Date): void {
  const condition = headers['condition'];
  if (condition === undefined) return;
  let filter;
  try {
    filter = parseRqlFilter(condition);
  } catch (e) {
    const reason = isDittoError(e) ? e.message : 'unparsable';
    throw new DittoError('things:condition.invalid', { condition, reason });
  }
  // [ditto: basic-conditional-requests] the caller's view hides unreadable fields, so a condition
  // that needs them does not hold.
  if (!evaluateRqlFilter(filter, view(), { now })) throw new DittoError('things:condition.failed', { condition, thingId });
}
