import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportSPKI, SignJWT } from 'jose';
import { loadConfig } from '../../src/app/config.ts';
import { call, DITTO_BASIC, startTestServer, type Answer, type TestServer } from '../support/doppel-server.ts';
import { b64json, deadUrl, newSigningKey, OidcProvider, type SigningKey } from '../support/oidc-provider.ts';

// [ditto: operating-authentication openid-connect] Bearer tokens of configured issuers, verified
// against keys discovered from a real (local) OpenID Connect provider.

let server: TestServer;
let provider: OidcProvider;
let rotating: OidcProvider;
let broken: OidcProvider;
let rsa: SigningKey;
let ec: SigningKey;
let down: string;

before(async () => {
  rsa = await newSigningKey('rsa-1', 'RS256');
  ec = await newSigningKey('ec-1', 'ES256');
  provider = await OidcProvider.start([rsa, ec]);
  rotating = await OidcProvider.start([await newSigningKey('old', 'PS256')]);
  broken = await OidcProvider.start([]);
  broken.failWith = 500;
  down = await deadUrl();
  const issuers = {
    test: {
      issuer: provider.issuer,
      'auth-subjects': ['{{ jwt:sub }}', '{{ jwt:groups | fn:lower() }}', 'role-{{ jwt:extra/roles }}', '{{ jwt:missing }}'],
      audience: 'doppel',
    },
    rot: { issuer: rotating.issuer },
    broken: { issuer: broken.issuer },
    down: { issuer: `${down}/realms/test` },
  };
  const oauth = loadConfig({ DOPPEL_OAUTH_ISSUERS: JSON.stringify(issuers), DOPPEL_OAUTH_PROTOCOL: 'http' });
  server = await startTestServer({ oauthIssuers: oauth.oauthIssuers, oauthProtocol: oauth.oauthProtocol });
});
after(async () => {
  await server.close();
  await Promise.all([provider.close(), rotating.close(), broken.close()]);
});

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const whoami = (token: string): Promise<Answer> => call(server.url, 'GET', '/api/2/whoami', { headers: bearer(token) });
const now = (): number => Math.floor(Date.now() / 1000);
const alice = { sub: 'alice', aud: 'doppel', groups: ['Admins', 'Users'], extra: { roles: ['ops', 'dev'] } };

/** A Ditto error body with the given status and code. */
function assertError(a: Answer, status: number, code: string): void {
  assert.equal(a.status, status, a.text);
  const body = a.json as { status?: number; error?: string; message?: string };
  assert.equal(body.status, status);
  assert.equal(body.error, code);
  assert.equal(typeof body.message, 'string');
  assert.match(a.headers.get('content-type') ?? '', /application\/json/);
}

describe('valid tokens', () => {
  test('[ditto: whoami] subjects come from the auth-subjects templates with the issuer prefix', async () => {
    const a = await whoami(await provider.sign(rsa, alice));
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json, {
      defaultSubject: 'test:alice',
      subjects: ['test:alice', 'test:admins', 'test:users', 'test:role-ops', 'test:role-dev'],
    });
  });

  test('EC keys, an audience list, and iss without the scheme (as Ditto matches it)', async () => {
    const bare = provider.issuer.replace('http://', '');
    const a = await whoami(await provider.sign(ec, { ...alice, sub: 'bob', aud: ['x', 'doppel'], iss: bare }));
    assert.equal(a.status, 200, a.text);
    assert.equal((a.json as { defaultSubject: string }).defaultSubject, 'test:bob');
  });

  test('exp and nbf tolerate 10 s of clock skew', async () => {
    assert.equal((await whoami(await provider.sign(rsa, { ...alice, exp: now() - 3 }))).status, 200);
    assert.equal((await whoami(await provider.sign(rsa, { ...alice, nbf: now() + 3 }))).status, 200);
  });

  test('a thing created with a JWT gets the JWT subject in its default policy', async () => {
    const token = await provider.sign(rsa, alice);
    const created = await call(server.url, 'PUT', '/api/2/things/org.doppel.jwt:thing-1', { headers: bearer(token), body: { attributes: { a: 1 } } });
    assert.equal(created.status, 201, created.text);
    const read = await call(server.url, 'GET', '/api/2/things/org.doppel.jwt:thing-1?fields=_policy', { headers: bearer(token) });
    assert.equal(read.status, 200, read.text);
    const policy = (read.json as { _policy: { entries: Record<string, { subjects: Record<string, unknown> }> } })._policy;
    assert.ok(Object.values(policy.entries).some((e) => 'test:alice' in e.subjects), JSON.stringify(policy));
    // Someone else does not see it.
    assert.equal((await call(server.url, 'GET', '/api/2/things/org.doppel.jwt:thing-1', { headers: { authorization: DITTO_BASIC } })).status, 404);
  });
});

