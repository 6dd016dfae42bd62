import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../model/errors/index.ts';
import type { JsonObject } from '../model/json.ts';
import { policyCommand, type PolicyCommand } from '../signals/index.ts';
import { envelopeToSignal, signalToEnvelope } from './adapter.ts';
import { envelopeToJson, parseEnvelope } from './envelope.ts';
import { checkPermissionsResponseFor, policyCommandFromEnvelope, policyPathOf, policyResponseFor, policyResponseToEnvelope } from './policy-commands.ts';

const AUTH = { subjects: ['nginx:ditto'] };

function command(topic: string, path: string, extra: JsonObject = {}): ReturnType<typeof policyCommandFromEnvelope> {
  return policyCommandFromEnvelope(parseEnvelope({ topic, headers: { 'correlation-id': 'c' }, path, ...extra }), AUTH);
}

function rejects(fn: () => unknown, code: string, status = 400): void {
  assert.throws(fn, (e: unknown) => e instanceof DittoError && e.error === code && e.status === status);
}

test('[ditto: AbstractPolicyMappingStrategies] subject IDs and resource keys take the rest of the path', () => {
  assert.deepEqual(policyPathOf('/entries/owner/resources/thing:/features/lamp'), ['entries', 'owner', 'resources', 'thing:/features/lamp']);
  assert.deepEqual(policyPathOf('/entries/owner/subjects/integration:a/b'), ['entries', 'owner', 'subjects', 'integration:a/b']);
  // A trailing slash is dropped from every path, so `thing:/` arrives as `thing:`.
  assert.deepEqual(policyPathOf('/entries/owner/resources/thing:'), ['entries', 'owner', 'resources', 'thing:/']);
  assert.deepEqual(policyPathOf('/entries/owner/resources'), ['entries', 'owner', 'resources']);
  assert.deepEqual(policyPathOf('/imports/ns:p/entries'), ['imports', 'ns:p', 'entries']);
  assert.deepEqual(policyPathOf('/'), []);
  rejects(() => policyPathOf('/entries//resources/thing:/'), 'json.pointer.invalid');
});

test('a policy command envelope becomes a PolicyCommand', () => {
  const cmd = command('org.eclipse.ditto/the_policy_id/policies/commands/modify', '/entries/the_label/resources/thing:/a', { value: { grant: ['READ'], revoke: [] } });
  assert.ok(cmd.kind === 'policy.command');
  assert.equal(cmd.policyId, 'org.eclipse.ditto:the_policy_id');
  assert.deepEqual(cmd.resource, { kind: 'resource', label: 'the_label', resourceKey: 'thing:/a' });
  assert.deepEqual(cmd.value, { grant: ['READ'], revoke: [] });
});

test('whole-policy retrieves keep fields and the policy view', () => {
  const r = command('ns/p/policies/commands/retrieve', '/', { fields: 'policyId,_revision', headers: { 'policy-view': 'resolved' } });
  assert.ok(r.kind === 'policy.command');
  assert.equal(r.fields, 'policyId,_revision');
  assert.equal(r.view, 'resolved');
  const sub = command('ns/p/policies/commands/retrieve', '/entries', { fields: 'a', headers: { 'policy-view': 'resolved' } });
  assert.ok(!('fields' in sub) && !('view' in sub));
  rejects(() => command('ns/p/policies/commands/retrieve', '/', { headers: { 'policy-view': 'weird' } }), 'policies:view.invalid');
});

test('commands Ditto does not have are unknown topics; unknown paths are unknown paths', () => {
  rejects(() => command('ns/p/policies/commands/create', '/entries', { value: {} }), 'protocoladapter:unknown.topicpath');
  for (const path of ['/entries', '/entries/l/subjects', '/entries/l/resources', '/entries/l/importable', '/entries/l/namespaces', '/imports/ns:i/entries']) {
    rejects(() => command('ns/p/policies/commands/delete', path), 'protocoladapter:unknown.topicpath');
  }
  for (const path of ['/', '/entries/l', '/entries/l/subjects/a:b', '/entries/l/resources/thing:/', '/entries/l/allowedAdditions', '/entries/l/references', '/imports', '/imports/ns:i']) {
    assert.equal(command('ns/p/policies/commands/delete', path).kind, 'policy.command', path);
  }
  rejects(() => command('ns/p/policies/commands/merge', '/', { value: {} }), 'protocoladapter:unknown.topicpath');
  rejects(() => command('ns/p/policies/commands/delete', '/import/ns:i'), 'protocoladapter:unknown.path');
  rejects(() => command('ns/p/policies/commands/modify', '/'), 'protocoladapter:illegal.adaptable', 422);
  rejects(() => command('_/p/policies/commands/retrieve', '/'), 'policies:id.invalid');
});

