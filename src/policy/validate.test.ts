import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../model/errors/index.ts';
import type { ErrorCode } from '../model/errors/index.ts';
import { policyToJson, validatePolicyEntryJson, validatePolicyJson } from './index.ts';

function fails(code: ErrorCode, run: () => unknown): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof DittoError, String(e));
    assert.equal(e.error, code, e.message);
    assert.equal(e.status, 400);
    return true;
  });
}

const owner = {
  subjects: { 'nginx:ditto': { type: 'nginx basic auth user' } },
  resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } },
};

function withEntry(entry: unknown, label = 'owner'): unknown {
  return { entries: { [label]: entry } };
}

void test('[ditto: basic-policy example] a valid policy survives validation unchanged', () => {
  const json = {
    policyId: 'my.namespace:policy-a',
    entries: {
      owner,
      observer: {
        subjects: { 'nginx:observer': { type: 'technical client', expiry: '2030-01-01T00:00:00Z' } },
        resources: { 'thing:/features/featureX': { grant: ['READ'], revoke: [] }, 'message:/outbox': { grant: [], revoke: ['EXECUTE'] } },
        namespaces: ['my.namespace', 'my.namespace.*'],
        importable: 'explicit',
        references: [{ entry: 'owner' }, { import: 'other:p', entry: 'x' }],
        allowedAdditions: ['subjects'],
      },
    },
    imports: { 'other:p': { entries: ['x'], transitiveImports: ['third:p'] }, 'plain:p': {} },
  };
  const policy = validatePolicyJson(json, 'my.namespace:policy-a');
  assert.deepEqual(policyToJson(policy), json);
  // Without a policyId in the body the addressed one is used; special fields are not kept.
  const { policyId: _unused, ...body } = json;
  assert.deepEqual(policyToJson(validatePolicyJson({ ...body, _revision: 3 }, 'my.namespace:policy-a')), json);
});

void test('the policy ID must be valid and match the body', () => {
  fails('policies:id.invalid', () => validatePolicyJson({ entries: {} }, 'no-namespace-separator'));
  fails('policies:id.notsettable', () => validatePolicyJson({ policyId: 'a:b', entries: {} }, 'a:c'));
  fails('json.field.missing', () => validatePolicyJson({}, 'a:b'));
  fails('json.format.invalid', () => validatePolicyJson([], 'a:b'));
  fails('json.format.invalid', () => validatePolicyJson({ entries: [] }, 'a:b'));
});

void test('[ditto: basic-policy resources] resource keys are normalised', () => {
  const entry = validatePolicyEntryJson('l', {
    subjects: {},
    resources: {
      'thing:': { grant: ['READ'], revoke: [] },
      'policy:/entries/': { grant: ['READ', 'READ'], revoke: [] },
      'message:inbox/messages/a': { grant: ['WRITE'], revoke: [] },
    },
  });
  assert.deepEqual(Object.keys(entry.resources), ['thing:/', 'policy:/entries', 'message:/inbox/messages/a']);
  assert.deepEqual(entry.resources['policy:/entries'], { grant: ['READ'], revoke: [] });
  fails('json.pointer.invalid', () => validatePolicyEntryJson('l', { subjects: {}, resources: { 'thing:/a//b': { grant: [], revoke: [] } } }));
  fails('policies:entry.invalid', () => validatePolicyEntryJson('l', { subjects: {}, resources: { 'device:/': { grant: [], revoke: [] } } }));
  fails('json.format.invalid', () => validatePolicyEntryJson('l', { subjects: {}, resources: { 'nocolon': { grant: [], revoke: [] } } }));
});

void test('[ditto: basic-policy grant-revoke] grants and revokes are lists of known permissions', () => {
  const resource = (value: unknown): unknown => ({ subjects: {}, resources: { 'thing:/': value } });
  fails('policies:entry.invalid', () => validatePolicyEntryJson('l', resource({ grant: ['READ', 'ADMIN'], revoke: [] })));
  fails('json.field.missing', () => validatePolicyEntryJson('l', resource({ grant: ['READ'] })));
  fails('json.field.missing', () => validatePolicyEntryJson('l', resource({ revoke: [] })));
  fails('json.format.invalid', () => validatePolicyEntryJson('l', resource({ grant: 'READ', revoke: [] })));
  fails('json.format.invalid', () => validatePolicyEntryJson('l', resource({ grant: [1], revoke: [] })));
  fails('json.format.invalid', () => validatePolicyEntryJson('l', resource(['READ'])));
});

