import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MemoryBus } from '../adapters/memory-bus/index.ts';
import type { Bus } from '../ports/bus.ts';
import type { Store } from '../ports/store.ts';
import { PoliciesService } from '../services/policies/policies-service.ts';
import { SignalRouter } from '../services/signal-router.ts';
import { ThingsService } from '../services/things/things-service.ts';
import { Authenticator } from '../transports/common/authentication.ts';
import { buildHttpServer } from '../transports/http/http-server.ts';
import type { Config } from './config.ts';
import { openStore, type OpenedStore } from './store.ts';

/** A running Doppel: the composition root owns every resource and closes them in reverse order. */
export interface Doppel {
  readonly http: FastifyInstance;
  readonly store: Store;
  readonly bus: Bus;
  readonly things: ThingsService;
  /** The port actually listened on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startDoppel(config: Config, logger: Logger): Promise<Doppel> {
  const started = Date.now();
  const opened: OpenedStore = await openStore(config, logger);
  const bus = new MemoryBus((err) => logger.error({ err }, 'bus subscriber failed'));
  const now = (): Date => new Date();
  const policies = new PoliciesService(opened.store, { cacheMaxPolicies: config.cacheMaxPolicies, now });
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
  const router = new SignalRouter(things);
  const users = [...config.users, { username: 'devops', password: config.devopsPassword, subjects: ['nginx:devops'] }];
  if (!config.devMode && config.devopsPassword === 'foobar') {
    logger.warn('the devops user has the default password; set DOPPEL_DEVOPS_PASSWORD');
  }
  const http = buildHttpServer({
    router,
    authenticator: new Authenticator({ users, preAuthentication: config.preAuthentication }),
    healthy: () => opened.store.ping().then(() => true, () => false),
    logger,
    uuid: randomUUID,
    config: {
      maxHeadersBytes: config.maxHeadersBytes,
      maxBodyBytes: config.maxBodyBytes,
      maxJsonDepth: config.maxJsonDepth,
      maxTimeoutMs: config.maxTimeoutMs,
      defaultNamespace: config.defaultNamespace,
    },
  });
  await http.listen({ port: config.port, host: config.host });
  const address = http.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ port, store: opened.description, startupMs: Date.now() - started }, 'doppel is ready');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Stop accepting, let in-flight requests finish (fastify waits for them), then the writes, then the store.
      const deadline = setTimeout(() => http.server.closeAllConnections(), config.shutdownTimeoutMs);
      try {
        await http.close();
      } finally {
        clearTimeout(deadline);
      }
      await opened.close();
      await bus.close();
      logger.info('doppel stopped');
    })();
    return closing;
  };
  return { http, store: opened.store, bus, things, port, close };
}
