import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPolicyPath, policyPermissionPath } from './policy-resource.ts';
import { formatPolicyPath, policyCommandType, policyEventType } from './policy-signals.ts';

test('policy paths classify into Ditto resources', () => {
  assert.deepEqual(classifyPolicyPath([]), { kind: 'policy' });
  assert.deepEqual(classifyPolicyPath(['entries', 'a', 'subjects', 'nginx:x']), { kind: 'subject', label: 'a', subjectId: 'nginx:x' });
  assert.deepEqual(classifyPolicyPath(['entries', 'a', 'resources', 'thing:/f/x']), { kind: 'resource', label: 'a', resourceKey: 'thing:/f/x' });
  assert.deepEqual(classifyPolicyPath(['entries', 'a', 'allowedAdditions']), { kind: 'allowedAdditions', label: 'a' });
  assert.deepEqual(classifyPolicyPath(['imports', 'x:y', 'transitiveImports']), { kind: 'transitiveImports', importedPolicyId: 'x:y' });
  assert.equal(classifyPolicyPath(['entries', 'a', 'other']), undefined);
  assert.equal(classifyPolicyPath(['entries', 'a', 'importable', 'x']), undefined);
  assert.equal(classifyPolicyPath(['policyId']), undefined);
});

test('resource keys continue the permission path segment by segment', () => {
  assert.deepEqual(policyPermissionPath(['entries', 'a', 'resources', 'thing:/features/x']), ['entries', 'a', 'resources', 'thing:', 'features', 'x']);
  assert.deepEqual(policyPermissionPath(['entries', 'a', 'subjects', 'nginx:x']), ['entries', 'a', 'subjects', 'nginx:x']);
  assert.equal(formatPolicyPath(['entries', 'a', 'resources', 'thing:/f']), '/entries/a/resources/thing:/f');
});

test('policy command and event type names follow Ditto', () => {
  assert.equal(policyCommandType('modify', { kind: 'entry', label: 'a' }), 'policies.commands:modifyPolicyEntry');
  assert.equal(policyCommandType('create', { kind: 'policy' }), 'policies.commands:createPolicy');
  assert.equal(policyCommandType('retrieve', { kind: 'transitiveImports', importedPolicyId: 'a:b' }), 'policies.commands:retrievePolicyImportTransitiveImports');
  assert.equal(policyEventType('modified', { kind: 'entry', label: 'a' }), 'policies.events:policyEntryModified');
  assert.equal(policyEventType('created', { kind: 'subject', label: 'a', subjectId: 'x:y' }), 'policies.events:subjectCreated');
  assert.equal(policyEventType('deleted', { kind: 'allowedAdditions', label: 'a' }), 'policies.events:policyEntryAllowedAdditionsDeleted');
  assert.equal(policyEventType('modified', { kind: 'imports' }), 'policies.events:policyImportsModified');
});