void test('[ditto: basic-policy model] an entry needs subjects and resources', () => {
  fails('policies:entry.invalid', () => validatePolicyJson(withEntry({ resources: {} }), 'a:b'));
  fails('policies:entry.invalid', () => validatePolicyJson(withEntry({ subjects: {} }), 'a:b'));
  fails('policies:entry.invalid', () => validatePolicyJson(withEntry('x'), 'a:b'));
  fails('policies:entry.invalid', () => validatePolicyJson(withEntry({ subjects: [], resources: {} }), 'a:b'));
  assert.deepEqual(validatePolicyEntryJson('empty', { subjects: {}, resources: {} }), { subjects: {}, resources: {} });
});

void test('[ditto: ImmutableLabel] labels', () => {
  for (const label of ['imported-x:y-owner', 'importedX', 'nsimported-a', '']) {
    fails('policies:label.invalid', () => validatePolicyJson(withEntry(owner, label), 'a:b'));
  }
  for (const label of ['a/b', 'tab\there', 'ümlaut']) {
    fails('policies:entry.invalid', () => validatePolicyJson(withEntry(owner, label), 'a:b'));
  }
  for (const label of ['DEFAULT', 'my-import', 'with space', '漢字', '__proto__']) {
    const policy = validatePolicyJson(withEntry(owner, label), 'a:b');
    assert.deepEqual(Object.keys(policy.entries), [label]);
  }
});

void test('[ditto: ImmutableSubjectId] subject IDs need an issuer unless they hold a placeholder', () => {
  const subjects = (id: string): unknown => ({ subjects: { [id]: { type: 't' } }, resources: {} });
  for (const id of ['nosubject', 'nginx:', ':', 'a:b\u0001']) {
    fails('policies:subjectid.invalid', () => validatePolicyEntryJson('l', subjects(id)));
  }
  for (const id of ['nginx:ditto', 'google:1234:5', 'https://issuer.example.com:sub', '{{ request:subjectId }}', '${request.subjectId}', ':anonymous']) {
    assert.deepEqual(Object.keys(validatePolicyEntryJson('l', subjects(id)).subjects), [id]);
  }
});

void test('[ditto: basic-policy model] subjects need a type; expiry must be a timestamp', () => {
  const subject = (value: unknown): unknown => ({ subjects: { 'nginx:x': value }, resources: {} });
  fails('json.field.missing', () => validatePolicyEntryJson('l', subject({})));
  fails('json.format.invalid', () => validatePolicyEntryJson('l', subject({ type: 3 })));
  fails('json.format.invalid', () => validatePolicyEntryJson('l', subject('generated')));
  fails('policies:subjectexpiry.invalid', () => validatePolicyEntryJson('l', subject({ type: 't', expiry: 'tomorrow' })));
  fails('policies:subjectexpiry.invalid', () => validatePolicyEntryJson('l', subject({ type: 't', expiry: 1 })));
  fails('json.format.invalid', () => validatePolicyEntryJson('l', subject({ type: 't', announcement: true })));
  const ok = validatePolicyEntryJson('l', subject({ type: 't', expiry: '2030-02-03T04:05:06.789+01:00', announcement: { whenDeleted: true } }));
  assert.deepEqual(ok.subjects['nginx:x'], { type: 't', expiry: '2030-02-03T04:05:06.789+01:00', announcement: { whenDeleted: true } });
});

void test('[ditto: PolicyEntryNamespaces] namespace patterns', () => {
  const scoped = (namespaces: unknown): unknown => ({ ...owner, namespaces });
  assert.deepEqual(validatePolicyEntryJson('l', scoped([])).namespaces, []);
  for (const bad of [['*'], ['com.acme.'], ['.*'], [''], ['com..acme'], ['1com'], [1], 'com.acme']) {
    fails('policies:entry.invalid', () => validatePolicyEntryJson('l', scoped(bad)));
  }
});

void test('entry options and imports are checked', () => {
  fails('policies:entry.invalid', () => validatePolicyEntryJson('l', { ...owner, importable: 'sometimes' }));
  fails('policies:entry.invalid', () => validatePolicyEntryJson('l', { ...owner, references: [{ import: 'a:b' }] }));
  fails('policies:entry.invalid', () => validatePolicyEntryJson('l', { ...owner, allowedAdditions: ['imports'] }));
  fails('policies:id.invalid', () => validatePolicyJson({ entries: {}, imports: { 'not an id': {} } }, 'a:b'));
  fails('json.format.invalid', () => validatePolicyJson({ entries: {}, imports: { 'a:c': { entries: 'x' } } }, 'a:b'));
  fails('policies:label.invalid', () => validatePolicyJson({ entries: {}, imports: { 'a:c': { entries: ['imported-x'] } } }, 'a:b'));
});
