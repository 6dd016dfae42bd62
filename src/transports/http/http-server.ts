import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DittoError, isDittoError } from '../../model/errors/index.ts';
import type { SignalRouter } from '../../services/signal-router.ts';
import type { AuthContext } from '../../signals/index.ts';
import type { Authenticator } from '../common/authentication.ts';
import { devopsChallenge } from '../common/devops-authentication.ts';
import { parseTimeoutMs } from '../common/timeout.ts';
import { acceptsEventStream, type EventStreamHandler } from '../common/streaming.ts';
import { extractDittoHeaders } from './ditto-headers.ts';
import { matchMessageRoute } from './live-handler.ts';
import { internalError, sendError, sendPlain } from './render.ts';
import { handleCheckPermissions, handlePolicies } from './policies-handler.ts';
import { handleSearch } from './search-handler.ts';
import { handleThings } from './things-handler.ts';

export interface HttpConfig {
  readonly maxHeadersBytes: number;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly maxTimeoutMs: number;
  /** Largest `timeout` of a claim message, which may wait longer than other requests (Ditto: 10 min). */
  readonly maxClaimTimeoutMs: number;
  readonly defaultNamespace: string;
  /** Largest message payload (413 `messages:payload.toolarge` beyond). */
  readonly maxMessagePayloadBytes: number;
  /** How long messages and live commands wait for a response when no timeout is given. */
  readonly liveTimeoutMs: number;
}

export interface HttpServerDeps {
  readonly router: SignalRouter;
  readonly authenticator: Authenticator;
  /** Resolves true when the server can serve (store reachable). */
  readonly healthy: () => Promise<boolean>;
  readonly logger: Logger;
  readonly uuid: () => string;
  readonly config: HttpConfig;
  /** Server-Sent Events (`Accept: text/event-stream` on GET /things...), handled by the SSE transport. */
  readonly eventStreams?: EventStreamHandler;
}

/** Everything a route handler needs about one request. */
export interface ApiRequest {
  readonly method: string;
  /** Decoded path segments after /api/2/ */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: AuthContext;
  readonly body: unknown;
  readonly contentType: string | undefined;
  /** Absolute URI of the request without query, for Location headers. */
  readonly uriWithoutQuery: string;
}

/** `/api/2/things/<id>/[features/<id>/](inbox|outbox)/...`: a message route, whose body is the payload. */
function isMessageUrl(url: string): boolean {
  return url.includes('/inbox/') || url.includes('/outbox/');
}

function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** Path segments; undefined when the path has an empty segment (a double slash) or bad encoding. */
function decodeSegments(path: string): string[] | undefined {
  const raw = path.split('/').slice(1);
  // A trailing slash addresses the same resource [ditto: ThingsIT trailing slash].
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  const out: string[] = [];
  for (const s of raw) {
    if (s === '') return undefined;
    try {
      out.push(decodeURIComponent(s));
    } catch {
      return undefined;
    }
  }
  return out;
}

function preAuthValues(req: FastifyRequest, query: URLSearchParams): string[] {
  const values: string[] = [];
  const raw = req.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'x-ditto-pre-authenticated') values.push(raw[i + 1] ?? '');
  }
  values.push(...query.getAll('x-ditto-pre-authenticated'));
  return values;
}

/**
 * The HTTP server before it has routes: its body parsing and error answers. Fastify's first
 * instance in a process costs ~50 ms (much of fastify loads then), so the server makes it while
 * its store opens and adds the routes once the services exist.
 */
export function createHttpApp(deps: Pick<HttpServerDeps, 'logger' | 'config'>): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request log lines would cost more than the requests themselves.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.maxBodyBytes,
    return503OnClosing: true,
  });
  app.removeAllContentTypeParsers();
  // Message payloads may be binary: their bodies stay bytes; every other body is text.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => done(null, isMessageUrl(req.url) ? body : (body as Buffer).toString('utf8')));

  app.setErrorHandler((err: unknown, req, reply) => {
    const correlationId = typeof req.headers['correlation-id'] === 'string' ? req.headers['correlation-id'] : undefined;
    if (isDittoError(err)) return sendError(reply, err, correlationId);
    const code = (err as { code?: string }).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' && isMessageUrl(req.url)) {
      return sendError(reply, new DittoError('messages:payload.toolarge', { actualKb: '>' + Math.floor(deps.config.maxBodyBytes / 1024), maxKb: Math.floor(deps.config.maxMessagePayloadBytes / 1024) }), correlationId);
    }
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, new DittoError('things:thing.toolarge', { actualKb: '>' + Math.floor(deps.config.maxBodyBytes / 1024), maxKb: Math.floor(deps.config.maxBodyBytes / 1024) }), correlationId);
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendPlain(reply, 400);
    deps.logger.error({ err }, 'request failed');
    return sendError(reply, internalError(), correlationId);
  });
  return app;
}

