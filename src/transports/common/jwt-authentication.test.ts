import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { DittoError } from '../../model/errors/index.ts';
import { JwksProvider, type JsonFetcher } from './jwks-provider.ts';
import { JwtAuthenticator } from './jwt-authentication.ts';
import { buildIssuers, parseOidcIssuers } from './oidc-config.ts';

const ISS = 'https://id.example/realms/r';
const DISCOVERY = `${ISS}/.well-known/openid-configuration`;
const JWKS = 'https://id.example/keys';
const is = (code: string, status: number) => (e: unknown) => e instanceof DittoError && e.error === code && e.status === status;

async function key(kid: string, alg = 'RS256') {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid };
  return { kid, alg, jwk, sign: (claims: object, header: object = {}) => new SignJWT({ iss: ISS, sub: 'alice', ...claims }).setProtectedHeader({ alg, kid, ...header }).sign(pair.privateKey) };
}

/** A fake issuer: serves whatever `keys` holds, counts fetches, can fail. */
function fakeIssuer(keys: { jwk: JWK }[]) {
  const state = { keys, fetches: 0, fail: undefined as DittoError | undefined, jwksUri: JWKS };
  const fetchJson: JsonFetcher = (url) => {
    if (state.fail !== undefined) return Promise.reject(state.fail);
    if (url === DISCOVERY) return Promise.resolve({ issuer: ISS, jwks_uri: state.jwksUri });
    if (url === state.jwksUri) {
      state.fetches++;
      return Promise.resolve({ keys: state.keys.map((k) => k.jwk) });
    }
    return Promise.reject(new Error(`unexpected ${url}`));
  };
  return { state, fetchJson };
}

function setup(issuersJson: object, fetchJson: JsonFetcher) {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const keys = new JwksProvider({ now, allowHttp: false, fetchJson });
  const jwt = new JwtAuthenticator(buildIssuers(parseOidcIssuers(JSON.stringify(issuersJson)), 'https'), keys, { now });
  return { jwt, advance: (ms: number) => (clock += ms), seconds: () => Math.floor(clock / 1000) };
}

test('subjects from templates; verified tokens are remembered until they expire', async () => {
  const k = await key('k1');
  const issuer = fakeIssuer([k]);
  const { jwt, advance, seconds } = setup({ idp: { issuer: 'id.example/realms/r', 'auth-subjects': ['{{ jwt:sub }}', 'group:{{ jwt:groups }}'] } }, issuer.fetchJson);
  const token = await k.sign({ groups: ['a', 'b'], exp: seconds() + 30 });
  const v = await jwt.verify(token);
  assert.deepEqual(v.auth.subjects, ['idp:alice', 'idp:group:a', 'idp:group:b']);
  assert.equal(v.expiresAtMs, (seconds() + 30) * 1000);
  assert.equal(issuer.state.fetches, 1);
  // The cached answer needs no keys; once the token has expired it is verified again and fails.
  issuer.state.fail = new DittoError('gateway:publickey.provider.unavailable');
  assert.deepEqual((await jwt.verify(token)).auth.subjects, v.auth.subjects);
  advance(60_000);
  issuer.state.fail = undefined;
  await assert.rejects(jwt.verify(token), is('gateway:authentication.failed', 401));
});

test('prerequisite conditions and the audience shorthand fail with gateway:jwt.condition.failed', async () => {
  const k = await key('k1');
  const { jwt } = setup(
    { idp: { issuer: ISS, audience: ['doppel'], 'prerequisite-conditions': ["{{ jwt:email_verified | fn:filter('eq', 'true') }}"] } },
    fakeIssuer([k]).fetchJson,
  );
  assert.deepEqual((await jwt.verify(await k.sign({ aud: 'doppel', email_verified: true }))).auth.subjects, ['idp:alice']);
  await assert.rejects(jwt.verify(await k.sign({ aud: 'doppel', email_verified: false })), is('gateway:jwt.condition.failed', 401));
  await assert.rejects(jwt.verify(await k.sign({ aud: 'other', email_verified: true })), is('gateway:jwt.condition.failed', 401));
});

test('a token from which no subject resolves is refused', async () => {
  const k = await key('k1');
  const { jwt } = setup({ idp: { issuer: ISS, 'auth-subjects': ['{{ jwt:nothing }}'] } }, fakeIssuer([k]).fetchJson);
  await assert.rejects(jwt.verify(await k.sign({})), is('gateway:authentication.failed', 401));
});

test('only public-key algorithms that fit the key verify', async () => {
  const rsa = await key('rsa');
  const ec = await key('ec', 'ES384');
  const ed = await key('ed', 'EdDSA');
  const { jwt } = setup({ idp: { issuer: ISS } }, fakeIssuer([rsa, ec, ed]).fetchJson);
  assert.deepEqual((await jwt.verify(await ec.sign({}))).auth.subjects, ['idp:alice']);
  assert.deepEqual((await jwt.verify(await ed.sign({}))).auth.subjects, ['idp:alice']);
  // The EC key named for an RSA algorithm: a key that cannot verify it.
  const rsaSigned = await rsa.sign({});
  const [, payload, signature] = rsaSigned.split('.');
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'ec' })).toString('base64url');
  await assert.rejects(jwt.verify(`${header}.${payload ?? ''}.${signature ?? ''}`), is('gateway:authentication.failed', 401));
  for (const alg of ['none', 'HS256', 'HS512']) {
    const h = Buffer.from(JSON.stringify({ alg, kid: 'rsa' })).toString('base64url');
    await assert.rejects(jwt.verify(`${h}.${payload ?? ''}.${signature ?? ''}`), is('gateway:authentication.failed', 401), alg);
  }
});

