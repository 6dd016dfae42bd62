import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function newSigningKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/** Base64url of a JSON object, for hand-made tokens. */
export function b64json(o: object): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

/**
 * A minimal OpenID Connect provider on 127.0.0.1 and a free port: the discovery document at
 * `<issuer>/.well-known/openid-configuration` and the key set it points to. It counts requests so
 * tests can see when Doppel fetches keys, and can answer 500 to play a broken provider.
 */
export class OidcProvider {
  keys: readonly SigningKey[];
  discoveryHits = 0;
  jwksHits = 0;
  failWith: number | undefined;
  private readonly server: Server;
  private base = '';

  private constructor(keys: readonly SigningKey[]) {
    this.keys = keys;
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (this.failWith !== undefined) {
        res.writeHead(this.failWith).end('broken');
      } else if (path === '/realms/test/.well-known/openid-configuration') {
        this.discoveryHits++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.base}/realms/test/keys` }));
      } else if (path === '/realms/test/keys') {
        this.jwksHits++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
      } else {
        res.writeHead(404).end();
      }
    });
  }

  static async start(keys: readonly SigningKey[]): Promise<OidcProvider> {
    const p = new OidcProvider(keys);
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.base = `http://127.0.0.1:${(p.server.address() as AddressInfo).port}`;
    return p;
  }

  /** The issuer as it appears in `iss`: `http://127.0.0.1:<port>/realms/test`. */
  get issuer(): string {
    return `${this.base}/realms/test`;
  }

  /** A token signed with `key`; `iss`, `iat` and a five-minute `exp` unless the claims say otherwise. */
  sign(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, iat: now, exp: now + 300, ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A URL on 127.0.0.1 where nothing listens. */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
