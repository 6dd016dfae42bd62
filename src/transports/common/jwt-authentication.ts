import { errors, jwtVerify } from 'jose';
import { DittoError } from '../../model/errors/index.ts';
import type { JsonObject } from '../../model/json.ts';
import { jwtClaimValues, jwtLookup, templateValues } from '../../model/placeholders/index.ts';
import type { AuthContext } from '../../signals/index.ts';
import type { KeySource } from './jwks-provider.ts';
import type { IssuerEndpoint } from './oidc-config.ts';

// JWT / OpenID Connect authentication [ditto: operating-authentication openid-connect].
// Ditto's answers: a token that is not a JWT at all → 400 `jwt:invalid`; an `iss` no issuer is
// configured for → 401 `gateway:jwt.issuer.notsupported`; a token that does not verify (key,
// algorithm, signature, `exp`/`nbf`) → 401 `gateway:authentication.failed`; a failed prerequisite
// condition → 401 `gateway:jwt.condition.failed`; keys that cannot be fetched → 503.

/** Public-key algorithms only: never `none`, never HMAC (a public key must not become a shared secret). */
export const JWT_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

export interface JwtVerification {
  readonly auth: AuthContext;
  readonly claims: JsonObject;
  /** When the token expires (its `exp`), for sessions that must end with it. */
  readonly expiresAtMs: number | undefined;
}

export interface JwtAuthenticatorOptions {
  readonly now: () => number;
  /** Tolerance for `exp` and `nbf` (Ditto's `allowed-clock-skew`, 10 s). */
  readonly clockSkewSeconds?: number;
  /** How long a verified token is remembered (at most until it expires). */
  readonly cacheTtlMs?: number;
  readonly cacheMaxEntries?: number;
}

function invalid(reason: string): DittoError {
  return new DittoError('jwt:invalid', { reason });
}

function unverified(reason: string): DittoError {
  return new DittoError('gateway:authentication.failed', { reason: 'the JWT could not be verified' }, { description: reason });
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodePart(part: string): JsonObject {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw invalid('The token parts must be base64url-encoded JSON objects.');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    json = undefined;
  }
  if (!isObject(json)) throw invalid('The token parts must be base64url-encoded JSON objects.');
  return json;
}

/** Header and claims, unverified; only to choose the issuer and key. */
function decode(token: string): { header: JsonObject; claims: JsonObject } {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[2] === '') throw invalid('A JWT has three parts: header, payload and signature.');
  return { header: decodePart(parts[0] ?? ''), claims: decodePart(parts[1] ?? '') };
}

function describe(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'The token has expired.';
  if (e instanceof errors.JWTClaimValidationFailed) return e.claim === 'nbf' ? 'The token is not valid yet (nbf).' : `The claim '${e.claim}' is invalid.`;
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'The signature does not match the key.';
  if (e instanceof errors.JOSEError) return e.message;
  return 'The token could not be verified.';
}

export class JwtAuthenticator {
  private readonly cache = new Map<string, { readonly result: JwtVerification; readonly until: number }>();
  private readonly skew: number;
  private readonly cacheTtlMs: number;
  private readonly cacheMax: number;

  constructor(
    private readonly issuers: ReadonlyMap<string, IssuerEndpoint>,
    private readonly keys: KeySource,
    private readonly options: JwtAuthenticatorOptions,
  ) {
    this.skew = options.clockSkewSeconds ?? 10;
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.cacheMax = options.cacheMaxEntries ?? 10_000;
  }

  /** An `Authorization` value starting with `Bearer`. */
  authenticateBearer(authorization: string): Promise<JwtVerification> {
    // [ditto: DefaultJwtExtractor] exactly `Bearer <token>` (Java's split drops trailing blanks).
    const parts = authorization.replace(/ +$/, '').split(' ');
    if (parts.length !== 2 || parts[0] !== 'Bearer') return Promise.reject(invalid('The Authorization header must be "Bearer <token>".'));
    return this.verify(parts[1] ?? '');
  }

  /** Verifies a token, e.g. the WebSocket's `access_token`. Verified tokens are remembered briefly. */
  async verify(token: string): Promise<JwtVerification> {
    const now = this.options.now();
    const hit = this.cache.get(token);
    if (hit !== undefined) {
      if (hit.until > now) return hit.result;
      this.cache.delete(token);
    }
    const result = await this.verifyUncached(token, now);
    const until = Math.min(now + this.cacheTtlMs, result.expiresAtMs ?? Number.POSITIVE_INFINITY);
    if (until > now) {
      if (this.cache.size >= this.cacheMax) {
        const oldest = this.cache.keys().next();
        if (oldest.done !== true) this.cache.delete(oldest.value);
      }
      this.cache.set(token, { result, until });
    }
    return result;
  }

  private async verifyUncached(token: string, now: number): Promise<JwtVerification> {
    const { header, claims: unverifiedClaims } = decode(token);
    // [ditto: AbstractJsonWebToken] `iss` and `kid` are required fields.
    const iss = unverifiedClaims['iss'];
    if (typeof iss !== 'string') throw new DittoError('json.field.missing', { field: 'iss' });
    const kid = header['kid'];
    if (typeof kid !== 'string') throw new DittoError('json.field.missing', { field: 'kid' });
    const endpoint = this.issuers.get(iss);
    if (endpoint === undefined) throw new DittoError('gateway:jwt.issuer.notsupported', { issuer: iss });
    const alg = header['alg'];
    if (typeof alg !== 'string' || !JWT_ALGORITHMS.has(alg)) throw unverified(`The algorithm '${String(alg)}' is not accepted.`);
    const found = await this.keys.key(endpoint.discoveryUrl, kid, alg);
    if (found.kind === 'unknown') throw unverified(`The issuer '${iss}' has no key '${kid}'.`);
    if (found.kind === 'unsuitable') throw unverified(`The key '${kid}' cannot verify ${alg} signatures.`);
    let claims: JsonObject;
    try {
      const verified = await jwtVerify(token, found.key, { algorithms: [alg], clockTolerance: this.skew, currentDate: new Date(now) });
      claims = verified.payload as JsonObject;
    } catch (e) {
      throw unverified(describe(e));
    }
    const expiresAtMs = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined;
    const jwt = expiresAtMs === undefined ? { claims } : { claims, expiresAtMs };
    return { auth: { subjects: this.subjects(endpoint, claims), jwt }, claims, expiresAtMs };
  }

  private subjects(endpoint: IssuerEndpoint, claims: JsonObject): string[] {
    const { issuer } = endpoint;
    const lookup = jwtLookup(claims);
    // [ditto: operating-authentication prerequisite-conditions] each must resolve to something.
    if (issuer.conditions.some((c) => templateValues(c, lookup).length === 0)) throw new DittoError('gateway:jwt.condition.failed');
    if (issuer.audience.length > 0 && !jwtClaimValues(claims, 'aud').some((a) => issuer.audience.includes(a))) throw new DittoError('gateway:jwt.condition.failed');
    // [ditto: operating-authentication auth-subjects] unresolvable templates are skipped.
    const subjects = issuer.authSubjects.flatMap((t) => templateValues(t, lookup)).map((v) => `${issuer.prefix}:${v}`);
    if (subjects.length === 0) throw new DittoError('gateway:authentication.failed', { reason: 'no authorization subject could be derived from the JWT' }, { description: 'Check the auth-subjects templates of the issuer against the claims of the token.' });
    return subjects;
  }
}
