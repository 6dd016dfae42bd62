import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { ERROR_CATALOGUE, DittoError } from './index.ts';

test('every catalogue status is an error status', () => {
  for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
    assert.ok((spec.status >= 400 && spec.status < 600) || spec.status === 304, `${code} has status ${spec.status}`);
  }
});

test('a DittoError renders exactly the Ditto error body', () => {
  const e = new DittoError('things:thing.notfound', { thingId: 'a:b' });
  const json = e.toJSON();
  assert.deepEqual(Object.keys(json), ['status', 'error', 'message', 'description']);
  assert.equal(json.status, 404);
  assert.equal(json.error, 'things:thing.notfound');
  assert.match(json.message, /'a:b'/);
  assert.ok(e instanceof Error);
});

// [ditto: error codes] Codes and statuses are API: compare with Ditto's list when it is available.
const reference = new URL('../../../../shared/reference/ditto-error-codes.txt', import.meta.url);
test('codes and statuses agree with Ditto', { skip: existsSync(reference) ? false : 'shared/reference is absent' }, () => {
  const names: Record<string, number> = {
    BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, REQUEST_TIMEOUT: 408,
    CONFLICT: 409, PRECONDITION_FAILED: 412, REQUEST_ENTITY_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415,
    TOO_MANY_REQUESTS: 429, REQUEST_HEADER_FIELDS_TOO_LARGE: 431, INTERNAL_SERVER_ERROR: 500,
    SERVICE_UNAVAILABLE: 503, GATEWAY_TIMEOUT: 504, NOT_MODIFIED: 304, FAILED_DEPENDENCY: 424, MISDIRECTED_REQUEST: 421,
    UNPROCESSABLE_ENTITY: 422, NOT_IMPLEMENTED: 501, BAD_GATEWAY: 502,
  };
  const dittoStatuses = new Map<string, number[]>();
  for (const line of readFileSync(reference, 'utf8').split('\n')) {
    const parts = line.split(' | ');
    if (parts.length < 2 || parts[1] === undefined || parts[0] === undefined) continue;
    const statuses = parts[1].split(',').map((s) => names[s.trim()]).filter((s): s is number => s !== undefined);
    // Two codes are written in Ditto's source as a prefix constant plus a literal.
    const code = parts[0].trim()
      .replace(/^PolicyException\.ERROR_CODE_PREFIX \+ "(.*)"$/, 'policies:$1')
      .replace(/^ConnectivityException\.ERROR_CODE_PREFIX \+ "(.*)"$/, 'connectivity:$1');
    dittoStatuses.set(code, statuses);
  }
  for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
    const known = dittoStatuses.get(code);
    assert.ok(known !== undefined, `${code} is not a Ditto error code`);
    // Ditto leaves some statuses to the call site (empty column); only compare where it names one.
    if (known.length > 0) assert.ok(known.includes(spec.status), `${code}: Doppel ${spec.status}, Ditto ${known.join('/')}`);
  }
});
