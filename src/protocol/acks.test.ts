import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acksFromEnvelope, acksToEnvelope, ackToEnvelope, aggregatedAckStatus, parseRequestedAcks } from './acks.ts';
import { envelopeToJson, parseEnvelope } from './envelope.ts';

// [ditto: protocol-specification-acks, schema protocol-ack.json / protocol-acks.json] Vectors in
// the shape of Ditto's documented acknowledgement messages.
const SINGLE = {
  topic: 'org.eclipse.ditto/thing-1/things/twin/acks/my-custom-ack',
  headers: { 'correlation-id': 'db878735-4957-4fd9-92dc-6f09bb12a093', 'x-custom': 'kept' },
  path: '/',
  value: { outcome: 'green' },
  status: 200,
};
const AGGREGATED = {
  topic: 'org.eclipse.ditto/thing-1/things/twin/acks',
  headers: { 'correlation-id': 'db878735-4957-4fd9-92dc-6f09bb12a093', 'content-type': 'application/json' },
  path: '/',
  value: {
    'twin-persisted': { status: 201, payload: { thingId: 'org.eclipse.ditto:thing-1' }, headers: { 'correlation-id': 'db878735-4957-4fd9-92dc-6f09bb12a093', 'x-custom': 'kept' } },
    'my-custom-ack': { status: 408, payload: { status: 408, error: 'acknowledgement:request.timeout' }, headers: { 'correlation-id': 'db878735-4957-4fd9-92dc-6f09bb12a093' } },
  },
  status: 424,
};

test('a single acknowledgement round-trips', () => {
  const [ack] = acksFromEnvelope(parseEnvelope(SINGLE));
  assert.ok(ack !== undefined);
  assert.equal(ack.label, 'my-custom-ack');
  assert.equal(ack.thingId, 'org.eclipse.ditto:thing-1');
  assert.deepEqual(envelopeToJson(ackToEnvelope(ack)), SINGLE);
});

test('aggregated acknowledgements round-trip; one failure makes 424, all 2xx 200, a single one keeps its status', () => {
  const acks = acksFromEnvelope(parseEnvelope(AGGREGATED));
  assert.deepEqual(acks.map((a) => [a.label, a.status]), [['twin-persisted', 201], ['my-custom-ack', 408]]);
  const env = acksToEnvelope('org.eclipse.ditto:thing-1', 'twin', acks, { 'correlation-id': 'db878735-4957-4fd9-92dc-6f09bb12a093' });
  assert.deepEqual(envelopeToJson(env), AGGREGATED);
  assert.equal(aggregatedAckStatus(acks.slice(0, 1)), 201);
  assert.equal(aggregatedAckStatus([acks[0]!, { ...acks[0]!, label: 'x:y', status: 204 }]), 200);
});

test('acknowledgements need a correlation ID, a status and valid labels', () => {
  assert.throws(() => acksFromEnvelope(parseEnvelope({ ...SINGLE, headers: {} })), { error: 'json.field.missing' });
  const { status: _status, ...withoutStatus } = SINGLE;
  assert.throws(() => acksFromEnvelope(parseEnvelope(withoutStatus)), { error: 'protocoladapter:illegal.adaptable' });
  assert.throws(() => acksFromEnvelope(parseEnvelope({ ...SINGLE, topic: 'org.eclipse.ditto/thing-1/things/twin/acks/a!' })), { error: 'acknowledgement:label.invalid' });
});

test('requested-acks: JSON arrays and comma lists, duplicates once, invalid labels refused', () => {
  assert.deepEqual(parseRequestedAcks('["twin-persisted","my:ack"]'), ['twin-persisted', 'my:ack']);
  assert.deepEqual(parseRequestedAcks('twin-persisted, my-ack,my-ack'), ['twin-persisted', 'my-ack']);
  assert.deepEqual(parseRequestedAcks(''), []);
  assert.deepEqual(parseRequestedAcks('[]'), []);
  assert.throws(() => parseRequestedAcks('[1]'), { error: 'acknowledgement:request.parsing.failed' });
  assert.throws(() => parseRequestedAcks('ab'), { error: 'acknowledgement:label.invalid' });
});
