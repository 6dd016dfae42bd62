import { timingSafeEqual } from 'node:crypto';

// DevOps authentication [ditto: DevOpsBasicAuthenticationDirective]: `/devops/...` and
// `/api/2/connections/...` take HTTP Basic with the user `devops` and the devops password, in the
// realm DITTO-DEVOPS. A refusal is the HTTP framework's plain-text 401 with a Basic challenge, not a
// Ditto error body.

export const DEVOPS_USER = 'devops';
export const DEVOPS_REALM = 'DITTO-DEVOPS';

export type DevopsAuthentication =
  | { readonly ok: true }
  /** `missing`: no Basic credentials at all; `rejected`: Basic credentials that are wrong. */
  | { readonly ok: false; readonly reason: 'missing' | 'rejected' };

export function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Splits `Basic <base64(user:password)>`; undefined when the header is not Basic. */
export function basicCredentials(authorization: string | undefined): { username: string; password: string } | undefined {
  if (authorization === undefined) return undefined;
  const space = authorization.indexOf(' ');
  if (space < 0 || authorization.slice(0, space).toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(authorization.slice(space + 1).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { username: decoded, password: '' } : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function authenticateDevops(authorization: string | undefined, devopsPassword: string): DevopsAuthentication {
  const credentials = basicCredentials(authorization);
  // Other schemes count as no credentials, as in the framework Ditto uses.
  if (credentials === undefined) return { ok: false, reason: 'missing' };
  const passwordOk = sameSecret(credentials.password, devopsPassword);
  return credentials.username === DEVOPS_USER && passwordOk ? { ok: true } : { ok: false, reason: 'rejected' };
}

/** The 401 answer to a refused DevOps request: status, headers and plain-text body. */
export function devopsChallenge(reason: 'missing' | 'rejected'): { status: 401; headers: Readonly<Record<string, string>>; body: string } {
  return {
    status: 401,
    headers: { 'www-authenticate': `Basic realm="${DEVOPS_REALM}",charset=UTF-8`, 'content-type': 'text/plain; charset=UTF-8' },
    body: reason === 'missing' ? 'The resource requires authentication, which was not supplied with the request' : 'The supplied authentication is invalid',
  };
}
