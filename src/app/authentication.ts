import type { Logger } from 'pino';
import { Authenticator } from '../transports/common/authentication.ts';
import { JwksProvider } from '../transports/common/jwks-provider.ts';
import { JwtAuthenticator } from '../transports/common/jwt-authentication.ts';
import { buildIssuers } from '../transports/common/oidc-config.ts';
import type { Config } from './config.ts';

/** The authentication chain from the settings: pre-authentication, JWT issuers, Basic users, devops. */
export function createAuthenticator(config: Config, logger: Logger): Authenticator {
  // loadConfig has checked the protocol is one of the two.
  const protocol = config.oauthProtocol === 'http' ? 'http' : 'https';
  if (protocol === 'http' && !config.devMode) logger.warn('JWT issuers may use plain HTTP (DOPPEL_OAUTH_PROTOCOL=http); keys can be tampered with in transit');
  const now = (): number => Date.now();
  const keys = new JwksProvider({ now, allowHttp: protocol === 'http', logger: logger.child({ module: 'jwks' }) });
  const jwt = new JwtAuthenticator(buildIssuers(config.oauthIssuers, protocol), keys, { now });
  return new Authenticator({ users: config.users, preAuthentication: config.preAuthentication, devopsPassword: config.devopsPassword }, jwt);
}
