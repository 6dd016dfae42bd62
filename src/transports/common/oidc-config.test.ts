import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIssuers, DEFAULT_AUTH_SUBJECT, oidcProblems, parseOidcIssuers } from './oidc-config.ts';

test('[ditto: operating-authentication] issuers in the shape of openid-connect-issuers', () => {
  const parsed = parseOidcIssuers(
    JSON.stringify({
      google: { issuer: 'accounts.google.com' },
      kc: { issuers: ['https://kc.example/realms/a', 'kc.example/realms/b/'], authSubjects: ['{{ jwt:sub }}', '{{ jwt:roles }}'], audience: 'doppel' },
      strict: { issuer: 'id.example', 'prerequisite-conditions': ["{{ jwt:aud | fn:filter('eq', 'x') }}"], audience: ['a', 'b'] },
    }),
  );
  assert.deepEqual(parsed, [
    { prefix: 'google', issuers: ['accounts.google.com'], authSubjects: [DEFAULT_AUTH_SUBJECT], prerequisiteConditions: [], audience: [] },
    { prefix: 'kc', issuers: ['https://kc.example/realms/a', 'kc.example/realms/b/'], authSubjects: ['{{ jwt:sub }}', '{{ jwt:roles }}'], prerequisiteConditions: [], audience: ['doppel'] },
    { prefix: 'strict', issuers: ['id.example'], authSubjects: [DEFAULT_AUTH_SUBJECT], prerequisiteConditions: ["{{ jwt:aud | fn:filter('eq', 'x') }}"], audience: ['a', 'b'] },
  ]);
  const map = buildIssuers(parsed, 'https');
  // `iss` matches with or without the scheme; every issuer value has its own discovery document.
  assert.equal(map.get('accounts.google.com')?.discoveryUrl, 'https://accounts.google.com/.well-known/openid-configuration');
  assert.equal(map.get('https://accounts.google.com')?.issuer.prefix, 'google');
  assert.equal(map.get('http://accounts.google.com'), undefined);
  assert.equal(map.get('kc.example/realms/a')?.discoveryUrl, 'https://kc.example/realms/a/.well-known/openid-configuration');
  assert.equal(map.get('https://kc.example/realms/b/')?.discoveryUrl, 'https://kc.example/realms/b/.well-known/openid-configuration');
  assert.equal(buildIssuers(parsed, 'http').get('http://accounts.google.com')?.discoveryUrl, 'http://accounts.google.com/.well-known/openid-configuration');
});

test('configuration mistakes are named', () => {
  const problem = (o: unknown) => {
    try {
      parseOidcIssuers(typeof o === 'string' ? o : JSON.stringify(o));
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.match(problem('{'), /JSON/);
  assert.match(problem([]), /object/);
  assert.match(problem({ 'a:b': { issuer: 'x' } }), /prefix/);
  assert.match(problem({ a: { } }), /needs 'issuer'/);
  assert.match(problem({ a: { issuer: 'x', typo: 1 } }), /unknown field 'typo'/);
  assert.match(problem({ a: { issuer: 'x', 'inject-claims-into-headers': {} } }), /not supported/);
  assert.match(problem({ a: { issuer: 'x', 'auth-subjects': [] } }), /must not be empty/);
  assert.match(problem({ a: { issuer: 'x', 'auth-subjects': ['{{ jwt:sub | fn:nope() }}'] } }), /fn:nope/);
  assert.match(problem({ a: { issuer: 'x', 'auth-subjects': ['{{ header:x }}'] } }), /could not be resolved/);
  assert.match(problem({ a: { issuer: 'x', audience: 3 } }), /audience/);
});

test('plain-HTTP issuers need the protocol http', () => {
  const issuers = parseOidcIssuers(JSON.stringify({ local: { issuer: 'http://127.0.0.1:8081/realms/x' }, bare: { issuer: 'id.example' } }));
  assert.equal(oidcProblems(issuers, 'https').length, 1);
  assert.deepEqual(oidcProblems(issuers, 'http'), []);
  assert.match(oidcProblems(issuers, 'ftp')[0] ?? '', /https' or 'http/);
});
