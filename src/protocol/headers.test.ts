import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../model/json.ts';
import { headersFromJson, headersToJson, headersToText } from './headers.ts';

test('received headers: lower-case names, string values, custom headers kept', () => {
  const h = headersFromJson({
    'Correlation-ID': 'c-1',
    'response-required': false,
    'requested-acks': ['twin-persisted', 'my-ack'],
    'at-historical-revision': 5,
    'merge-thing-patch-conditions': { '/attributes/a': 'exists(attributes/a)' },
    'X-Custom': 'kept as sent',
    'custom-number': 42,
  });
  assert.deepEqual(h, {
    'correlation-id': 'c-1',
    'response-required': 'false',
    'requested-acks': '["twin-persisted","my-ack"]',
    'at-historical-revision': '5',
    'merge-thing-patch-conditions': '{"/attributes/a":"exists(attributes/a)"}',
    'x-custom': 'kept as sent',
    'custom-number': '42',
  });
});

test('[ditto: DittoHeaderDefinition] headers Ditto does not read from clients are dropped', () => {
  const h = headersFromJson({
    'ditto-auth-context': { subjects: ['evil:admin'] },
    'ditto-read-subjects': ['evil:admin'],
    'ditto-originator': 'evil:admin',
    etag: '"rev:1"',
    'entity-revision': 9,
    'correlation-id': 'c',
  });
  assert.deepEqual(h, { 'correlation-id': 'c' });
});

test('[ditto: HeaderValueValidators] typed headers are checked', () => {
  const cases: ReadonlyArray<readonly [string, JsonValue, string]> = [
    ['response-required', 'yes', 'boolean'],
    ['response-required', 1, 'boolean'],
    ['dry-run', 'maybe', 'boolean'],
    ['requested-acks', 'twin-persisted', 'JSON array'],
    ['requested-acks', { a: 1 }, 'JSON array'],
    ['at-historical-revision', 'latest', 'integer'],
    ['at-historical-revision', 1.5, 'integer'],
    ['merge-thing-patch-conditions', '[1]', 'JSON object'],
    ['correlation-id', '', 'non-empty string'],
  ];
  for (const [name, value, type] of cases) {
    assert.throws(() => headersFromJson({ [name]: value }), (e: unknown) => {
      const err = e as { status: number; error: string; message: string };
      assert.equal(err.error, 'header.invalid', name);
      assert.equal(err.status, 400);
      assert.ok(err.message.includes(type), `${name}: ${err.message}`);
      return true;
    });
  }
  // String forms of typed values are fine, as in HTTP.
  assert.deepEqual(headersFromJson({ 'response-required': 'true', 'requested-acks': '[]' }), { 'response-required': 'true', 'requested-acks': '[]' });
});

test('[ditto: AbstractDittoHeaders.toJson] shown headers get their JSON types back', () => {
  const json = headersToJson({
    'correlation-id': 'c',
    'response-required': 'false',
    'entity-revision': '7',
    etag: '"rev:7"',
    'requested-acks': '["my-ack"]',
    'historical-headers': '{"a":"b"}',
    'x-custom': 'true',
  });
  assert.deepEqual(json, {
    'correlation-id': 'c',
    'response-required': false,
    'entity-revision': 7,
    etag: '"rev:7"',
    'requested-acks': ['my-ack'],
    'historical-headers': { a: 'b' },
    'x-custom': 'true',
  });
});

test('[ditto: HeaderTranslator.toExternalHeaders] request-only and internal headers are not shown', () => {
  const json = headersToJson({
    'correlation-id': 'c',
    'if-match': '*',
    condition: 'eq(attributes/a,1)',
    authorization: 'Basic xyz',
    'ditto-auth-context': '{}',
    'put-metadata': '[]',
  });
  assert.deepEqual(json, { 'correlation-id': 'c' });
});

test("[ditto: DittoAckRequestsFilter] Ditto's own acknowledgement labels are not shown", () => {
  assert.deepEqual(headersToJson({ 'requested-acks': '["twin-persisted"]' }), {});
  assert.deepEqual(headersToJson({ 'requested-acks': '["live-response"]' }), {});
  assert.deepEqual(headersToJson({ 'requested-acks': '["twin-persisted","custom"]' }), { 'requested-acks': ['custom'] });
  assert.deepEqual(headersToJson({ 'requested-acks': '[]' }), { 'requested-acks': [] });
  assert.deepEqual(headersToJson({ 'requested-acks': '' }), {});
});

test('a given content type replaces the signal one', () => {
  assert.deepEqual(headersToJson({ 'content-type': 'text/plain', a: 'b' }, 'application/json'), { a: 'b', 'content-type': 'application/json' });
  assert.deepEqual(headersToJson({ 'content-type': 'text/plain' }), { 'content-type': 'text/plain' });
});

test('the text form equals the JSON form', () => {
  const cases = [
    {},
    { 'correlation-id': 'c "quoted"', 'response-required': 'true', 'entity-revision': '3', 'if-match': '*', 'requested-acks': '["twin-persisted"]', 'x-ü': 'ö\n' },
    { 'content-type': 'text/plain' },
  ];
  for (const h of cases) {
    assert.equal(headersToText(h), JSON.stringify(headersToJson(h)));
    assert.equal(headersToText(h, 'application/json'), JSON.stringify(headersToJson(h, 'application/json')));
  }
});
