import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from './config.ts';

test('defaults match Ditto quick start', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, './data');
  assert.equal(c.postgresUrl, undefined);
  assert.equal(c.preAuthentication, false);
  assert.deepEqual(c.users, [{ username: 'ditto', password: 'ditto', subjects: ['nginx:ditto'] }]);
  assert.ok(Object.isFrozen(c));
});

test('flags win over environment, environment over defaults', () => {
  const c = loadConfig({ PORT: '9000', DOPPEL_PRE_AUTHENTICATION: 'true' }, ['--port', '9100']);
  assert.equal(c.port, 9100);
  assert.equal(c.preAuthentication, true);
});

test('every problem is reported together', () => {
  assert.throws(
    () => loadConfig({ PORT: 'x', DOPPEL_PRE_AUTHENTICATION: 'maybe' }, ['--bogus']),
    (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message) && /PRE_AUTH/.test(e.message) && /--bogus/.test(e.message),
  );
});

test('users with several subjects', () => {
  const c = loadConfig({ DOPPEL_USERS: 'a:p=nginx:a|google:a, b:q' });
  assert.deepEqual(c.users, [
    { username: 'a', password: 'p', subjects: ['nginx:a', 'google:a'] },
    { username: 'b', password: 'q', subjects: ['nginx:b'] },
  ]);
});

test('JWT issuers: JSON validated at start; plain HTTP only with the http protocol', () => {
  assert.deepEqual(loadConfig({}).oauthIssuers, []);
  assert.equal(loadConfig({}).oauthProtocol, 'https');
  const json = JSON.stringify({ local: { issuer: 'http://127.0.0.1:9000/realms/x', 'auth-subjects': ['{{ jwt:sub }}'] } });
  assert.equal(loadConfig({ DOPPEL_OAUTH_ISSUERS: json, DOPPEL_OAUTH_PROTOCOL: 'http' }).oauthIssuers[0]?.prefix, 'local');
  assert.throws(() => loadConfig({ DOPPEL_OAUTH_ISSUERS: json }), (e: unknown) => e instanceof ConfigError && /plain HTTP/.test(e.message));
  assert.throws(() => loadConfig({ DOPPEL_OAUTH_ISSUERS: '{"a":{}}' }), (e: unknown) => e instanceof ConfigError && /DOPPEL_OAUTH_ISSUERS/.test(e.message));
});
