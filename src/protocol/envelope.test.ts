import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../model/errors/index.ts';
import { envelopeToJson, envelopeToText, normalizePath, parseEnvelope, tryParseEnvelope } from './envelope.ts';

const TOPIC = 'org.eclipse.ditto/fancy-thing/things/twin/commands/modify';

function rejects(input: string | object, code: string, status = 400): void {
  assert.throws(() => parseEnvelope(typeof input === 'string' ? input : JSON.stringify(input)), (e: unknown) => {
    assert.ok(e instanceof DittoError, String(e));
    assert.equal(e.error, code, JSON.stringify(input));
    assert.equal(e.status, status);
    return true;
  });
}

test('a full envelope parses and renders with every field, in Ditto order', () => {
  const message = {
    topic: 'org.eclipse.ditto/fancy-thing/things/twin/events/modified',
    headers: { 'correlation-id': 'c-1', 'response-required': false },
    path: '/attributes/a',
    value: { x: 1 },
    extra: { attributes: { b: 2 } },
    status: 200,
    revision: 42,
    timestamp: '2021-01-18T09:42:12Z',
    metadata: { m: 1 },
    fields: 'attributes',
  };
  const env = parseEnvelope(JSON.stringify(message));
  assert.equal(env.topic.criterion, 'events');
  assert.deepEqual(env.headers, { 'correlation-id': 'c-1', 'response-required': 'false' });
  const json = envelopeToJson(env);
  assert.deepEqual(json, message);
  assert.deepEqual(Object.keys(json), ['topic', 'headers', 'path', 'value', 'extra', 'status', 'revision', 'timestamp', 'metadata', 'fields']);
  assert.equal(envelopeToText(env), JSON.stringify(json));
});

test('value null and no value are different messages', () => {
  const withNull = parseEnvelope({ topic: TOPIC, headers: {}, path: '/attributes/a', value: null });
  assert.ok('value' in withNull);
  assert.equal(withNull.value, null);
  assert.equal(envelopeToText(withNull), '{"topic":"' + TOPIC + '","headers":{},"path":"/attributes/a","value":null}');
  const without = parseEnvelope({ topic: TOPIC, headers: {}, path: '/attributes/a' });
  assert.ok(!('value' in without));
});

test('[ditto: ImmutableJsonifiableAdaptable] headers may be left out; unknown fields are ignored', () => {
  const env = parseEnvelope({ topic: TOPIC, path: '/', whatever: 1 });
  assert.deepEqual(env.headers, {});
  assert.deepEqual(envelopeToJson(env), { topic: TOPIC, headers: {}, path: '/' });
});

test('[ditto: newTopicOrPathPointer] paths get a leading slash and lose a trailing one', () => {
  assert.equal(normalizePath(''), '/');
  assert.equal(normalizePath('/'), '/');
  assert.equal(normalizePath('attributes/a'), '/attributes/a');
  assert.equal(normalizePath('/attributes/a/'), '/attributes/a');
  assert.equal(parseEnvelope({ topic: TOPIC, path: 'features/f' }).path, '/features/f');
});

test('bad messages get Ditto’s JSON errors', () => {
  rejects('', 'json.invalid');
  rejects('{"topic":', 'json.invalid');
  rejects('[]', 'json.invalid');
  rejects('"text"', 'json.invalid');
  rejects({ headers: {}, path: '/' }, 'json.field.missing');
  rejects({ topic: TOPIC, headers: {} }, 'json.field.missing');
  rejects({ topic: 42, path: '/' }, 'json.invalid');
  rejects({ topic: TOPIC, path: 7 }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', headers: [] }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', headers: 'x' }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', fields: 3 }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', fields: 'a((' }, 'json.fieldselector.invalid');
  rejects({ topic: TOPIC, path: '/', extra: [] }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', metadata: 1 }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', status: '200' }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', status: 200.5 }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', revision: '1' }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', revision: 1.5 }, 'json.invalid');
  rejects({ topic: TOPIC, path: '/', timestamp: 'yesterday' }, 'json.invalid');
  rejects({ topic: 'ns/t/things/twin/commands/update', path: '/' }, 'protocoladapter:unknown.topicpath');
  rejects({ topic: TOPIC, path: '/', headers: { 'response-required': 'perhaps' } }, 'header.invalid');
});

test('JSON nested deeper than the limit is refused before parsing', () => {
  const deep = '['.repeat(300) + ']'.repeat(300);
  rejects(`{"topic":"${TOPIC}","path":"/","value":${deep}}`, 'json.invalid');
  const env = parseEnvelope(`{"topic":"${TOPIC}","path":"/","value":${deep}}`, { maxDepth: 400 });
  assert.ok(Array.isArray(env.value));
});

test('[ditto: ImmutablePayload.fromJson] a status that is no HTTP status is dropped', () => {
  assert.equal(parseEnvelope({ topic: TOPIC, path: '/', status: 42 }).status, undefined);
  assert.equal(parseEnvelope({ topic: TOPIC, path: '/', status: 204 }).status, 204);
});

test('timestamps are ISO-8601 and kept as written', () => {
  for (const ts of ['2021-01-18T09:42:12Z', '2021-01-18T09:42:12.123456789Z', '2021-01-18T09:42Z', '2021-01-18T10:42:12+01:00']) {
    assert.equal(parseEnvelope({ topic: TOPIC, path: '/', timestamp: ts }).timestamp, ts);
  }
});

test('a failed parse keeps the correlation ID and the topic for the error answer', () => {
  const r1 = tryParseEnvelope({ topic: TOPIC, headers: { 'correlation-id': 'c-9' } });
  assert.ok('error' in r1);
  assert.equal(r1.error.error, 'json.field.missing');
  assert.deepEqual(r1.headers, { 'correlation-id': 'c-9' });
  assert.equal(r1.topic?.criterion, 'commands');

  const r2 = tryParseEnvelope({ topic: 'bad', headers: { 'correlation-id': 'c-8', 'response-required': 'sure' } });
  assert.ok('error' in r2);
  assert.equal(r2.error.error, 'header.invalid');
  assert.deepEqual(r2.headers, { 'correlation-id': 'c-8' });
  assert.equal(r2.topic, undefined);

  const r3 = tryParseEnvelope('not json');
  assert.ok('error' in r3);
  assert.deepEqual(r3.headers, {});

  const ok = tryParseEnvelope({ topic: TOPIC, path: '/' });
  assert.ok('envelope' in ok);
});
