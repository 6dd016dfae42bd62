import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../errors/index.ts';
import { compileTemplate, DELETED, jwtClaimValues, jwtLookup, templateValues } from './index.ts';

const claims = {
  sub: 'alice',
  iss: 'https://issuer.example',
  aud: ['doppel', 'other'],
  groups: ['Admins', 'Users'],
  scp: 'read write',
  email: ' Alice@Example.COM ',
  extra: { roles: ['ops', 'dev'], nested: [{ id: 'a' }, { id: 'b' }] },
  n: 42,
  flag: true,
  obj: { a: 1 },
  csv: 'x,y,,',
  b64: Buffer.from('hello:world').toString('base64'),
  url: 'a b&c/d!',
};
const prefixes = new Set(['jwt', 'header']);
const headers: Record<string, readonly string[]> = { 'response-required': ['true'], empty: [''] };
const lookup = (prefix: string, name: string): readonly string[] => (prefix === 'header' ? (headers[name] ?? []) : jwtLookup(claims)(prefix, name));
const values = (template: string): readonly string[] => templateValues(compileTemplate(template, prefixes), lookup);
const code = (c: string) => (e: unknown) => e instanceof DittoError && e.error === c;

test('[ditto: basic-placeholders jwt] claims, nested claims, array claims', () => {
  assert.deepEqual(values('{{ jwt:sub }}'), ['alice']);
  assert.deepEqual(values('{{jwt:sub}}'), ['alice']);
  assert.deepEqual(values('{{ jwt:groups }}'), ['Admins', 'Users']);
  assert.deepEqual(values('{{ jwt:extra/roles }}'), ['ops', 'dev']);
  assert.deepEqual(values('{{ jwt:/extra/roles }}'), ['ops', 'dev']);
  // An array on the way applies the rest of the pointer to each element.
  assert.deepEqual(values('{{ jwt:extra/nested/id }}'), ['a', 'b']);
  assert.deepEqual(values('{{ jwt:n }}'), ['42']);
  assert.deepEqual(values('{{ jwt:flag }}'), ['true']);
  assert.deepEqual(values('{{ jwt:obj }}'), ['{"a":1}']);
  assert.deepEqual(jwtClaimValues({ a: ['x', 'x'] }, 'a'), ['x']);
  assert.deepEqual(jwtClaimValues({ a: 1 }, 'a//b'), []);
});

test('templates mix text and placeholders; several values multiply out; unresolved leaves nothing', () => {
  assert.deepEqual(values('user-{{ jwt:sub }}'), ['user-alice']);
  assert.deepEqual(values('{{ jwt:sub }}/{{ jwt:groups }}'), ['alice/Admins', 'alice/Users']);
  assert.deepEqual(values('{{ jwt:groups }}-{{ jwt:extra/roles }}'), ['Admins-ops', 'Admins-dev', 'Users-ops', 'Users-dev']);
  assert.deepEqual(values('{{ jwt:sub }}/{{ jwt:missing }}'), []);
  assert.deepEqual(values('no placeholder'), ['no placeholder']);
  assert.deepEqual(values('{{ jwt:sub }'), ['{{ jwt:sub }']);
});

test('[ditto: basic-placeholders functions] default, substring, case, trim, replace', () => {
  assert.deepEqual(values("{{ jwt:missing | fn:default('anonymous') }}"), ['anonymous']);
  assert.deepEqual(values('{{ jwt:missing | fn:default("dq") }}'), ['dq']);
  assert.deepEqual(values('{{ jwt:missing | fn:default(jwt:sub) }}'), ['alice']);
  assert.deepEqual(values("{{ jwt:sub | fn:default('x') }}"), ['alice']);
  assert.deepEqual(values("{{ jwt:iss | fn:substring-after('://') }}"), ['issuer.example']);
  assert.deepEqual(values("{{ jwt:iss | fn:substring-before(':') }}"), ['https']);
  assert.deepEqual(values("{{ jwt:sub | fn:substring-before('#') }}"), []);
  assert.deepEqual(values("{{ jwt:sub | fn:substring-before('#') | fn:default('none') }}"), ['none']);
  assert.deepEqual(values('{{ jwt:email | fn:trim() | fn:lower() }}'), ['alice@example.com']);
  assert.deepEqual(values('{{ jwt:groups | fn:upper() }}'), ['ADMINS', 'USERS']);
  assert.deepEqual(values("{{ jwt:iss | fn:replace('https://', '') }}"), ['issuer.example']);
  assert.deepEqual(values("{{ jwt:sub | fn:replace('a', '$&$&') }}"), ['$&$&lice']);
});

test('split and join turn one value into several and back', () => {
  assert.deepEqual(values("{{ jwt:scp | fn:split(' ') }}"), ['read', 'write']);
  assert.deepEqual(values("scope:{{ jwt:scp | fn:split(' ') | fn:upper() }}"), ['scope:READ', 'scope:WRITE']);
  assert.deepEqual(values("{{ jwt:csv | fn:split(',') }}"), ['x', 'y']);
  assert.deepEqual(values("{{ jwt:groups | fn:join(',') }}"), ['Admins,Users']);
  assert.deepEqual(values("{{ jwt:missing | fn:join(',') }}"), []);
});

