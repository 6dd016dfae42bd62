import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authenticator } from './authentication.ts';
import { DittoError } from '../../model/errors/index.ts';

const users = [{ username: 'ditto', password: 'ditto', subjects: ['nginx:ditto'] }];
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const is = (code: string, status?: number) => (e: unknown) => e instanceof DittoError && e.error === code && (status === undefined || e.status === status);

test('Basic credentials map to the configured subjects', async () => {
  const a = new Authenticator({ users, preAuthentication: false });
  assert.deepEqual((await a.authenticate({ authorization: basic('ditto', 'ditto'), preAuthenticated: [] })).subjects, ['nginx:ditto']);
  // The second time comes from the cache and gives the same answer.
  assert.deepEqual((await a.authenticate({ authorization: basic('ditto', 'ditto'), preAuthenticated: [] })).subjects, ['nginx:ditto']);
  await assert.rejects(a.authenticate({ authorization: basic('ditto', 'wrong'), preAuthenticated: [] }), is('gateway:authentication.failed', 401));
  await assert.rejects(a.authenticate({ preAuthenticated: [] }), is('gateway:authentication.failed', 401));
  await assert.rejects(a.authenticate({ authorization: 'Digest x', preAuthenticated: [] }), is('gateway:authentication.failed', 401));
});

test('pre-authentication only when enabled, exactly one header', async () => {
  const off = new Authenticator({ users, preAuthentication: false });
  await assert.rejects(off.authenticate({ preAuthenticated: ['nginx:x'] }), is('gateway:authentication.failed'));
  const on = new Authenticator({ users, preAuthentication: true });
  assert.deepEqual((await on.authenticate({ preAuthenticated: ['nginx:a, google:b'] })).subjects, ['nginx:a', 'google:b']);
  await assert.rejects(on.authenticate({ preAuthenticated: ['nginx:a', 'nginx:b'] }), is('gateway:duplicate.header.field', 400));
  await assert.rejects(on.authenticate({ preAuthenticated: [' '] }), is('gateway:authentication.failed'));
});

test('[ditto: AuthenticationChain] pre-authentication first, then the Authorization header', async () => {
  const on = new Authenticator({ users, preAuthentication: true });
  // A valid pre-authentication wins over anything else.
  assert.deepEqual((await on.authenticate({ authorization: basic('ditto', 'wrong'), preAuthenticated: ['nginx:p'] })).subjects, ['nginx:p']);
  // An invalid one lets Basic try.
  assert.deepEqual((await on.authenticate({ authorization: basic('ditto', 'ditto'), preAuthenticated: [''] })).subjects, ['nginx:ditto']);
  // Both failing with 401: one 401 naming both.
  await assert.rejects(on.authenticate({ authorization: basic('ditto', 'wrong'), preAuthenticated: [''] }), (e: unknown) => {
    assert.ok(e instanceof DittoError && e.status === 401 && e.error === 'gateway:authentication.failed');
    assert.match(e.description ?? '', /\{ .* \}, \{ .* \}/);
    return true;
  });
  // A failure that is not a 401 is preferred.
  await assert.rejects(on.authenticate({ authorization: basic('ditto', 'wrong'), preAuthenticated: ['a:b', 'c:d'] }), is('gateway:duplicate.header.field', 400));
});

test('Bearer tokens go to the JWT authenticator; without issuers none is accepted', async () => {
  const a = new Authenticator({ users, preAuthentication: false });
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${part({ alg: 'RS256', kid: 'k' })}.${part({ iss: 'https://x.example', sub: 's' })}.c2ln`;
  await assert.rejects(a.authenticate({ authorization: `Bearer ${token}`, preAuthenticated: [] }), is('gateway:jwt.issuer.notsupported', 401));
  await assert.rejects(a.authenticate({ authorization: 'Bearer not-a-jwt', preAuthenticated: [] }), is('jwt:invalid', 400));
  await assert.rejects(a.authenticateToken(token), is('gateway:jwt.issuer.notsupported', 401));
  // The scheme is case-sensitive in Ditto: 'bearer' applies to no mechanism.
  await assert.rejects(a.authenticate({ authorization: `bearer ${token}`, preAuthenticated: [] }), is('gateway:authentication.failed', 401));
});

test('[ditto: DevOpsBasicAuthenticationDirective] devops user with the devops password only', () => {
  const a = new Authenticator({ users, preAuthentication: true, devopsPassword: 'secret' });
  assert.deepEqual(a.authenticateDevops(basic('devops', 'secret')), { ok: true });
  assert.deepEqual(a.authenticateDevops(basic('devops', 'wrong')), { ok: false, reason: 'rejected' });
  assert.deepEqual(a.authenticateDevops(basic('ditto', 'ditto')), { ok: false, reason: 'rejected' });
  assert.deepEqual(a.authenticateDevops(undefined), { ok: false, reason: 'missing' });
  assert.deepEqual(a.authenticateDevops('Bearer x.y.z'), { ok: false, reason: 'missing' });
  assert.deepEqual(a.authenticateDevops(`basic ${Buffer.from('devops:secret').toString('base64')}`), { ok: true });
  assert.deepEqual(new Authenticator({ users, preAuthentication: false }).authenticateDevops(basic('devops', 'foobar')), { ok: false, reason: 'rejected' });
});