test('[rotation] an unknown kid fetches the keys again at most once per 10 s', async () => {
  const k1 = await key('k1');
  const k2 = await key('k2');
  const issuer = fakeIssuer([k1]);
  const { jwt, advance } = setup({ idp: { issuer: ISS } }, issuer.fetchJson);
  await jwt.verify(await k1.sign({}));
  assert.equal(issuer.state.fetches, 1);
  await assert.rejects(jwt.verify(await k2.sign({})), is('gateway:authentication.failed', 401));
  assert.equal(issuer.state.fetches, 2);
  issuer.state.keys = [k1, k2];
  advance(5_000);
  await assert.rejects(jwt.verify(await k2.sign({ sub: 'x' })), is('gateway:authentication.failed', 401));
  assert.equal(issuer.state.fetches, 2, 'rate-limited');
  advance(5_000);
  assert.deepEqual((await jwt.verify(await k2.sign({ sub: 'y' }))).auth.subjects, ['idp:y']);
  assert.equal(issuer.state.fetches, 3);
});

test('concurrent requests share one fetch; keys are refreshed after an hour and kept when that fails', async () => {
  const k1 = await key('k1');
  const issuer = fakeIssuer([k1]);
  const { jwt, advance } = setup({ idp: { issuer: ISS } }, issuer.fetchJson);
  const tokens = await Promise.all([1, 2, 3, 4].map((i) => k1.sign({ sub: `u${i}` })));
  await Promise.all(tokens.map((t) => jwt.verify(t)));
  assert.equal(issuer.state.fetches, 1);
  advance(3_600_001);
  issuer.state.fail = new DittoError('gateway:publickey.provider.unavailable');
  assert.deepEqual((await jwt.verify(await k1.sign({ sub: 'late' }))).auth.subjects, ['idp:late']);
  issuer.state.fail = undefined;
  advance(10_000);
  await jwt.verify(await k1.sign({ sub: 'later' }));
  assert.equal(issuer.state.fetches, 2);
});

test('an unreachable issuer answers 503 and is asked again only after the interval', async () => {
  const k1 = await key('k1');
  let calls = 0;
  const fetchJson: JsonFetcher = () => {
    calls++;
    return Promise.reject(new DittoError('gateway:publickey.provider.unavailable'));
  };
  const { jwt, advance } = setup({ idp: { issuer: ISS } }, fetchJson);
  await assert.rejects(jwt.verify(await k1.sign({})), is('gateway:publickey.provider.unavailable', 503));
  await assert.rejects(jwt.verify(await k1.sign({ sub: 'b' })), is('gateway:publickey.provider.unavailable', 503));
  assert.equal(calls, 1);
  advance(10_000);
  await assert.rejects(jwt.verify(await k1.sign({ sub: 'c' })), is('gateway:publickey.provider.unavailable', 503));
  assert.equal(calls, 2);
});

test('a jwks_uri over plain HTTP is refused unless the protocol is http; odd documents are 503', async () => {
  const k1 = await key('k1');
  const issuer = fakeIssuer([k1]);
  issuer.state.jwksUri = 'http://id.example/keys';
  const { jwt } = setup({ idp: { issuer: ISS } }, issuer.fetchJson);
  await assert.rejects(jwt.verify(await k1.sign({})), is('gateway:publickey.provider.unavailable', 503));
  const { jwt: other } = setup({ idp: { issuer: ISS } }, () => Promise.resolve({ jwks_uri: JWKS, keys: 'no' }));
  await assert.rejects(other.verify(await k1.sign({})), is('gateway:publickey.provider.unavailable', 503));
});

test('[ditto: JsonWebToken] malformed tokens, missing iss or kid, unknown issuers', async () => {
  const k1 = await key('k1');
  const { jwt } = setup({ idp: { issuer: ISS } }, fakeIssuer([k1]).fetchJson);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  for (const bad of ['', 'x', 'a.b', 'a.b.c.d', `${part({})}.${part({})}.`, `${part({})}.bm90IGpzb24.c2ln`, `${part([1])}.${part({})}.c2ln`, `%%.${part({})}.c2ln`]) {
    await assert.rejects(jwt.verify(bad), is('jwt:invalid', 400), bad);
  }
  await assert.rejects(jwt.verify(`${part({ alg: 'RS256', kid: 'k1' })}.${part({ sub: 'a' })}.c2ln`), is('json.field.missing', 400));
  await assert.rejects(jwt.verify(`${part({ alg: 'RS256' })}.${part({ iss: ISS })}.c2ln`), is('json.field.missing', 400));
  await assert.rejects(jwt.verify(`${part({ alg: 'RS256', kid: 'k1' })}.${part({ iss: 'https://other.example' })}.c2ln`), is('gateway:jwt.issuer.notsupported', 401));
  await assert.rejects(jwt.authenticateBearer('Bearer'), is('jwt:invalid', 400));
  await assert.rejects(jwt.authenticateBearer('Bearer a  b'), is('jwt:invalid', 400));
  assert.deepEqual((await jwt.authenticateBearer(`Bearer ${await k1.sign({})} `)).auth.subjects, ['idp:alice']);
});
