import { parseNamespaceRoots, type NamespaceRoots } from '../policy/index.ts';
import { compileTokenIntegrationSubject, DEFAULT_TOKEN_INTEGRATION_SUBJECT } from '../services/policies/policy-actions.ts';
import type { BasicUser } from '../transports/common/authentication.ts';
import { oidcProblems, parseOidcIssuers, type OidcIssuerConfig } from '../transports/common/oidc-config.ts';

type Kind = 'int' | 'bool' | 'string' | 'optional-string' | 'users' | 'oauth-issuers' | 'namespace-policies';

interface Setting<K extends Kind> {
  readonly kind: K;
  readonly env: string;
  readonly flag: string;
  readonly default: K extends 'int' ? number : K extends 'bool' ? boolean : K extends 'optional-string' ? undefined : string;
  readonly doc: string;
  readonly min?: number;
}

/** Every setting: its type, default, environment variable, CLI flag and meaning. */
export const SETTINGS = {
  port: { kind: 'int', env: 'PORT', flag: '--port', default: 8080, min: 0, doc: 'HTTP port (0 picks a free one).' },
  host: { kind: 'string', env: 'DOPPEL_HOST', flag: '--host', default: '0.0.0.0', doc: 'Address to listen on.' },
  dataDir: { kind: 'string', env: 'DOPPEL_DATA_DIR', flag: '--data-dir', default: './data', doc: 'Directory of the embedded PGlite store.' },
  pgliteTemplateDir: { kind: 'string', env: 'DOPPEL_PGLITE_TEMPLATE_DIR', flag: '--pglite-template-dir', default: 'node_modules/.cache/doppel', doc: 'Cache of a freshly initialised embedded database, and of one with Doppel\'s tables in it (npm install makes both, and keeps the directory it packed the latter from, which the first new store takes); new stores start from them.' },
  pgliteSpare: { kind: 'bool', env: 'DOPPEL_PGLITE_SPARE', flag: '--pglite-spare', default: true, doc: 'After a start on a data directory, unpack a spare copy of the template with Doppel\'s tables next to it when none is ready, in a thread at the lowest priority, so that the next new data directory moves it into place instead of unpacking (~25 MB of disk).' },
  pgliteSharedBuffers: { kind: 'string', env: 'DOPPEL_PGLITE_SHARED_BUFFERS', flag: '--pglite-shared-buffers', default: '16MB', doc: "The embedded store's shared_buffers (PGlite's own default is 128MB, memory the process keeps; 32MB writes ~15 % faster for ~16 MB more)." },
  postgresUrl: { kind: 'optional-string', env: 'DOPPEL_POSTGRES_URL', flag: '--postgres-url', default: undefined, doc: 'PostgreSQL URL; when set, it is used instead of the embedded store.' },
  postgresSchema: { kind: 'string', env: 'DOPPEL_POSTGRES_SCHEMA', flag: '--postgres-schema', default: 'public', doc: 'PostgreSQL schema holding Doppel\'s tables.' },
  postgresPoolSize: { kind: 'int', env: 'DOPPEL_POSTGRES_POOL_SIZE', flag: '--postgres-pool-size', default: 10, min: 1, doc: 'PostgreSQL connections for reads; searches have half as many more of their own, writes theirs, one per commit in flight and one more.' },
  postgresCommitsInFlight: { kind: 'int', env: 'DOPPEL_POSTGRES_COMMITS_IN_FLIGHT', flag: '--postgres-commits-in-flight', default: 1, min: 1, doc: 'Group-commit transactions committing at once on PostgreSQL (one thing\'s writes still commit in order).' },
  pgliteCommitsInFlight: { kind: 'int', env: 'DOPPEL_PGLITE_COMMITS_IN_FLIGHT', flag: '--pglite-commits-in-flight', default: 2, min: 1, doc: 'Group-commit batches sent to the embedded store at once: it runs them one after another, and the next is waiting in its thread when one ends (one thing\'s writes still commit in order).' },
  users: { kind: 'users', env: 'DOPPEL_USERS', flag: '--users', default: 'ditto:ditto=nginx:ditto', doc: 'HTTP Basic users: user:password=subject[|subject...], comma-separated.' },
  devopsPassword: { kind: 'string', env: 'DOPPEL_DEVOPS_PASSWORD', flag: '--devops-password', default: 'foobar', doc: 'Password of the devops user (DevOps and connections APIs).' },
  oauthIssuers: { kind: 'oauth-issuers', env: 'DOPPEL_OAUTH_ISSUERS', flag: '--oauth-issuers', default: '{}', doc: 'OpenID Connect issuers whose JWTs are accepted (JSON, like Ditto\'s openid-connect-issuers).' },
  oauthProtocol: { kind: 'string', env: 'DOPPEL_OAUTH_PROTOCOL', flag: '--oauth-protocol', default: 'https', doc: 'https, or http to allow plain-HTTP issuers (development only).' },
  oauthTokenIntegrationSubject: { kind: 'string', env: 'DOPPEL_OAUTH_TOKEN_INTEGRATION_SUBJECT', flag: '--oauth-token-integration-subject', default: DEFAULT_TOKEN_INTEGRATION_SUBJECT, doc: 'The subject the activateTokenIntegration policy action injects (Ditto: OAUTH_TOKEN_INTEGRATION_SUBJECT); placeholders policy-entry:label, jwt:<claim>, header:<name>.' },
  preAuthentication: { kind: 'bool', env: 'DOPPEL_PRE_AUTHENTICATION', flag: '--pre-authentication', default: false, doc: 'Trust the x-ditto-pre-authenticated header (only behind a proxy that sets it).' },
  defaultNamespace: { kind: 'string', env: 'DOPPEL_DEFAULT_NAMESPACE', flag: '--default-namespace', default: 'org.eclipse.ditto', doc: 'Namespace for created IDs without one.' },
  maxThingSizeBytes: { kind: 'int', env: 'DOPPEL_MAX_THING_SIZE_BYTES', flag: '--max-thing-size-bytes', default: 102_400, min: 1, doc: 'Largest thing (serialised JSON).' },
  maxPolicySizeBytes: { kind: 'int', env: 'DOPPEL_MAX_POLICY_SIZE_BYTES', flag: '--max-policy-size-bytes', default: 102_400, min: 1, doc: 'Largest policy (serialised JSON).' },
  policySubjectExpiryGranularityMs: { kind: 'int', env: 'DOPPEL_POLICY_SUBJECT_EXPIRY_GRANULARITY_MS', flag: '--policy-subject-expiry-granularity-ms', default: 3_600_000, min: 0, doc: 'Policy subject expiries are rounded up to a multiple of this (Ditto: POLICY_SUBJECT_EXPIRY_GRANULARITY, 1h); 0 keeps them as given.' },
  namespacePolicies: { kind: 'namespace-policies', env: 'DOPPEL_NAMESPACE_POLICIES', flag: '--namespace-policies', default: '{}', doc: 'Namespace root policies (Ditto: ditto.namespace-policies), JSON: {"org.example.*": ["org.example:root"]}; their implicit entries count in every policy of a matching namespace.' },
  policySubjectDeletionAnnouncementGranularityMs: { kind: 'int', env: 'DOPPEL_POLICY_SUBJECT_DELETION_ANNOUNCEMENT_GRANULARITY_MS', flag: '--policy-subject-deletion-announcement-granularity-ms', default: 60_000, min: 1, doc: 'The beforeExpiry of subject deletion announcements is rounded up to a multiple of this (Ditto: POLICY_SUBJECT_DELETION_ANNOUNCEMENT_GRANULARITY, 1m).' },
  policyAnnouncementGracePeriodMs: { kind: 'int', env: 'DOPPEL_POLICY_ANNOUNCEMENT_GRACE_PERIOD_MS', flag: '--policy-announcement-grace-period-ms', default: 4 * 3_600_000, min: 0, doc: 'Unacknowledged subject deletion announcements are sent again until this long after the expiry or deletion (Ditto: POLICY_ANNOUNCEMENT_GRACE_PERIOD, 4h).' },
  policyAnnouncementMaxTimeoutMs: { kind: 'int', env: 'DOPPEL_POLICY_ANNOUNCEMENT_MAX_TIMEOUT_MS', flag: '--policy-announcement-max-timeout-ms', default: 60_000, min: 1, doc: 'Longest wait for the acknowledgements of one announcement (Ditto: POLICY_ANNOUNCEMENT_MAX_TIMEOUT, 60s).' },
  policyAnnouncementDefaultRandomizationMs: { kind: 'int', env: 'DOPPEL_POLICY_ANNOUNCEMENT_DEFAULT_RANDOMIZATION_MS', flag: '--policy-announcement-default-randomization-ms', default: 300_000, min: 0, doc: 'beforeExpiry announcements are sent up to this much earlier, at random, unless the subject sets randomizationInterval (Ditto: 5m).' },
  policyAnnouncementBackoffMinMs: { kind: 'int', env: 'DOPPEL_POLICY_ANNOUNCEMENT_BACKOFF_MIN_MS', flag: '--policy-announcement-backoff-min-ms', default: 1_000, min: 1, doc: 'First wait before an unacknowledged announcement is sent again; it grows about 1.5 to 2 times per attempt (Ditto: POLICY_ANNOUNCEMENT_BACKOFF_MIN, 1s).' },
  policyAnnouncementBackoffMaxMs: { kind: 'int', env: 'DOPPEL_POLICY_ANNOUNCEMENT_BACKOFF_MAX_MS', flag: '--policy-announcement-backoff-max-ms', default: 3_600_000, min: 1, doc: 'Longest wait between two sends of an unacknowledged announcement (Ditto: POLICY_ANNOUNCEMENT_BACKOFF_MAX, 1h).' },
  maxHeadersBytes: { kind: 'int', env: 'DOPPEL_MAX_HEADERS_BYTES', flag: '--max-headers-bytes', default: 5_120, min: 1, doc: 'Largest set of Ditto headers of a request.' },
  maxBodyBytes: { kind: 'int', env: 'DOPPEL_MAX_BODY_BYTES', flag: '--max-body-bytes', default: 1_048_576, min: 1, doc: 'Largest HTTP request body.' },
  maxJsonDepth: { kind: 'int', env: 'DOPPEL_MAX_JSON_DEPTH', flag: '--max-json-depth', default: 64, min: 1, doc: 'Deepest nesting of JSON accepted.' },
  maxTimeoutMs: { kind: 'int', env: 'DOPPEL_MAX_TIMEOUT_MS', flag: '--max-timeout-ms', default: 60_000, min: 0, doc: 'Largest `timeout` a request may ask for.' },
  maxMessagePayloadBytes: { kind: 'int', env: 'DOPPEL_MAX_MESSAGE_PAYLOAD_BYTES', flag: '--max-message-payload-bytes', default: 256_000, min: 1, doc: 'Largest message payload (HTTP body of a message, or its protocol value); larger ones answer 413 (Ditto: 250k).' },
  maxClaimTimeoutMs: { kind: 'int', env: 'DOPPEL_MAX_CLAIM_TIMEOUT_MS', flag: '--max-claim-timeout-ms', default: 600_000, min: 0, doc: 'Largest `timeout` a claim message (`POST …/inbox/claim`) may ask for (Ditto: 10 min); other requests are bounded by DOPPEL_MAX_TIMEOUT_MS.' },
  liveTimeoutMs: { kind: 'int', env: 'DOPPEL_LIVE_TIMEOUT_MS', flag: '--live-timeout-ms', default: 10_000, min: 1, doc: 'How long a message or live command waits for its response when the request names no timeout (Ditto: 10 s); claim messages wait 60 s.' },
  liveMaxPending: { kind: 'int', env: 'DOPPEL_LIVE_MAX_PENDING', flag: '--live-max-pending', default: 10_000, min: 1, doc: 'Requests that may wait for live responses or acknowledgements at once; more answer 429.' },
  cacheMaxThings: { kind: 'int', env: 'DOPPEL_CACHE_MAX_THINGS', flag: '--cache-max-things', default: 200_000, min: 1, doc: 'Things kept in memory.' },
  cacheMaxPolicies: { kind: 'int', env: 'DOPPEL_CACHE_MAX_POLICIES', flag: '--cache-max-policies', default: 100_000, min: 1, doc: 'Policies kept in memory (compiled).' },
  heapGrowthPercent: { kind: 'int', env: 'DOPPEL_HEAP_GROWTH_PERCENT', flag: '--heap-growth-percent', default: 30, min: 0, doc: 'How far (in percent of the heap in use, by at least 32 MiB, and up to 96 MiB in all for a smaller heap) the server lets V8\'s old generation grow before its next full collection; 0 leaves it to V8, which allows up to four times the live heap. Applies to the `doppel` command and `npm start`.' },
  heapTrim: { kind: 'bool', env: 'DOPPEL_HEAP_TRIM', flag: '--heap-trim', default: true, doc: 'After a burst (a cache filled, a batch of writes), once the server has been quiet for a few seconds, run one compacting full collection so the heap gives back what the burst left (docs/architecture.md, "Giving memory back after a burst"). Applies to the `doppel` command and `npm start`.' },
  maxQueuedPerThing: { kind: 'int', env: 'DOPPEL_MAX_QUEUED_PER_THING', flag: '--max-queued-per-thing', default: 100, min: 1, doc: 'Modifications waiting for one thing before 429.' },
  searchIndex: { kind: 'bool', env: 'DOPPEL_SEARCH_INDEX', flag: '--search-index', default: true, doc: 'Keep the search index in each write transaction. false (for measuring what indexing costs): searches answer 503 and the index is rebuilt at the next start with it on.' },
  searchMaxScanMs: { kind: 'int', env: 'DOPPEL_SEARCH_MAX_SCAN_MS', flag: '--search-max-scan-ms', default: 10_000, min: 1, doc: 'How long one search or count may check candidates before it answers 408 thing-search:query.time.exceeded.' },
  searchIdleTimeoutMs: { kind: 'int', env: 'DOPPEL_SEARCH_IDLE_TIMEOUT_MS', flag: '--search-idle-timeout-ms', default: 60_000, min: 1, doc: 'A search protocol subscription waiting this long for a request fails with thing-search:subscription.timeout (Ditto: 60 s).' },
  wsMaxSearchSubscriptions: { kind: 'int', env: 'DOPPEL_WS_MAX_SEARCH_SUBSCRIPTIONS', flag: '--ws-max-search-subscriptions', default: 16, min: 1, doc: 'Search subscriptions one WebSocket session may hold open; a subscribe beyond is answered with 429 too.many.requests.' },
  streamingMaxBufferedBytes: { kind: 'int', env: 'DOPPEL_STREAMING_MAX_BUFFERED_BYTES', flag: '--streaming-max-buffered-bytes', default: 1_048_576, min: 1, doc: 'Unsent bytes a WebSocket session or SSE stream may hold before further change notifications to it are dropped.' },
  wsPingIntervalMs: { kind: 'int', env: 'DOPPEL_WS_PING_INTERVAL_MS', flag: '--ws-ping-interval-ms', default: 30_000, min: 1, doc: 'Idle WebSocket sessions are pinged this often (Ditto: 30 s); one that does not answer is closed.' },
  wsThrottlingEnabled: { kind: 'bool', env: 'DOPPEL_WS_THROTTLING_ENABLED', flag: '--ws-throttling-enabled', default: false, doc: 'Limit the messages a WebSocket session may send (Ditto: GATEWAY_WEBSOCKET_THROTTLING_ENABLED).' },
  wsThrottlingLimit: { kind: 'int', env: 'DOPPEL_WS_THROTTLING_LIMIT', flag: '--ws-throttling-limit', default: 100, min: 1, doc: 'Messages per interval when throttling (25 % more are tolerated before 429).' },
  wsThrottlingIntervalMs: { kind: 'int', env: 'DOPPEL_WS_THROTTLING_INTERVAL_MS', flag: '--ws-throttling-interval-ms', default: 1_000, min: 1, doc: 'The throttling interval.' },
  shutdownTimeoutMs: { kind: 'int', env: 'DOPPEL_SHUTDOWN_TIMEOUT_MS', flag: '--shutdown-timeout-ms', default: 10_000, min: 0, doc: 'How long a stop waits for in-flight requests.' },
  logLevel: { kind: 'string', env: 'DOPPEL_LOG_LEVEL', flag: '--log-level', default: 'info', doc: 'trace, debug, info, warn, error, fatal or silent.' },
  devMode: { kind: 'bool', env: 'DOPPEL_DEV_MODE', flag: '--dev-mode', default: true, doc: 'Development mode: default passwords are accepted without a warning.' },
} as const satisfies Record<string, Setting<Kind>>;

