import { DittoError, isDittoError } from '../../model/errors/index.ts';
import type { AuthContext } from '../../signals/index.ts';
import { authenticateDevops, basicCredentials, sameSecret, type DevopsAuthentication } from './devops-authentication.ts';
import { JwtAuthenticator, type JwtVerification } from './jwt-authentication.ts';

export interface BasicUser {
  readonly username: string;
  readonly password: string;
  /** The authorization subjects the user gets, e.g. `nginx:ditto`. */
  readonly subjects: readonly string[];
}

export interface AuthenticationConfig {
  readonly users: readonly BasicUser[];
  readonly preAuthentication: boolean;
  /** The password of the `devops` user (DevOps and connections routes only). */
  readonly devopsPassword?: string;
}

/** What a transport found in a request that may authenticate it. */
export interface Credentials {
  readonly authorization?: string | undefined;
  /** Every value of `x-ditto-pre-authenticated` (header values and the query parameter). */
  readonly preAuthenticated: readonly string[];
}

function failed(reason: string): DittoError {
  return new DittoError('gateway:authentication.failed', { reason });
}

/** No issuers configured: every Bearer token names an unsupported issuer (or is no JWT at all). */
const NO_ISSUERS = new JwtAuthenticator(new Map(), { key: () => Promise.resolve({ kind: 'unknown' }) }, { now: () => Date.now() });

/**
 * [ditto: AuthenticationChain] When several mechanisms applied and all failed: the single failure,
 * else the first that is not a 401, else one 401 that lists them all.
 */
function aggregate(failures: readonly DittoError[]): DittoError {
  const [first] = failures;
  if (first === undefined) return failed('the request has no credentials Doppel accepts');
  if (failures.length === 1) return first;
  const other = failures.find((f) => f.status !== 401);
  if (other !== undefined) return other;
  const hints = failures.map((f) => `{ ${f.description ?? f.message} }`).join(', ');
  return new DittoError('gateway:authentication.failed', { reason: 'several authentication mechanisms applied but none succeeded' }, { description: `Suggestions: ${hints}.` });
}

/**
 * Authenticates a request the way Ditto's gateway chain does: pre-authentication (when enabled
 * and present), then a JWT (`Authorization: Bearer`), then HTTP Basic (Doppel's stand-in for the
 * nginx in front of Ditto). Basic and JWT results are cached because clients send the same header
 * on every request and checking it costs on the hot path.
 */
export class Authenticator {
  private readonly config: AuthenticationConfig;
  private readonly jwt: JwtAuthenticator;
  private readonly basicCache = new Map<string, AuthContext>();

  constructor(config: AuthenticationConfig, jwt: JwtAuthenticator = NO_ISSUERS) {
    this.config = config;
    this.jwt = jwt;
  }

  async authenticate(c: Credentials): Promise<AuthContext> {
    const failures: DittoError[] = [];
    const attempt = async (f: () => AuthContext | Promise<AuthContext>): Promise<AuthContext | undefined> => {
      try {
        return await f();
      } catch (e) {
        if (!isDittoError(e)) throw e;
        failures.push(e);
        return undefined;
      }
    };
    if (this.config.preAuthentication && c.preAuthenticated.length > 0) {
      const ctx = await attempt(() => this.preAuthenticated(c.preAuthenticated));
      if (ctx !== undefined) return ctx;
    }
    const authorization = c.authorization ?? '';
    // [ditto: DefaultJwtExtractor] the JWT provider applies to headers starting with "Bearer".
    if (authorization.startsWith('Bearer')) {
      const ctx = await attempt(async () => (await this.jwt.authenticateBearer(authorization)).auth);
      if (ctx !== undefined) return ctx;
    } else if (basicCredentials(authorization) !== undefined) {
      const ctx = await attempt(() => this.basic(authorization));
      if (ctx !== undefined) return ctx;
    }
    throw aggregate(failures);
  }

  /** A JWT given on its own, e.g. the WebSocket's `access_token` query parameter. */
  authenticateToken(token: string): Promise<JwtVerification> {
    return this.jwt.verify(token);
  }

  /** DevOps Basic authentication for `/devops/...` and `/api/2/connections/...`. */
  authenticateDevops(authorization: string | undefined): DevopsAuthentication {
    const password = this.config.devopsPassword;
    return password === undefined ? { ok: false, reason: 'rejected' } : authenticateDevops(authorization, password);
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
    const credentials = basicCredentials(header);
    if (credentials === undefined) throw failed('the Basic credentials are malformed');
    const user = this.config.users.find((u) => u.username === credentials.username);
    if (user === undefined || !sameSecret(user.password, credentials.password)) throw failed('the username or password is wrong');
    const ctx: AuthContext = { subjects: user.subjects };
    if (this.basicCache.size > 1000) this.basicCache.clear();
    this.basicCache.set(header, ctx);
    return ctx;
  }
}
