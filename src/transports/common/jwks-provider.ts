import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { Logger } from 'pino';
import { DittoError, isDittoError } from '../../model/errors/index.ts';

// The public keys of OpenID Connect issuers: discovered through
// `<issuer>/.well-known/openid-configuration` -> `jwks_uri` [ditto: operating-authentication],
// cached, and fetched again when a token names a key Doppel does not know (key rotation).

/** Fetches a URL and returns its JSON; fails with the 503 Ditto answers when keys cannot be had. */
export type JsonFetcher = (url: string) => Promise<unknown>;

export type KeyLookup = { readonly kind: 'found'; readonly key: CryptoKey } | { readonly kind: 'unknown' } | { readonly kind: 'unsuitable' };

export interface KeySource {
  /** The key `kid` of the issuer discovered at `discoveryUrl`, imported for `alg`. */
  key(discoveryUrl: string, kid: string, alg: string): Promise<KeyLookup>;
}

export interface JwksProviderOptions {
  readonly now: () => number;
  /** Whether a `jwks_uri` may use plain HTTP (the OAuth protocol is `http`). */
  readonly allowHttp: boolean;
  readonly fetchJson?: JsonFetcher;
  /** An unknown `kid` fetches the keys again at most once per this interval per issuer; failed fetches are retried after it. */
  readonly refetchIntervalMs?: number;
  /** Keys older than this are fetched again (Ditto caches them for an hour). */
  readonly maxAgeMs?: number;
  readonly logger?: Pick<Logger, 'warn'>;
}

const FETCH_TIMEOUT_MS = 5_000;
const MAX_DOCUMENT_CHARS = 1_048_576;

function unavailable(reason: string, cause?: unknown): DittoError {
  return new DittoError('gateway:publickey.provider.unavailable', {}, { description: reason, cause });
}

/** Plain `fetch` with a timeout; connection failures → 503 publickey, non-2xx → 503 authentication provider (as Ditto). */
export function httpJsonFetcher(timeoutMs = FETCH_TIMEOUT_MS): JsonFetcher {
  return async (url) => {
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    } catch (e) {
      throw unavailable(`${url} could not be reached.`, e);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DittoError('gateway:authentication.provider.unavailable', {}, { cause: new Error(`${url} answered ${res.status}`) });
    }
    try {
      const text = await res.text();
      if (text.length > MAX_DOCUMENT_CHARS) throw new Error('the document is too large');
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw unavailable(`${url} did not answer with JSON.`, e);
    }
  };
}

interface KeySet {
  readonly keys: ReadonlyMap<string, JWK>;
  readonly fetchedAt: number;
  /** Imported keys by `kid` and algorithm. */
  readonly imported: Map<string, CryptoKey>;
}

interface Source {
  set?: KeySet;
  inflight?: Promise<KeySet> | undefined;
  lastFailureAt?: number;
  lastError?: DittoError;
  lastRefetchAt?: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const EDDSA = new Set(['EdDSA', 'Ed25519']);
const EC_ALG: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/** Whether a public key can verify `alg`: RSA for RS/PS, the matching curve for ES, Ed25519 for EdDSA; never a secret. */
function suits(jwk: JWK, alg: string): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.alg !== undefined && jwk.alg !== alg && !(EDDSA.has(jwk.alg) && EDDSA.has(alg))) return false;
  switch (jwk.kty) {
    case 'RSA':
      return /^(RS|PS)(256|384|512)$/.test(alg);
    case 'EC':
      return EC_ALG[jwk.crv ?? ''] === alg;
    case 'OKP':
      return jwk.crv === 'Ed25519' && EDDSA.has(alg);
    default:
      return false;
  }
}

export class JwksProvider implements KeySource {
  private readonly sources = new Map<string, Source>();
  private readonly fetchJson: JsonFetcher;
  private readonly refetchIntervalMs: number;
  private readonly maxAgeMs: number;

  constructor(private readonly options: JwksProviderOptions) {
    this.fetchJson = options.fetchJson ?? httpJsonFetcher();
    this.refetchIntervalMs = options.refetchIntervalMs ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 3_600_000;
  }

