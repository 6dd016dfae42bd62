import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authenticator } from './authentication.ts';
import { DittoError } from '../../model/errors/index.ts';

const users = [{ username: 'ditto', password: 'ditto', subjects: ['nginx:ditto'] }];
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const is = (code: string) => (e: unknown) => e instanceof DittoError && e.error === code;

test('Basic credentials map to the configured subjects', () => {
  const a = new Authenticator({ users, preAuthentication: false });
  assert.deepEqual(a.authenticate({ authorization: basic('ditto', 'ditto'), preAuthenticated: [] }).subjects, ['nginx:ditto']);
  assert.throws(() => a.authenticate({ authorization: basic('ditto', 'wrong'), preAuthenticated: [] }), is('gateway:authentication.failed'));
  assert.throws(() => a.authenticate({ preAuthenticated: [] }), is('gateway:authentication.failed'));
  assert.throws(() => a.authenticate({ authorization: 'Digest x', preAuthenticated: [] }), is('gateway:authentication.failed'));
});

test('pre-authentication only when enabled, exactly one header', () => {
  const off = new Authenticator({ users, preAuthentication: false });
  assert.throws(() => off.authenticate({ preAuthenticated: ['nginx:x'] }), is('gateway:authentication.failed'));
  const on = new Authenticator({ users, preAuthentication: true });
  assert.deepEqual(on.authenticate({ preAuthenticated: ['nginx:a, google:b'] }).subjects, ['nginx:a', 'google:b']);
  assert.throws(() => on.authenticate({ preAuthenticated: ['nginx:a', 'nginx:b'] }), is('gateway:duplicate.header.field'));
  assert.throws(() => on.authenticate({ preAuthenticated: [' '] }), is('gateway:authentication.failed'));
});