describe('rejected tokens answer with Ditto error bodies', () => {
  test('expired, or not valid yet → 401', async () => {
    assertError(await whoami(await provider.sign(rsa, { ...alice, exp: now() - 60 })), 401, 'gateway:authentication.failed');
    assertError(await whoami(await provider.sign(rsa, { ...alice, nbf: now() + 60 })), 401, 'gateway:authentication.failed');
  });

  test('an issuer that is not configured → 401 gateway:jwt.issuer.notsupported', async () => {
    assertError(await whoami(await provider.sign(rsa, { ...alice, iss: 'https://evil.example' })), 401, 'gateway:jwt.issuer.notsupported');
  });

  test('a wrong audience fails the issuer condition → 401 gateway:jwt.condition.failed', async () => {
    assertError(await whoami(await provider.sign(rsa, { ...alice, aud: 'someone-else' })), 401, 'gateway:jwt.condition.failed');
    const { aud: _aud, ...noAudience } = alice;
    assertError(await whoami(await provider.sign(rsa, noAudience)), 401, 'gateway:jwt.condition.failed');
  });

  test('alg none and HMAC with the public key as secret → 401', async () => {
    const none = `${b64json({ alg: 'none', kid: rsa.kid })}.${b64json({ ...alice, iss: provider.issuer })}.c2ln`;
    assertError(await whoami(none), 401, 'gateway:authentication.failed');
    const secret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const hmac = await new SignJWT({ ...alice, iss: provider.issuer, exp: now() + 60 }).setProtectedHeader({ alg: 'HS256', kid: rsa.kid }).sign(secret);
    assertError(await whoami(hmac), 401, 'gateway:authentication.failed');
  });

  test('a signature that does not match, or a key of another type → 401', async () => {
    const token = await provider.sign(rsa, alice);
    const tampered = token.slice(0, token.lastIndexOf('.') + 1) + 'A'.repeat(342);
    assertError(await whoami(tampered), 401, 'gateway:authentication.failed');
    const forged = `${b64json({ alg: 'ES256', kid: rsa.kid })}.${token.split('.')[1] ?? ''}.c2ln`;
    assertError(await whoami(forged), 401, 'gateway:authentication.failed');
  });

  test('[ditto: JwtInvalidException] what is not a JWT at all → 400 jwt:invalid, as in Ditto', async () => {
    assertError(await whoami('garbage'), 400, 'jwt:invalid');
    assertError(await whoami('a.b.c'), 400, 'jwt:invalid');
    // An unsecured token has an empty signature part.
    assertError(await whoami(`${b64json({ alg: 'none' })}.${b64json({ ...alice, iss: provider.issuer })}.`), 400, 'jwt:invalid');
    assertError(await call(server.url, 'GET', '/api/2/whoami', { headers: { authorization: 'Bearer a b' } }), 400, 'jwt:invalid');
    // Ditto requires the key ID.
    assertError(await whoami(await provider.sign(rsa, alice, { kid: undefined })), 400, 'json.field.missing');
  });

  test('an unknown kid fetches the keys again, at most once per 10 s', async () => {
    const stranger = await newSigningKey('unknown-kid');
    await whoami(await provider.sign(rsa, alice)); // the keys are loaded
    const before = provider.jwksHits;
    assertError(await whoami(await provider.sign(stranger, alice)), 401, 'gateway:authentication.failed');
    assert.equal(provider.jwksHits, before + 1);
    assertError(await whoami(await provider.sign(stranger, { ...alice, sub: 'other' })), 401, 'gateway:authentication.failed');
    assert.equal(provider.jwksHits, before + 1, 'the second unknown kid does not fetch again');
  });
});

describe('keys', () => {
  test('key rotation: a token with the new key is accepted after the issuer publishes it', async () => {
    const [old] = rotating.keys;
    assert.ok(old !== undefined);
    assert.equal((await whoami(await rotating.sign(old, { sub: 'carol' }))).status, 200);
    const fresh = await newSigningKey('new', 'ES384');
    rotating.keys = [fresh];
    const a = await whoami(await rotating.sign(fresh, { sub: 'carol' }));
    assert.equal(a.status, 200, a.text);
    assert.deepEqual((a.json as { subjects: string[] }).subjects, ['rot:carol']);
    assert.equal(rotating.discoveryHits, 2);
  });

  test('an issuer that cannot be reached → 503 gateway:publickey.provider.unavailable', async () => {
    const key = await newSigningKey('k');
    const token = await new SignJWT({ sub: 'dave', iss: `${down}/realms/test` }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).sign(key.privateKey);
    assertError(await whoami(token), 503, 'gateway:publickey.provider.unavailable');
    assertError(await whoami(token), 503, 'gateway:publickey.provider.unavailable');
  });

  test('an issuer answering with an error → 503 gateway:authentication.provider.unavailable', async () => {
    const key = await newSigningKey('k');
    assertError(await whoami(await broken.sign(key, { sub: 'erin' })), 503, 'gateway:authentication.provider.unavailable');
  });
});

describe('[ditto: DevOpsBasicAuthenticationDirective] DevOps and connections routes', () => {
  const devops = `Basic ${Buffer.from('devops:foobar').toString('base64')}`;

  test('need the devops user; a plain-text 401 with the DITTO-DEVOPS challenge otherwise', async () => {
    for (const path of ['/devops/logging', '/api/2/connections']) {
      const missing = await fetch(server.url + path);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Basic realm="DITTO-DEVOPS",charset=UTF-8');
      assert.equal(await missing.text(), 'The resource requires authentication, which was not supplied with the request');
      const wrong = await call(server.url, 'GET', path, { headers: { authorization: DITTO_BASIC } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.text, 'The supplied authentication is invalid');
      // Authenticated; the routes themselves come later.
      assert.equal((await call(server.url, 'GET', path, { headers: { authorization: devops } })).status, 404);
    }
  });

  test('the devops user is no user of the things API', async () => {
    assertError(await call(server.url, 'GET', '/api/2/whoami', { headers: { authorization: devops } }), 401, 'gateway:authentication.failed');
  });
});