  async key(discoveryUrl: string, kid: string, alg: string): Promise<KeyLookup> {
    let source = this.sources.get(discoveryUrl);
    if (source === undefined) {
      source = {};
      this.sources.set(discoveryUrl, source);
    }
    let set = await this.current(discoveryUrl, source);
    let jwk = set.keys.get(kid);
    if (jwk === undefined) {
      // Key rotation: the issuer may have published a new key. An unknown kid costs at most
      // one fetch per interval, so invented kids cannot make Doppel hammer the issuer.
      const now = this.options.now();
      if (source.inflight !== undefined) set = await source.inflight;
      else if (source.lastRefetchAt === undefined || now - source.lastRefetchAt >= this.refetchIntervalMs) {
        source.lastRefetchAt = now;
        set = await this.load(discoveryUrl, source);
      }
      jwk = set.keys.get(kid);
      if (jwk === undefined) return { kind: 'unknown' };
    }
    return this.imported(set, kid, jwk, alg);
  }

  /** The cached keys; the first call fetches them, stale keys are refreshed (kept when that fails). */
  private async current(url: string, source: Source): Promise<KeySet> {
    const now = this.options.now();
    const set = source.set;
    const recentlyFailed = source.lastFailureAt !== undefined && now - source.lastFailureAt < this.refetchIntervalMs;
    if (set !== undefined) {
      if (now - set.fetchedAt < this.maxAgeMs || recentlyFailed) return set;
      try {
        return await this.load(url, source);
      } catch {
        return set;
      }
    }
    if (source.inflight !== undefined) return source.inflight;
    // A provider that is down is asked again only after the interval; until then the same 503.
    if (recentlyFailed && source.lastError !== undefined) throw source.lastError;
    return this.load(url, source);
  }

  /** Fetches the keys once for all concurrent callers. */
  private load(url: string, source: Source): Promise<KeySet> {
    if (source.inflight !== undefined) return source.inflight;
    const inflight = this.fetchKeys(url).then(
      (set) => {
        source.set = set;
        source.inflight = undefined;
        delete source.lastError;
        delete source.lastFailureAt;
        return set;
      },
      (e: unknown) => {
        const error = isDittoError(e) ? e : unavailable('The keys could not be read.', e);
        source.inflight = undefined;
        source.lastError = error;
        source.lastFailureAt = this.options.now();
        this.options.logger?.warn({ err: e, discoveryUrl: url }, 'fetching the public keys of a JWT issuer failed');
        throw error;
      },
    );
    source.inflight = inflight;
    return inflight;
  }

  private allowedUrl(url: string): boolean {
    return url.startsWith('https://') || (this.options.allowHttp && url.startsWith('http://'));
  }

  private async fetchKeys(url: string): Promise<KeySet> {
    const discovery = await this.fetchJson(url);
    const jwksUri = isObject(discovery) ? discovery['jwks_uri'] : undefined;
    if (typeof jwksUri !== 'string' || !this.allowedUrl(jwksUri)) throw unavailable(`The discovery document ${url} names no usable jwks_uri.`);
    const jwks = await this.fetchJson(jwksUri);
    const list = isObject(jwks) ? jwks['keys'] : undefined;
    if (!Array.isArray(list)) throw unavailable(`${jwksUri} is not a JSON Web Key Set.`);
    const keys = new Map<string, JWK>();
    // [ditto: DittoPublicKeyProvider] keys are found by kid; the first key with a kid wins.
    for (const k of list) if (isObject(k) && typeof k['kid'] === 'string' && !keys.has(k['kid'])) keys.set(k['kid'], k as JWK);
    return { keys, fetchedAt: this.options.now(), imported: new Map() };
  }

  private async imported(set: KeySet, kid: string, jwk: JWK, alg: string): Promise<KeyLookup> {
    const cacheKey = `${kid}\u0000${alg}`;
    const cached = set.imported.get(cacheKey);
    if (cached !== undefined) return { kind: 'found', key: cached };
    if (!suits(jwk, alg)) return { kind: 'unsuitable' };
    let key: CryptoKey | Uint8Array;
    try {
      key = await importJWK(jwk, alg);
    } catch (e) {
      throw new DittoError('jwk:invalid', { kid, reason: (e as Error).message }, { cause: e });
    }
    if (key instanceof Uint8Array) return { kind: 'unsuitable' };
    set.imported.set(cacheKey, key);
    return { kind: 'found', key };
  }
}