test('encodings', () => {
  assert.deepEqual(values('{{ jwt:b64 | fn:base64-decode() }}'), ['hello:world']);
  assert.deepEqual(values('{{ jwt:sub | fn:base64-encode() }}'), [Buffer.from('alice').toString('base64')]);
  assert.deepEqual(values('{{ jwt:url | fn:url-encode() }}'), ['a+b%26c%2Fd%21']);
  assert.deepEqual(values('{{ jwt:url | fn:url-encode() | fn:url-decode() }}'), ['a b&c/d!']);
});

test('delete removes the value; a template made only of deleted parts is DELETED', () => {
  assert.equal(compileTemplate('{{ jwt:sub | fn:delete() }}', prefixes).resolve(lookup), DELETED);
  assert.deepEqual(values('{{ jwt:sub | fn:delete() }}'), []);
  assert.deepEqual(values('x{{ jwt:sub | fn:delete() }}'), ['x']);
  assert.deepEqual(values("{{ jwt:sub | fn:delete() | fn:default('y') }}"), []);
});

test('filter keeps values that satisfy the condition', () => {
  // fn:filter(rqlFunction, comparedValue) filters the previous values one by one.
  assert.deepEqual(values("{{ jwt:groups | fn:filter('eq', 'Admins') }}"), ['Admins']);
  assert.deepEqual(values("{{ jwt:groups | fn:filter('ne', 'Admins') }}"), ['Users']);
  assert.deepEqual(values("{{ jwt:groups | fn:filter('like', 'Adm*') }}"), ['Admins']);
  assert.deepEqual(values("{{ jwt:groups | fn:filter('like', 'Us?rs|Nobody') }}"), ['Users']);
  assert.deepEqual(values("{{ jwt:groups | fn:filter('like', 'A.*') }}"), []);
  assert.deepEqual(values("{{ jwt:aud | fn:filter('eq', 'doppel') }}"), ['doppel']);
  assert.deepEqual(values("{{ jwt:aud | fn:filter('eq', 'nope') }}"), []);
  // fn:filter(filterValue, rqlFunction, comparedValue) keeps or drops the previous value as a whole.
  assert.deepEqual(values("{{ jwt:sub | fn:filter(header:response-required, 'eq', 'true') }}"), ['alice']);
  assert.deepEqual(values("{{ jwt:sub | fn:filter(header:response-required, 'eq', 'false') }}"), []);
  assert.deepEqual(values("{{ jwt:sub | fn:filter(jwt:groups, 'eq', 'Users') }}"), ['alice']);
  // fn:filter(filterValue, 'exists') and exists with 'true'/'false'.
  assert.deepEqual(values("{{ jwt:sub | fn:filter(header:response-required, 'exists') }}"), ['alice']);
  assert.deepEqual(values("{{ jwt:sub | fn:filter(header:missing, 'exists') }}"), []);
  assert.deepEqual(values("{{ jwt:sub | fn:filter(header:empty, 'exists', 'false') }}"), ['alice']);
  assert.deepEqual(values("{{ jwt:sub | fn:filter(header:response-required, 'exists', 'false') }}"), []);
  assert.deepEqual(values("{{ jwt:sub | fn:filter('unknownfn', 'x') }}"), []);
});

test('malformed expressions fail when compiled, with Ditto codes', () => {
  const compile = (t: string) => () => compileTemplate(t, prefixes);
  assert.throws(compile('{{ foo:bar }}'), code('placeholder:unresolved'));
  assert.throws(compile('{{ jwt: }}'), code('placeholder:unresolved'));
  assert.throws(compile('{{ jwt:sub | }}'), code('placeholder:unresolved'));
  assert.throws(compile("{{ jwt:sub | fn:default('x }}"), code('placeholder:unresolved'));
  assert.throws(compile('{{ jwt:sub | fn:nope() }}'), code('placeholder:function.unknown'));
  assert.throws(compile('{{ jwt:sub | fn:lower }}'), code('placeholder:function.unknown'));
  assert.throws(compile('{{ jwt:sub | fn:format(\'{a}\') }}'), code('placeholder:function.unknown'));
  assert.throws(compile("{{ jwt:sub | fn:lower('x') }}"), code('placeholder:function.signature.invalid'));
  assert.throws(compile('{{ jwt:sub | fn:split(jwt:sub) }}'), code('placeholder:function.signature.invalid'));
  assert.throws(compile("{{ jwt:sub | fn:filter('eq') }}"), code('placeholder:function.signature.invalid'));
  assert.throws(compile('{{ jwt:sub | fn:default(foo:bar) }}'), code('placeholder:unresolved'));
  assert.throws(compile(`{{ jwt:sub${' | fn:lower()'.repeat(11)} }}`), code('placeholder:function.too.complex'));
  assert.doesNotThrow(compile(`{{ jwt:sub${' | fn:lower()'.repeat(10)} }}`));
  // A pipe inside a quoted parameter is not a stage separator.
  assert.deepEqual(values("{{ jwt:missing | fn:default('a|b') }}"), ['a|b']);
  // A pipeline may start with a function; its input is unresolved.
  assert.deepEqual(values("{{ fn:default('fixed') }}"), ['fixed']);
});