/** Adds Ditto's HTTP API (and `/health`) to an app of `createHttpApp`, answered through `deps`. */
export function mountHttpApi(app: FastifyInstance, deps: HttpServerDeps): FastifyInstance {
  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const { path, query: queryText } = splitUrl(req.raw.url ?? '/');
    if (path === '/health') {
      const ok = await deps.healthy();
      return reply.code(ok ? 200 : 503).type('application/json').send(JSON.stringify({ status: ok ? 'UP' : 'DOWN' }));
    }
    const segments = decodeSegments(path);
    if (segments === undefined) return sendPlain(reply, 404);
    if (segments[0] === 'devops') return devopsOnly(req, reply, deps);
    if (segments[0] !== 'api') return sendPlain(reply, 404);
    const version = segments[1];
    if (version !== '2') {
      if (version !== undefined && /^\d+$/.test(version)) return sendError(reply, new DittoError('api.version.notsupported', { version }), undefined);
      return sendPlain(reply, 404);
    }
    if (segments[2] === 'connections') return devopsOnly(req, reply, deps);
    const query = new URLSearchParams(queryText);
    const headers = extractDittoHeaders(req.headers, query, deps.config, deps.uuid);
    const correlationId = headers['correlation-id'];
    try {
      const auth = await deps.authenticator.authenticate({ authorization: req.headers.authorization, preAuthenticated: preAuthValues(req, query) });
      if (headers['timeout'] !== undefined) parseTimeoutMs(headers['timeout'], isClaimPath(segments) ? deps.config.maxClaimTimeoutMs : deps.config.maxTimeoutMs);
      const host = req.headers.host ?? 'localhost';
      const api: ApiRequest = {
        method: req.method,
        segments: segments.slice(2),
        query,
        headers,
        auth,
        body: req.body,
        contentType: req.headers['content-type'],
        uriWithoutQuery: `http://${host}${path}`,
      };
      void reply.header('correlation-id', correlationId);
      return await route(api, reply, deps);
    } catch (e) {
      if (isDittoError(e)) return sendError(reply, e, correlationId);
      throw e;
    }
  };

  app.route({ method: ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'], url: '/*', handler });
  app.route({ method: ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'], url: '/', handler });
  return app;
}

/**
 * [ditto: DevOpsBasicAuthenticationDirective] `/devops/...` and `/api/2/connections/...` take the
 * devops user instead of the usual authentication. Their routes come later: 404 until then.
 */
function devopsOnly(req: FastifyRequest, reply: FastifyReply, deps: HttpServerDeps): FastifyReply {
  const outcome = deps.authenticator.authenticateDevops(req.headers.authorization);
  if (outcome.ok) return sendPlain(reply, 404);
  const challenge = devopsChallenge(outcome.reason);
  return reply.code(challenge.status).headers(challenge.headers).send(challenge.body);
}

async function route(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  switch (api.segments[0]) {
    case 'things':
      if (api.method === 'GET' && deps.eventStreams !== undefined && acceptsEventStream(api.headers['accept'])) return deps.eventStreams(api, reply);
      return handleThings(api, reply, deps);
    case 'policies':
      return handlePolicies(api, reply, deps);
    case 'search':
      // [ditto: httpapi-sse search] GET /search/things as an event stream: one event per result.
      if (api.method === 'GET' && deps.eventStreams !== undefined && acceptsEventStream(api.headers['accept']) && api.segments.length === 2 && api.segments[1] === 'things') {
        return deps.eventStreams(api, reply);
      }
      return handleSearch(api, reply, deps);
    case 'checkPermissions':
      return handleCheckPermissions(api, reply, deps);
    case 'whoami':
      if (api.segments.length !== 1) return sendPlain(reply, 404);
      if (api.method !== 'GET') return sendPlain(reply, 405, ['GET']);
      // [ditto: whoami] the subjects of the caller; the first is the default subject.
      return reply.code(200).type('application/json').send(JSON.stringify({ defaultSubject: api.auth.subjects[0], subjects: api.auth.subjects }));
    default:
      return sendPlain(reply, 404);
  }
}

/** A claim message (`/api/2/things/<id>/inbox/claim`): the one route whose timeout may exceed the general maximum. */
function isClaimPath(segments: readonly string[]): boolean {
  return segments[2] === 'things' && matchMessageRoute(segments.slice(4))?.claim === true;
}
