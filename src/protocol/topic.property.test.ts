import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DittoError } from '../model/errors/index.ts';
import {
  COMMAND_ACTIONS,
  EVENT_ACTIONS,
  formatTopic,
  parseTopic,
  SEARCH_ACTIONS,
  STREAMING_ACTIONS,
  TOPIC_CRITERIA,
  TOPIC_GROUPS,
  type Topic,
} from './topic.ts';

// A segment: non-empty, no slash; unicode and the placeholder included.
const segment = fc.oneof(
  fc.constant('_'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/')),
);
const namespace = fc.oneof(fc.constant(''), segment);
// Subjects and labels: one or more segments joined by slashes.
const multi = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));

const criterionPart = fc.oneof(
  fc.record({ criterion: fc.constant('commands' as const), action: fc.constantFrom(...COMMAND_ACTIONS) }),
  fc.record({ criterion: fc.constant('events' as const), action: fc.constantFrom(...EVENT_ACTIONS) }),
  fc.record({ criterion: fc.constant('search' as const), action: fc.constantFrom(...SEARCH_ACTIONS) }),
  fc.record({ criterion: fc.constant('streaming' as const), action: fc.constantFrom(...STREAMING_ACTIONS) }),
  fc.record({ criterion: fc.constant('errors' as const) }),
  fc.record({ criterion: fc.constant('messages' as const), subject: multi }),
  fc.record({ criterion: fc.constant('acks' as const) }),
  fc.record({ criterion: fc.constant('acks' as const), label: multi }),
  fc.record({ criterion: fc.constant('announcements' as const), announcement: multi }),
);

const topicArbitrary: fc.Arbitrary<Topic> = fc
  .tuple(namespace, segment, fc.constantFrom(...TOPIC_GROUPS), fc.constantFrom('twin' as const, 'live' as const), criterionPart)
  .map(([ns, name, group, channel, rest]) => (group === 'things' ? { namespace: ns, name, group, channel, ...rest } : { namespace: ns, name, group, ...rest }));

test('property: parse(format(topic)) is the topic and format(parse(text)) the text', () => {
  fc.assert(
    fc.property(topicArbitrary, (topic) => {
      const text = formatTopic(topic);
      const parsed = parseTopic(text);
      assert.deepEqual(parsed, topic);
      assert.equal(formatTopic(parsed), text);
    }),
    { numRuns: 3000 },
  );
});

function parsesOrRejects(text: string): void {
  let topic: Topic;
  try {
    topic = parseTopic(text);
  } catch (e) {
    assert.ok(e instanceof DittoError, `${JSON.stringify(text)} threw ${String(e)}`);
    assert.equal(e.error, 'protocoladapter:unknown.topicpath');
    assert.equal(e.status, 400);
    return;
  }
  assert.equal(formatTopic(topic), text);
}

test('property: arbitrary strings parse or are rejected with unknown.topicpath only', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), parsesOrRejects), { numRuns: 3000 });
});

test('property: strings made of topic words parse or are rejected with unknown.topicpath only', () => {
  const words = ['_', 'ns', 't', '', 'things', 'policies', 'connections', 'twin', 'live', 'none', ...TOPIC_CRITERIA, ...COMMAND_ACTIONS, ...EVENT_ACTIONS, ...SEARCH_ACTIONS, 'subscribeForPersistedEvents', 'x'];
  const text = fc.array(fc.constantFrom(...words), { maxLength: 9 }).map((w) => w.join('/'));
  fc.assert(fc.property(text, parsesOrRejects), { numRuns: 5000 });
});
