import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../model/errors/index.ts';
import { envelopeToSignal, signalToEnvelope } from './adapter.ts';
import { envelopeToJson, parseEnvelope, tryParseEnvelope } from './envelope.ts';
import { errorResponseFor, errorResponseFromEnvelope } from './error-responses.ts';

const AUTH = { subjects: ['nginx:ditto'] };

test('[ditto: protocol-specification-errors] a thing error answers on the thing errors topic', () => {
  const error = new DittoError('things:thing.notfound', { thingId: 'org.eclipse.ditto:fancy-thing' });
  const r = errorResponseFor(error, { entityId: 'org.eclipse.ditto:fancy-thing', headers: { 'correlation-id': 'c-1', 'if-match': '*' } });
  assert.deepEqual(envelopeToJson(signalToEnvelope(r)), {
    topic: 'org.eclipse.ditto/fancy-thing/things/twin/errors',
    headers: { 'correlation-id': 'c-1', 'content-type': 'application/json' },
    path: '/',
    value: error.toJSON(),
    status: 404,
  });
});

test('without an entity the topic says _/_; live requests get live errors; policies have no channel', () => {
  const error = new DittoError('json.invalid', { reason: 'x' });
  assert.equal(envelopeToJson(signalToEnvelope(errorResponseFor(error)))['topic'], '_/_/things/twin/errors');
  assert.equal(envelopeToJson(signalToEnvelope(errorResponseFor(error, { headers: { channel: 'live' } })))['topic'], '_/_/things/live/errors');
  assert.equal(envelopeToJson(signalToEnvelope(errorResponseFor(error, { entityId: 'ns:t', channel: 'live' })))['topic'], 'ns/t/things/live/errors');
  const policyError = new DittoError('policies:policy.notfound', { policyId: 'ns:p' });
  assert.equal(envelopeToJson(signalToEnvelope(errorResponseFor(policyError, { group: 'policies', entityId: 'ns:p' })))['topic'], 'ns/p/policies/errors');
});

test('an error about a failed message names what the message named, with its correlation ID', () => {
  const failed = tryParseEnvelope({ topic: 'not-a-namespace!/x/things/live/commands/modify', headers: { 'correlation-id': 'c-2' }, path: '/attributes' });
  assert.ok('envelope' in failed);
  let caught: unknown;
  try {
    envelopeToSignal(failed.envelope, AUTH);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DittoError && caught.error === 'things:id.invalid');
  const json = envelopeToJson(signalToEnvelope(errorResponseFor(caught, { topic: failed.envelope.topic, headers: failed.envelope.headers })));
  assert.equal(json['topic'], 'not-a-namespace!/x/things/live/errors');
  assert.deepEqual(json['headers'], { 'correlation-id': 'c-2', 'content-type': 'application/json' });
  assert.equal(json['status'], 400);
});

test("the error's own headers (an ETag on 412) join the request's", () => {
  const error = new DittoError('things:precondition.failed', { header: 'if-match', value: '"rev:1"', etag: '"rev:2"' }, { headers: { etag: '"rev:2"' } });
  const json = envelopeToJson(signalToEnvelope(errorResponseFor(error, { entityId: 'ns:t', headers: { 'correlation-id': 'c' } })));
  assert.deepEqual(json['headers'], { 'correlation-id': 'c', etag: '"rev:2"', 'content-type': 'application/json' });
});

test('an error envelope becomes an error signal; unknown codes and extra members pass through', () => {
  const message = {
    topic: 'ns/t/things/live/errors',
    headers: { 'correlation-id': 'c' },
    path: '/',
    value: { status: 418, error: 'device:teapot', message: 'I am a teapot', extraInfo: [1, 2] },
    status: 418,
  };
  const r = errorResponseFromEnvelope(parseEnvelope(message));
  assert.equal(r.kind, 'error');
  assert.equal(r.channel, 'live');
  assert.deepEqual(envelopeToJson(signalToEnvelope(r)), { ...message, headers: { 'correlation-id': 'c', 'content-type': 'application/json' } });
  // The envelope status may be left out when the error has one.
  const { status: _status, ...withoutStatus } = message;
  assert.equal(errorResponseFromEnvelope(parseEnvelope(withoutStatus)).status, 418);
  const { value: _value, ...withoutValue } = message;
  assert.throws(() => errorResponseFromEnvelope(parseEnvelope(withoutValue)), { error: 'json.field.missing' });
  assert.throws(() => errorResponseFromEnvelope(parseEnvelope({ ...message, value: 'oops' })), { error: 'json.invalid' });
});
