import { invalidOption } from './options.ts';

// A cursor is opaque to clients: base64url of JSON holding the sort key of the last thing on the
// page and a hash of what the query asked (filters, namespaces, sort), so a cursor cannot be
// replayed against another query [ditto: ThingsSearchCursor].

interface CursorBody {
  readonly h: string;
  readonly k: readonly unknown[];
}

/** FNV-1a over the UTF-16 code units, as 8 hex digits: a fingerprint, not a secret. */
export function queryHash(parts: readonly unknown[]): string {
  const text = JSON.stringify(parts);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function encodeCursor(hash: string, key: readonly unknown[]): string {
  const body: CursorBody = { h: hash, k: key };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The sort key a cursor continues after; 400 when it is malformed or from another query. */
export function decodeCursor(cursor: string, hash: string): readonly unknown[] {
  let body: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidOption('the cursor is not valid');
  }
  const b = body as Partial<CursorBody> | null;
  if (typeof b !== 'object' || b === null || typeof b.h !== 'string' || !Array.isArray(b.k)) throw invalidOption('the cursor is not valid');
  if (b.h !== hash) throw invalidOption('the cursor belongs to a query with another filter, sort or namespaces');
  return b.k;
}
