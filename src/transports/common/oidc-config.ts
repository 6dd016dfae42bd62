import { compileTemplate, type CompiledTemplate } from '../../model/placeholders/index.ts';

// The OpenID Connect issuers Doppel accepts tokens from, configured like Ditto's
// `ditto.gateway.authentication.oauth.openid-connect-issuers` [ditto: operating-authentication]:
//
//   { "<subject prefix>": { "issuer": "accounts.google.com", "issuers": [...],
//                           "auth-subjects": ["{{ jwt:sub }}"], "prerequisite-conditions": [...],
//                           "audience": "..." } }
//
// `audience` is Doppel's shorthand for the usual prerequisite condition on `aud`.

/** One configured issuer, as read from the settings (plain data). */
export interface OidcIssuerConfig {
  /** The subject prefix, e.g. `google` in `google:1234`. */
  readonly prefix: string;
  /** Accepted `iss` values, with or without `https://` / `http://`. */
  readonly issuers: readonly string[];
  readonly authSubjects: readonly string[];
  readonly prerequisiteConditions: readonly string[];
  /** When not empty, the token's `aud` must contain one of these. */
  readonly audience: readonly string[];
}

/** An issuer ready for verification. */
export interface OidcIssuer {
  readonly prefix: string;
  readonly authSubjects: readonly CompiledTemplate[];
  readonly conditions: readonly CompiledTemplate[];
  readonly audience: readonly string[];
}

/** What a token's `iss` value selects: the issuer and where its keys are discovered. */
export interface IssuerEndpoint {
  readonly issuer: OidcIssuer;
  readonly discoveryUrl: string;
}

export type OauthProtocol = 'https' | 'http';

export const DEFAULT_AUTH_SUBJECT = '{{ jwt:sub }}';
const JWT_PREFIXES: ReadonlySet<string> = new Set(['jwt']);
const SCHEME = /^(https?):\/\/(.*)$/i;

const KEYS: Readonly<Record<string, string>> = {
  issuer: 'issuer',
  issuers: 'issuers',
  'auth-subjects': 'authSubjects',
  authSubjects: 'authSubjects',
  'prerequisite-conditions': 'prerequisiteConditions',
  prerequisiteConditions: 'prerequisiteConditions',
  audience: 'audience',
};

function stringList(value: unknown, what: string, allowSingle: boolean): string[] {
  if (allowSingle && typeof value === 'string') return [value];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v.trim() !== '')) {
    throw new Error(`${what} must be ${allowSingle ? 'a string or ' : ''}a list of non-empty strings`);
  }
  return value;
}

function compileAll(templates: readonly string[], what: string): CompiledTemplate[] {
  return templates.map((t) => {
    try {
      return compileTemplate(t, JWT_PREFIXES);
    } catch (e) {
      throw new Error(`${what} '${t}': ${(e as Error).message}`, { cause: e });
    }
  });
}

function parseIssuer(prefix: string, raw: unknown): OidcIssuerConfig {
  if (prefix === '' || prefix.includes(':')) throw new Error(`'${prefix}' cannot be a subject prefix (it must be non-empty and without ':')`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`issuer '${prefix}' must be an object`);
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'inject-claims-into-headers' || k === 'injectClaimsIntoHeaders') throw new Error(`issuer '${prefix}': inject-claims-into-headers is not supported by Doppel`);
    const key = KEYS[k];
    if (key === undefined) throw new Error(`issuer '${prefix}': unknown field '${k}'`);
    fields[key] = v;
  }
  // [ditto: operating-authentication] `issuers` takes priority over `issuer`.
  const issuers = fields['issuers'] !== undefined ? stringList(fields['issuers'], `issuer '${prefix}': issuers`, false) : fields['issuer'] !== undefined ? stringList(fields['issuer'], `issuer '${prefix}': issuer`, true) : [];
  if (issuers.length === 0) throw new Error(`issuer '${prefix}' needs 'issuer' or 'issuers'`);
  const authSubjects = fields['authSubjects'] === undefined ? [DEFAULT_AUTH_SUBJECT] : stringList(fields['authSubjects'], `issuer '${prefix}': auth-subjects`, false);
  if (authSubjects.length === 0) throw new Error(`issuer '${prefix}': auth-subjects must not be empty`);
  const prerequisiteConditions = fields['prerequisiteConditions'] === undefined ? [] : stringList(fields['prerequisiteConditions'], `issuer '${prefix}': prerequisite-conditions`, false);
  const audience = fields['audience'] === undefined ? [] : stringList(fields['audience'], `issuer '${prefix}': audience`, true);
  compileAll(authSubjects, `issuer '${prefix}': auth subject`);
  compileAll(prerequisiteConditions, `issuer '${prefix}': prerequisite condition`);
  return { prefix, issuers, authSubjects, prerequisiteConditions, audience };
}

/** Reads the JSON of the issuers setting; throws an Error naming the first problem. */
export function parseOidcIssuers(text: string): OidcIssuerConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('must be a JSON object of subject prefix to issuer');
  return Object.entries(json).map(([prefix, raw]) => parseIssuer(prefix, raw));
}

function split(issuer: string, protocol: OauthProtocol): { scheme: string; bare: string } {
  const m = SCHEME.exec(issuer);
  return m === null ? { scheme: protocol, bare: issuer } : { scheme: (m[1] ?? '').toLowerCase(), bare: m[2] ?? '' };
}

/** Problems of the issuers with the protocol setting: plain HTTP only when the protocol is `http`. */
export function oidcProblems(issuers: readonly OidcIssuerConfig[], protocol: string): string[] {
  if (protocol !== 'https' && protocol !== 'http') return [`the OAuth protocol must be 'https' or 'http', not '${protocol}'`];
  const problems: string[] = [];
  for (const c of issuers) {
    for (const i of c.issuers) {
      if (split(i, protocol).scheme === 'http' && protocol !== 'http') problems.push(`issuer '${c.prefix}' uses plain HTTP (${i}); that needs the OAuth protocol 'http'`);
    }
  }
  return problems;
}

/**
 * Maps every accepted `iss` value to its issuer. As in Ditto, an issuer is written with or without
 * its scheme (without one, `protocol` applies); a token's `iss` matches it with or without the
 * scheme, and the keys of each issuer value are discovered at
 * `<scheme>://<issuer>/.well-known/openid-configuration`.
 */
export function buildIssuers(configs: readonly OidcIssuerConfig[], protocol: OauthProtocol): Map<string, IssuerEndpoint> {
  const out = new Map<string, IssuerEndpoint>();
  for (const c of configs) {
    const issuer: OidcIssuer = {
      prefix: c.prefix,
      authSubjects: compileAll(c.authSubjects, 'auth subject'),
      conditions: compileAll(c.prerequisiteConditions, 'prerequisite condition'),
      audience: c.audience,
    };
    for (const i of c.issuers) {
      const { scheme, bare } = split(i, protocol);
      const endpoint = { issuer, discoveryUrl: `${scheme}://${bare.replace(/\/+$/, '')}/.well-known/openid-configuration` };
      // The first issuer configured for an `iss` value wins.
      if (!out.has(bare)) out.set(bare, endpoint);
      if (!out.has(`${scheme}://${bare}`)) out.set(`${scheme}://${bare}`, endpoint);
    }
  }
  return out;
}
