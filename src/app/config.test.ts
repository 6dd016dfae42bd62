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
