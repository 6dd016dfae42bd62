import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MemoryBus } from '../adapters/memory-bus/index.ts';
import type { SqlClient } from '../adapters/sql/index.ts';
import type { Bus } from '../ports/bus.ts';
import type { Store } from '../ports/store.ts';
import { LiveHub, LiveService } from '../services/live/index.ts';
import { AnnouncementHub, NotificationHub } from '../services/notifications/index.ts';
import { PoliciesService } from '../services/policies/policies-service.ts';
import { SearchService } from '../services/search/search-service.ts';
import { SignalRouter } from '../services/signal-router.ts';
import { ThingsService } from '../services/things/things-service.ts';
import { StreamingMetrics } from '../transports/common/streaming.ts';
import { createHttpApp, mountHttpApi } from '../transports/http/http-server.ts';
import { createSseEndpoint } from '../transports/sse/sse-endpoint.ts';
import { createSseMessageStreams } from '../transports/sse/sse-messages.ts';
import { attachWebSocketEndpoint } from '../transports/ws/ws-endpoint.ts';
import { createAuthenticator } from './authentication.ts';
import type { Config } from './config.ts';
import { replenishEmbeddedSpare } from './embedded.ts';
import { openStore, type OpenedStore } from './store.ts';

/** A running Doppel: the composition root owns every resource and closes them in reverse order. */
export interface Doppel {
  readonly http: FastifyInstance;
  readonly store: Store;
  readonly bus: Bus;
  readonly things: ThingsService;
  readonly policies: PoliciesService;
  /** Change notifications (WebSocket and SSE subscribers). */
  readonly notifications: NotificationHub;
  /** The live channel: requests waiting for devices, and the receiving side for this process's sessions. */
  readonly live: LiveService;
  readonly liveHub: LiveHub;
  readonly streaming: StreamingMetrics;
  /** The port actually listened on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startDoppel(config: Config, logger: Logger, embedded?: Promise<SqlClient>): Promise<Doppel> {
  const started = Date.now();
  const httpConfig = {
    maxHeadersBytes: config.maxHeadersBytes,
    maxBodyBytes: config.maxBodyBytes,
    maxJsonDepth: config.maxJsonDepth,
    maxTimeoutMs: config.maxTimeoutMs,
    maxClaimTimeoutMs: config.maxClaimTimeoutMs,
    defaultNamespace: config.defaultNamespace,
    maxMessagePayloadBytes: config.maxMessagePayloadBytes,
    liveTimeoutMs: config.liveTimeoutMs,
  };
  const storeOpening = openStore(config, logger, embedded);
  // Made while the store opens; it listens only once everything is in place.
  const app = createHttpApp({ logger, config: httpConfig });
  const opened: OpenedStore = await storeOpening;
  const bus = new MemoryBus((err) => logger.error({ err }, 'bus subscriber failed'));
  const now = (): Date => new Date();
  const policies = new PoliciesService(
    { store: opened.store, committer: opened.committer, bus },
    {
      cacheMaxPolicies: config.cacheMaxPolicies,
      now,
      defaultNamespace: config.defaultNamespace,
      maxPolicyBytes: config.maxPolicySizeBytes,
      maxQueuedPerPolicy: config.maxQueuedPerThing,
      subjectExpiryGranularityMs: config.policySubjectExpiryGranularityMs,
      announcementGranularityMs: config.policySubjectDeletionAnnouncementGranularityMs,
      tokenIntegrationSubject: config.oauthTokenIntegrationSubject,
      namespaceRoots: config.namespacePolicies,
      announcements: {
        now: Date.now,
        random: Math.random,
        uuid: randomUUID,
        gracePeriodMs: config.policyAnnouncementGracePeriodMs,
        maxTimeoutMs: config.policyAnnouncementMaxTimeoutMs,
        defaultRandomizationMs: config.policyAnnouncementDefaultRandomizationMs,
        backoffMinMs: config.policyAnnouncementBackoffMinMs,
        backoffMaxMs: config.policyAnnouncementBackoffMaxMs,
      },
    },
  );
  const things = new ThingsService(
    { store: opened.store, committer: opened.committer, bus, policies },
    {
      maxThingBytes: config.maxThingSizeBytes,
      defaultNamespace: config.defaultNamespace,
      cacheMaxThings: config.cacheMaxThings,
      maxQueuedPerThing: config.maxQueuedPerThing,
      now,
    },
  );
  const search = new SearchService(
    { index: opened.search, policies, ...(config.searchIndex ? { things } : {}) },
    { now, clockMs: () => performance.now(), maxScanMs: config.searchMaxScanMs },
  );
  const enforcer = async (policyId: string, namespace: string) => (await policies.handle(policyId, namespace))?.enforcer;
  // The live channel: the requesting side waits on this process's reply subject, the receiving
  // side hands live signals to this process's sessions; only the bus connects the two.
  const live = new LiveService(bus, { loadThing: (id) => things.load(id), enforcer }, randomUUID(), {
    maxPending: config.liveMaxPending,
    now,
    onError: (err) => logger.error({ err }, 'live reply failed'),
  });
  live.start();
  const liveHub = new LiveHub({ enforcer, loadThing: (id) => things.load(id), now, onError: (err) => logger.error({ err }, 'live delivery failed'), defaultTimeoutMs: config.liveTimeoutMs });
  liveHub.start(bus);
  const router = new SignalRouter(things, policies, search, live);
  const notifications = new NotificationHub(
    {
      peekThing: (id) => things.peek(id),
      loadThing: (id) => things.load(id),
      enforcer,
    },
    {
      now,
      onError: (err, thingId) => logger.error({ err, thingId }, 'change notification failed'),
      onAckRequestingEvent: (thingId, headers, delivered) => liveHub.twinEventDelivered(thingId, headers, delivered),
    },
  );
  notifications.start(bus);
  const announcements = new AnnouncementHub();
  announcements.start(bus);
  const streaming = new StreamingMetrics();
  const sseConfig = { heartbeatMs: 1_000, maxBufferedBytes: config.streamingMaxBufferedBytes };
  const sse = createSseEndpoint({
    hub: notifications,
    router,
    logger: logger.child({ module: 'sse' }),
    metrics: streaming,
    config: sseConfig,
    messages: createSseMessageStreams({ live: liveHub, logger: logger.child({ module: 'sse' }), metrics: streaming, config: sseConfig }),
  });
  const authenticator = createAuthenticator(config, logger);
  if (!config.devMode && config.devopsPassword === 'foobar') {
    logger.warn('the devops user has the default password; set DOPPEL_DEVOPS_PASSWORD');
  }
  const http = mountHttpApi(app, {
    router,
    authenticator,
    healthy: () => opened.store.ping().then(() => true, () => false),
    logger,
    uuid: randomUUID,
    config: httpConfig,
    eventStreams: sse.handler,
  });
  const ws = attachWebSocketEndpoint(http.server, {
    router,
    hub: notifications,
    announcements,
    live: liveHub,
    authenticator,
    logger: logger.child({ module: 'ws' }),
    uuid: randomUUID,
    metrics: streaming,
    config: {
      maxMessageBytes: config.maxBodyBytes,
      maxBufferedBytes: config.streamingMaxBufferedBytes,
      pingIntervalMs: config.wsPingIntervalMs,
      maxInFlightCommands: 100,
      throttling: { enabled: config.wsThrottlingEnabled, limit: config.wsThrottlingLimit, intervalMs: config.wsThrottlingIntervalMs },
      protocol: { maxHeadersBytes: config.maxHeadersBytes, maxTimeoutMs: config.maxTimeoutMs, json: { maxDepth: config.maxJsonDepth } },
      search: { maxSubscriptions: config.wsMaxSearchSubscriptions, idleTimeoutMs: config.searchIdleTimeoutMs },
      liveTimeoutMs: config.liveTimeoutMs,
      maxMessagePayloadBytes: config.maxMessagePayloadBytes,
    },
  });
  await http.listen({ port: config.port, host: config.host });
  const address = http.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ port, store: opened.description, startupMs: Date.now() - started }, 'doppel is ready');
  replenishEmbeddedSpare(config, logger);
  // Expiry sweeps and announcements of stored policies, planned in the background: readiness never
  // waits for a scan over every policy.
  const expiryLog = logger.child({ module: 'policy-expiry' });
  policies.scheduleStored().then(
    (planned) => expiryLog.info({ planned, ms: Date.now() - started }, 'stored policies with expiring subjects planned'),
    (err: unknown) => expiryLog.error({ err }, 'planning stored policies with expiring subjects failed; they are planned when loaded'),
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Stop accepting, let in-flight requests finish (fastify waits for them), then the writes, then the store.
      const deadline = setTimeout(() => http.server.closeAllConnections(), config.shutdownTimeoutMs);
      try {
        // Streams never finish on their own: end them first, then wait for the requests.
        sse.close();
        await ws.close();
        await http.close();
      } finally {
        clearTimeout(deadline);
      }
      notifications.close();
      announcements.close();
      liveHub.close();
      live.close();
      policies.close();
      await opened.close();
      await bus.close();
      logger.info('doppel stopped');
    })();
    return closing;
  };
  return { http, store: opened.store, bus, things, policies, notifications, live, liveHub, streaming, port, close };
}
