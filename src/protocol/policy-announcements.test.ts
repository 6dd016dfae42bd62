import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { envelopeToJson, parseEnvelope } from './envelope.ts';
import { subjectDeletionFromEnvelope, subjectDeletionToEnvelope } from './policy-announcements.ts';

// [ditto: protocol-specification-policies "Announcements"] the SubjectDeletionAnnouncement of
// Ditto's generated protocol examples reads into an announcement and renders back unchanged.
const REFERENCE = new URL('../../../shared/reference/ditto-protocol-examples.json', import.meta.url);
const absent = existsSync(REFERENCE) ? false : `${REFERENCE.pathname} is absent`;

test('conformance: the subjectDeletion announcement example round-trips', { skip: absent }, () => {
  const examples = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { source: string; message: unknown }[];
  const found = examples.filter((e) => e.source === 'policies/announcements/subjectDeletion');
  assert.equal(found.length, 1);
  for (const e of found) {
    const a = subjectDeletionFromEnvelope(parseEnvelope(JSON.stringify(e.message)));
    assert.ok(a !== undefined);
    assert.equal(a.policyId, 'org.eclipse.ditto:the_policy_id');
    assert.deepEqual(envelopeToJson(subjectDeletionToEnvelope(a)), e.message);
  }
});

test('an announcement carries its headers and subjects; other topics are no announcement', () => {
  const env = subjectDeletionToEnvelope({ policyId: 'a.b:p', deleteAt: '2030-01-01T00:00:00Z', subjectIds: ['x:y'], headers: { 'correlation-id': 'c', 'requested-acks': '["l1"]' } });
  const json = envelopeToJson(env);
  assert.equal(json['topic'], 'a.b/p/policies/announcements/subjectDeletion');
  assert.deepEqual(json['headers'], { 'correlation-id': 'c', 'requested-acks': ['l1'] });
  assert.equal(subjectDeletionFromEnvelope(parseEnvelope({ topic: 'a/b/policies/commands/retrieve', path: '/' })), undefined);
  assert.throws(() => subjectDeletionFromEnvelope(parseEnvelope({ topic: 'a/b/policies/announcements/subjectDeletion', path: '/', value: { deleteAt: 1 } })), { error: 'json.invalid' });
});