type Settings = typeof SETTINGS;
type ValueOf<S> = S extends { kind: 'int' } ? number : S extends { kind: 'bool' } ? boolean : S extends { kind: 'users' } ? readonly BasicUser[] : S extends { kind: 'oauth-issuers' } ? readonly OidcIssuerConfig[] : S extends { kind: 'namespace-policies' } ? NamespaceRoots : S extends { kind: 'optional-string' } ? string | undefined : string;
export type Config = { readonly [K in keyof Settings]: ValueOf<Settings[K]> };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseUsers(text: string): BasicUser[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((entry) => {
    const eq = entry.lastIndexOf('=');
    const cred = eq < 0 ? entry : entry.slice(0, eq);
    const colon = cred.indexOf(':');
    if (colon <= 0) throw new Error(`'${entry}' is not user:password=subject`);
    const username = cred.slice(0, colon);
    const subjects = eq < 0 ? [`nginx:${username}`] : entry.slice(eq + 1).split('|').map((s) => s.trim()).filter((s) => s.length > 0);
    return { username, password: cred.slice(colon + 1), subjects };
  });
}

function flagValues(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(0, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('--')) out.set(a, argv[++i] ?? '');
    else out.set(a, 'true');
  }
  return out;
}

/**
 * Reads every setting from CLI flags, then the environment, then defaults; reports every problem
 * at once; returns a frozen object. Only app/ reads the environment.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): Config {
  const flags = flagValues(argv);
  const known = new Set<string>(Object.values(SETTINGS).map((s) => s.flag));
  const problems: string[] = [];
  for (const f of flags.keys()) if (!known.has(f)) problems.push(`unknown option ${f}`);
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [string, Setting<Kind>][]) {
    const raw = flags.get(s.flag) ?? env[s.env];
    const where = flags.has(s.flag) ? s.flag : s.env;
    try {
      const parsedDefault = s.kind === 'users' || s.kind === 'oauth-issuers' || s.kind === 'namespace-policies';
      out[key] = raw === undefined || raw === '' ? (parsedDefault ? parseValue(s, String(s.default)) : s.default) : parseValue(s, raw);
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  }
  if (problems.length === 0) {
    const where = `${SETTINGS.oauthIssuers.env} / ${SETTINGS.oauthProtocol.env}`;
    problems.push(...oidcProblems(out['oauthIssuers'] as readonly OidcIssuerConfig[], String(out['oauthProtocol'])).map((p) => `${where}: ${p}`));
  }
  try {
    compileTokenIntegrationSubject(String(out['oauthTokenIntegrationSubject']));
  } catch (e) {
    problems.push(`${SETTINGS.oauthTokenIntegrationSubject.env}: ${(e as Error).message}`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return Object.freeze(out) as Config;
}

function parseValue(s: Setting<Kind>, raw: string): unknown {
  switch (s.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error(`'${raw}' is not a whole number`);
      const n = Number(raw);
      if (s.min !== undefined && n < s.min) throw new Error(`${n} is below the minimum ${s.min}`);
      return n;
    }
    case 'bool':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new Error(`'${raw}' is not true or false`);
    case 'users':
      return parseUsers(raw);
    case 'oauth-issuers':
      return parseOidcIssuers(raw);
    case 'namespace-policies':
      return parseNamespaceRoots(raw);
    default:
      return raw;
  }
}

/** The settings as a Markdown table, for the README. */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS).map(([k, s]) => `| \`${s.env}\` | \`${s.flag}\` | \`${String(k === 'users' ? s.default : s.default ?? '')}\` | ${s.doc} |`);
  return ['| environment | flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