test('[ditto: CheckPermissionsSignalMapper] checkPermissions travels on _/_/policies/commands/checkPermissions', () => {
  const checks = { lamp: { resource: 'thing:/features/lamp', entityId: 'ns:t', hasPermissions: ['WRITE'] } };
  const sig = command('_/_/policies/commands/checkPermissions', '/', { value: checks });
  assert.ok(sig.kind === 'policies.checkPermissions');
  assert.deepEqual(sig.checks, checks);
  assert.deepEqual(envelopeToJson(signalToEnvelope(checkPermissionsResponseFor(sig, { lamp: true }))), {
    topic: '_/_/policies/commands/checkPermissions',
    headers: { 'correlation-id': 'c', 'content-type': 'application/json' },
    path: '/',
    value: { lamp: true },
    status: 200,
  });
  const none = command('_/_/policies/commands/checkPermissions', '/', { value: 'nonsense' });
  assert.ok(none.kind === 'policies.checkPermissions');
  assert.deepEqual(none.checks, {});
});

function cmdAt(path: readonly string[], action: PolicyCommand['action'] = 'modify'): PolicyCommand {
  const cmd = policyCommand({ action, policyId: 'ns:p', path, headers: { 'correlation-id': 'c', 'if-match': '*' }, auth: AUTH, value: { x: 1 } });
  assert.ok(cmd !== undefined);
  return cmd;
}

test('[ditto: Policy*Response.getEntity] responses carry a value for 200, and for 201 where Ditto has one', () => {
  const value = (path: readonly string[], status: number, action: PolicyCommand['action'] = 'modify'): unknown =>
    envelopeToJson(policyResponseToEnvelope(policyResponseFor(cmdAt(path, action), { status, value: { x: 1 }, headers: { etag: '"rev:2"' } })))['value'];
  assert.deepEqual(value([], 201), { x: 1 });
  assert.deepEqual(value(['entries', 'l'], 201), { x: 1 });
  assert.deepEqual(value(['entries', 'l', 'resources', 'thing:/'], 201), { x: 1 });
  assert.equal(value(['entries', 'l', 'subjects'], 201), undefined);
  assert.equal(value(['entries', 'l', 'namespaces'], 201), undefined);
  assert.equal(value(['entries', 'l'], 204), undefined);
  assert.deepEqual(value(['entries'], 200, 'retrieve'), { x: 1 });
  const json = envelopeToJson(policyResponseToEnvelope(policyResponseFor(cmdAt(['entries', 'l', 'resources', 'thing:/a/b']), { status: 204, headers: { etag: '"rev:2"' } })));
  assert.equal(json['topic'], 'ns/p/policies/commands/modify');
  assert.equal(json['path'], '/entries/l/resources/thing:/a/b');
  assert.deepEqual(json['headers'], { 'correlation-id': 'c', etag: '"rev:2"', 'content-type': 'application/json' });
});

test('policy commands and responses render back to envelopes that parse to the same signal', () => {
  const cmd = cmdAt(['entries', 'l', 'subjects', 'integration:a/b']);
  const back = envelopeToSignal(parseEnvelope(envelopeToJson(signalToEnvelope(cmd))), AUTH);
  assert.ok(back?.kind === 'policy.command');
  assert.deepEqual(back.path, cmd.path);
  assert.deepEqual(back.resource, cmd.resource);
  const response = policyResponseFor(cmdAt([], 'retrieve'), { status: 200, value: { policyId: 'ns:p' }, headers: {} });
  const parsed = envelopeToSignal(parseEnvelope(envelopeToJson(signalToEnvelope(response))), AUTH);
  assert.ok(parsed?.kind === 'policy.response');
  assert.deepEqual(parsed.value, { policyId: 'ns:p' });
});
