import type { IncomingHttpHeaders } from 'node:http';
import { DittoError } from '../../model/errors/index.ts';

/**
 * [ditto: DittoHeaderDefinition readFromExternal] the request headers Ditto reads; everything
 * else a client sends stays outside the signal.
 */
const READ_FROM_EXTERNAL = [
  'correlation-id', 'response-required', 'dry-run', 'content-type', 'accept', 'reply-to', 'channel',
  'live-channel-timeout-strategy', 'if-match', 'if-none-match', 'if-equal', 'divert-response-to-connection',
  'divert-expected-response-types', 'requested-acks', 'declared-acks', 'timeout', 'put-metadata', 'get-metadata',
  'delete-metadata', 'allow-policy-lockout', 'condition', 'live-channel-condition', 'at-historical-revision',
  'at-historical-timestamp', 'merge-thing-patch-conditions', 'policy-view',
] as const;

/** [ditto: gateway query-params-as-headers] these query parameters are the same as their headers. */
const QUERY_AS_HEADER = new Set([
  'accept', 'channel', 'correlation-id', 'requested-acks', 'declared-acks', 'response-required', 'timeout',
  'live-channel-timeout-strategy', 'allow-policy-lockout', 'condition', 'live-channel-condition',
  'at-historical-revision', 'at-historical-timestamp', 'dry-run',
]);

export interface HeaderLimits {
  readonly maxHeadersBytes: number;
}

/**
 * Builds a signal's Ditto headers from an HTTP request: the known headers, query parameters that
 * stand for headers (a header wins over its query parameter), and the correlation ID.
 */
export function extractDittoHeaders(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
  limits: HeaderLimits,
  newCorrelationId: () => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const name of READ_FROM_EXTERNAL) {
    const v = headers[name];
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(',') : v;
    out[name] = value;
    size += name.length + value.length;
  }
  for (const [name, value] of query) {
    if (QUERY_AS_HEADER.has(name) && out[name] === undefined) {
      out[name] = value;
      size += name.length + value.length;
    }
  }
  // [ditto: CorrelationIdEnsuringDirective] x-correlation-id first, then correlation-id, else a new one.
  const x = headers['x-correlation-id'];
  if (typeof x === 'string') {
    out['correlation-id'] = x;
    size += 'correlation-id'.length + x.length;
  }
  if (size > limits.maxHeadersBytes) throw new DittoError('headers.too.large', { limit: limits.maxHeadersBytes });
  if (out['correlation-id'] === undefined || out['correlation-id'] === '') out['correlation-id'] = newCorrelationId();
  return out;
}
