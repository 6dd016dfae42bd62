import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTopic, parseTopic, topicEntityId, topicPartsOf, topicPrefixOf } from './topic.ts';

// [ditto: protocol-specification-topic] every documented form parses to its parts and back.
const VALID: ReadonlyArray<readonly [string, object]> = [
  ['org.eclipse.ditto/fancy-car-1/things/twin/commands/create', { namespace: 'org.eclipse.ditto', name: 'fancy-car-1', group: 'things', channel: 'twin', criterion: 'commands', action: 'create' }],
  ['org.eclipse.ditto/fancy-car-23/things/twin/commands/merge', { criterion: 'commands', action: 'merge' }],
  ['org.eclipse.ditto/fancy-car-0815/things/live/events/modified', { channel: 'live', criterion: 'events', action: 'modified' }],
  ['org.eclipse.ditto/fancy-car-42/things/live/messages/hello.world', { criterion: 'messages', subject: 'hello.world' }],
  ['org.eclipse.ditto/fancy-car-42/things/live/messages/a/b/c', { criterion: 'messages', subject: 'a/b/c' }],
  ['org.eclipse.ditto/fancy-policy-1/policies/commands/create', { group: 'policies', criterion: 'commands', action: 'create' }],
  ['org.eclipse.ditto/fancy-policy-1/policies/announcements/subjectDeletion', { group: 'policies', criterion: 'announcements', announcement: 'subjectDeletion' }],
  ['org.eclipse.ditto/p/policies/errors', { group: 'policies', criterion: 'errors' }],
  ['_/_/things/twin/search/subscribe', { namespace: '_', name: '_', criterion: 'search', action: 'subscribe' }],
  ['_/_/things/twin/search/next', { criterion: 'search', action: 'next' }],
  ['ns/_/things/twin/commands/retrieve', { namespace: 'ns', name: '_', action: 'retrieve' }],
  ['_/my-connection/connections/announcements/opened', { group: 'connections', criterion: 'announcements', announcement: 'opened' }],
  ['ns/t/things/twin/acks/my-custom-ack', { criterion: 'acks', label: 'my-custom-ack' }],
  ['ns/t/things/live/acks', { criterion: 'acks' }],
  ['ns/t/things/twin/streaming/subscribeForPersistedEvents', { criterion: 'streaming', action: 'subscribeForPersistedEvents' }],
  ['ns/p/policies/streaming/request', { group: 'policies', criterion: 'streaming', action: 'request' }],
  ['_/_/policies/commands/checkPermissions', { group: 'policies', action: 'checkPermissions' }],
  ['ns/t/things/twin/errors', { criterion: 'errors' }],
  ['/t/things/twin/commands/modify', { namespace: '', name: 't' }],
];

test('valid topics parse to their parts and format back to the same text', () => {
  for (const [text, parts] of VALID) {
    const topic = parseTopic(text);
    for (const [k, v] of Object.entries(parts)) assert.equal((topic as unknown as Record<string, unknown>)[k], v, `${text}: ${k}`);
    assert.equal(formatTopic(topic), text);
  }
});

test('policies and connections topics have no channel, things topics always one', () => {
  assert.equal(parseTopic('ns/p/policies/commands/modify').channel, undefined);
  assert.equal(parseTopic('ns/t/things/live/commands/modify').channel, 'live');
  assert.ok(!('channel' in parseTopic('_/c/connections/announcements/closed')));
});

const INVALID: readonly string[] = [
  '',
  'ns',
  'ns/t',
  'ns/t/things',
  'ns/t/things/twin',
  'ns//things/twin/commands/modify',
  'ns/t/thing/twin/commands/modify',
  'ns/t/things/none/commands/modify',
  'ns/t/things/commands/modify',
  'ns/p/policies/twin/commands/modify',
  'ns/t/things/twin/command/modify',
  'ns/t/things/twin/commands',
  'ns/t/things/twin/commands/update',
  'ns/t/things/twin/commands/modified',
  'ns/t/things/twin/events/modify',
  'ns/t/things/twin/commands/modify/extra',
  'ns/t/things/twin/errors/extra',
  'ns/t/things/twin/search/find',
  'ns/t/things/twin/streaming/subscribe',
  'ns/t/things/live/messages',
  'ns/t/things/live/messages/',
  'ns/t/things/live/messages/a//b',
  'ns/t/things/twin/acks/',
  'ns/p/policies/announcements',
];

test('invalid topics are 400 protocoladapter:unknown.topicpath with a reason', () => {
  for (const text of INVALID) {
    assert.throws(() => parseTopic(text), (e: unknown) => {
      const err = e as { status: number; error: string; description: string; message: string };
      assert.equal(err.status, 400, text);
      assert.equal(err.error, 'protocoladapter:unknown.topicpath', text);
      assert.ok(err.description.length > 0 && !err.description.includes('{'), text);
      assert.ok(err.message.includes(text), text);
      return true;
    });
  }
});

test('a long topic is cut in the error message', () => {
  const text = `ns/${'x'.repeat(10_000)}/things/twin/commands/nope`;
  assert.throws(() => parseTopic(text), (e: unknown) => (e as Error).message.length < 400);
});

test('entity IDs from topics and topics from entity IDs', () => {
  assert.equal(topicEntityId(parseTopic('org.eclipse.ditto/fancy:car/things/twin/errors')), 'org.eclipse.ditto:fancy:car');
  assert.equal(topicEntityId(parseTopic('ns/_/things/twin/commands/retrieve')), undefined);
  assert.equal(topicEntityId(parseTopic('_/t/things/twin/commands/retrieve')), undefined);
  assert.deepEqual(topicPartsOf('org.eclipse.ditto:fancy:car'), { namespace: 'org.eclipse.ditto', name: 'fancy:car' });
  assert.deepEqual(topicPartsOf(':no-namespace'), { namespace: '', name: 'no-namespace' });
  assert.deepEqual(topicPartsOf(undefined), { namespace: '_', name: '_' });
  // IDs that cannot stand in a topic become the placeholders.
  assert.deepEqual(topicPartsOf('no-colon'), { namespace: '_', name: '_' });
  assert.deepEqual(topicPartsOf('ns:a/b'), { namespace: '_', name: '_' });
  assert.deepEqual(topicPartsOf('ns:'), { namespace: '_', name: '_' });
  assert.equal(topicPrefixOf('org.eclipse.ditto:fancy:car'), 'org.eclipse.ditto/fancy:car');
  assert.equal(topicPrefixOf(':t'), '/t');
  assert.equal(topicPrefixOf('ns:a/b'), '_/_');
});
