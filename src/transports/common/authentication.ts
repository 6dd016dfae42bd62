import { timingSafeEqual } from 'node:crypto';
import { DittoError } from '../../model/errors/index.ts';
import type { AuthContext } from '../../signals/index.ts';

export interface BasicUser {
  readonly username: string;
  readonly password: string;
  /** The authorization subjects the user gets, e.g. `nginx:ditto`. */
  readonly subjects: readonly string[];
}

export interface AuthenticationConfig {
  readonly users: readonly BasicUser[];
  readonly preAuthentication: boolean;
}

/** What a transport found in a request that may authenticate it. */
export interface Credentials {
  readonly authorization?: string | undefined;
  /** Every value of `x-ditto-pre-authenticated` (header values and the query parameter). */
  readonly preAuthenticated: readonly string[];
}

function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

function failed(reason: string): DittoError {
  return new DittoError('gateway:authentication.failed', { reason });
}

/**
 * Authenticates a request the way Ditto's gateway chain does: pre-authentication (when enabled
 * and present), then the credentials in `Authorization`. Basic results are cached because clients
 * send the same header on every request and comparing secrets costs on the hot path.
 */
export class Authenticator {
  private readonly config: AuthenticationConfig;
  private readonly basicCache = new Map<string, AuthContext>();

  constructor(config: AuthenticationConfig) {
    this.config = config;
  }

  authenticate(c: Credentials): AuthContext {
    if (this.config.preAuthentication && c.preAuthenticated.length > 0) return this.preAuthenticated(c.preAuthenticated);
    const authorization = c.authorization;
    if (authorization === undefined || authorization === '') throw failed('the request has no credentials');
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    if (scheme === 'basic') return this.basic(authorization);
    throw failed(`the authentication scheme '${scheme}' is not supported here`);
  }

  private preAuthenticated(values: readonly string[]): AuthContext {
    // [ditto: pre-authentication] exactly one header; a list of subjects separated by commas.
    if (values.length > 1) throw new DittoError('gateway:duplicate.header.field', { header: 'x-ditto-pre-authenticated' });
    const subjects = (values[0] ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (subjects.length === 0 || subjects.some((s) => !s.includes(':'))) throw failed('the pre-authenticated subjects are invalid');
    return { subjects };
  }

  private basic(header: string): AuthContext {
    const cached = this.basicCache.get(header);
    if (cached !== undefined) return cached;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw failed('the Basic credentials are malformed');
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const user = this.config.users.find((u) => u.username === username);
    if (user === undefined || !sameSecret(user.password, password)) throw failed('the username or password is wrong');
    const ctx: AuthContext = { subjects: user.subjects };
    if (this.basicCache.size > 1000) this.basicCache.clear();
    this.basicCache.set(header, ctx);
    return ctx;
  }
}
