import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../model/errors/index.ts';
import type { JsonObject } from '../model/json.ts';
import type { ThingEvent } from '../signals/index.ts';
import { envelopeToJson, parseEnvelope } from './envelope.ts';
import { thingEventFromEnvelope, thingEventToEnvelope, thingEventToText } from './thing-events.ts';

const modified: ThingEvent = {
  type: 'things.events:attributeModified',
  action: 'modified',
  thingId: 'org.eclipse.ditto:fancy-thing',
  path: '/attributes/location',
  value: { lat: 1 },
  revision: 7,
  timestamp: '2024-05-01T10:00:00.000Z',
  headers: { 'correlation-id': 'c-1', 'if-match': '*', 'requested-acks': '["twin-persisted"]' },
};

test('[ditto: protocol-specification-things] a persisted event renders as an event envelope', () => {
  assert.deepEqual(envelopeToJson(thingEventToEnvelope(modified)), {
    topic: 'org.eclipse.ditto/fancy-thing/things/twin/events/modified',
    headers: { 'correlation-id': 'c-1', 'content-type': 'application/json' },
    path: '/attributes/location',
    value: { lat: 1 },
    revision: 7,
    timestamp: '2024-05-01T10:00:00.000Z',
  });
});

test('the text renderer writes exactly the JSON of the envelope', () => {
  const events: ThingEvent[] = [
    modified,
    { type: 'things.events:attributeDeleted', action: 'deleted', thingId: 'ns:t', path: '/attributes/a', revision: 2, timestamp: '2024-05-01T10:00:00Z' },
    { type: 'things.events:thingMerged', action: 'merged', thingId: ':no-ns', path: '/', value: null, revision: 3, timestamp: '2024-05-01T10:00:00Z' },
    { type: 'things.events:thingCreated', action: 'created', thingId: 'ns:a:b', path: '/', value: { thingId: 'ns:a:b' }, revision: 1, timestamp: '2024-05-01T10:00:00Z', headers: { 'x-custom': 'v' } },
    { type: 'things.events:thingDeleted', action: 'deleted', thingId: 'ns:', path: '/', revision: 1, timestamp: '2024-05-01T10:00:00Z' },
  ];
  for (const e of events) {
    for (const channel of ['twin', 'live'] as const) {
      assert.equal(thingEventToText(e, channel), JSON.stringify(envelopeToJson(thingEventToEnvelope(e, channel))));
    }
  }
});

test('[ditto: ThingEventSignalMapper] deletions add no content type, merges are merge patches', () => {
  const deleted = thingEventToEnvelope({ type: 'things.events:attributeDeleted', action: 'deleted', thingId: 'ns:t', path: '/attributes/a', revision: 2 });
  assert.deepEqual(envelopeToJson(deleted)['headers'], {});
  assert.ok(!('value' in deleted) && !('timestamp' in deleted));
  const merged = thingEventToEnvelope({ type: 'things.events:thingMerged', action: 'merged', thingId: 'ns:t', path: '/attributes', value: { a: null }, revision: 3 });
  assert.deepEqual(envelopeToJson(merged)['headers'], { 'content-type': 'application/merge-patch+json' });
});

test('a subscriber-specific value and extra fields go into the text', () => {
  const text = thingEventToText(modified, 'twin', { value: { lat: 0 }, extra: { attributes: { owner: 'me' } } });
  const json = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(json['value'], { lat: 0 });
  assert.deepEqual(json['extra'], { attributes: { owner: 'me' } });
  assert.deepEqual(Object.keys(json), ['topic', 'headers', 'path', 'value', 'extra', 'revision', 'timestamp']);
});

test('an event envelope becomes an event signal and renders back', () => {
  const message = {
    topic: 'org.eclipse.ditto/fancy-thing/things/live/events/created',
    headers: { 'correlation-id': 'c', 'content-type': 'application/json' },
    path: '/features/f/properties/p',
    value: 3,
    revision: 1,
  };
  const e = thingEventFromEnvelope(parseEnvelope(message));
  assert.equal(e.kind, 'thing.event');
  assert.equal(e.type, 'things.events:featurePropertyCreated');
  assert.equal(e.channel, 'live');
  assert.equal(e.timestamp, undefined);
  assert.deepEqual(envelopeToJson(thingEventToEnvelope(e, e.channel)), message);
  const merged = thingEventFromEnvelope(parseEnvelope({ topic: 'ns/t/things/twin/events/merged', path: '/attributes/a', value: null, revision: 4 }));
  assert.equal(merged.type, 'things.events:thingMerged');
  assert.equal(merged.value, null);
});

test('[ditto: ThingEventMappingStrategies] malformed events are refused', () => {
  const cases: ReadonlyArray<readonly [JsonObject, string]> = [
    [{ topic: 'ns/t/things/twin/events/modified', path: '/attributes/a', value: 1 }, 'json.field.missing'],
    [{ topic: 'ns/t/things/twin/events/modified', path: '/attributes/a', revision: 1 }, 'json.invalid'],
    [{ topic: 'ns/t/things/twin/events/deleted', path: '/policyId', revision: 1 }, 'protocoladapter:unknown.topicpath'],
    [{ topic: 'ns/t/things/twin/events/migrated', path: '/', value: {}, revision: 1 }, 'protocoladapter:unknown.topicpath'],
    [{ topic: 'ns/t/things/twin/events/modified', path: '/nope', value: 1, revision: 1 }, 'protocoladapter:unknown.path'],
    [{ topic: 'ns/t/things/twin/commands/modify', path: '/', value: 1, revision: 1 }, 'protocoladapter:unknown.topicpath'],
  ];
  for (const [message, code] of cases) {
    assert.throws(() => thingEventFromEnvelope(parseEnvelope(message)), (e: unknown) => e instanceof DittoError && e.error === code, JSON.stringify(message));
  }
});
