import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { DittoError, isDittoError } from '../../model/errors/index.ts';
import { BUILT_IN_LABELS, checkAckLabel } from '../../protocol/index.ts';
import type { AuthContext } from '../../signals/index.ts';
import { WsSession, type SessionInit, type WebSocketDeps } from './ws-session.ts';

export interface WebSocketEndpoint {
  readonly sessions: () => number;
  /** Ends every session (`gateway:streaming.session.aborted`, close code 1001) and stops accepting. Idempotent. */
  close(): Promise<void>;
}

/** How long closing sessions may take their closing handshake before their sockets are cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * `/ws/2` on the HTTP server's port ([ditto: httpapi-protocol-bindings-websocket]): the upgrade is
 * authenticated like any HTTP request (pre-authentication, Basic, `Authorization: Bearer`, or the
 * JWT in the `access_token` query parameter for browsers); a failure is answered with the HTTP
 * error before any upgrade.
 */
export function attachWebSocketEndpoint(server: Server, deps: WebSocketDeps): WebSocketEndpoint {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: deps.config.maxMessageBytes });
  const sessions = new Set<WsSession>();
  let closing = false;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (closing) {
      refuse(socket, new DittoError('gateway:service.unavailable'), undefined);
      return;
    }
    upgrade(req, socket, head).catch((err: unknown) => {
      deps.logger.error({ err }, 'WebSocket upgrade failed');
      refuse(socket, new DittoError('gateway:internalerror'), undefined);
    });
  };

  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const version = /^\/ws\/([^/]+)\/?$/.exec(url.pathname)?.[1];
    const correlationId = header(req, 'x-correlation-id') ?? header(req, 'correlation-id') ?? url.searchParams.get('correlation-id') ?? deps.uuid();
    if (version !== '2') {
      const error = version !== undefined && /^\d+$/.test(version) ? new DittoError('api.version.notsupported', { version }) : undefined;
      refuse(socket, error, correlationId);
      return;
    }
    let init: SessionInit;
    try {
      const declaredAcks = declaredAcksOf(header(req, 'declared-acks') ?? url.searchParams.get('declared-acks') ?? undefined);
      init = { ...(await authenticate(req, url, deps)), correlationId, declaredAcks };
    } catch (e) {
      if (!isDittoError(e)) throw e;
      refuse(socket, e, correlationId);
      return;
    }
    if (socket.destroyed || closing) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new WsSession(ws, init, deps, (s) => {
        sessions.delete(s);
        deps.metrics.webSocketSessions--;
      });
      sessions.add(session);
      deps.metrics.webSocketSessions++;
      session.declareAcks();
    });
  };

  server.on('upgrade', onUpgrade);
  const tickMs = Math.max(1, Math.floor(deps.config.pingIntervalMs / 3));
  const keepAlive = setInterval(() => {
    for (const s of sessions) s.keepAliveTick(tickMs);
  }, tickMs);
  keepAlive.unref();

  let closed: Promise<void> | undefined;
  return {
    sessions: () => sessions.size,
    close: () => {
      closed ??= (async () => {
        closing = true;
        clearInterval(keepAlive);
        server.off('upgrade', onUpgrade);
        const ending = [...sessions];
        for (const s of ending) s.end(new DittoError('gateway:streaming.session.aborted'), 1001);
        await new Promise((resolve) => setTimeout(resolve, ending.length === 0 ? 0 : CLOSE_GRACE_MS));
        for (const s of ending) s.terminate();
        wss.close();
      })();
      return closed;
    },
  };
}

/**
 * [ditto: httpapi-protocol-bindings-websocket declared-acks] The labels a session will issue: a
 * JSON array of valid labels, none of them Ditto's own.
 */
function declaredAcksOf(text: string | undefined): readonly string[] {
  if (text === undefined || text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.some((l) => typeof l !== 'string')) {
    throw new DittoError('header.invalid', { header: 'declared-acks', value: text, type: 'JSON array of acknowledgement labels' });
  }
  const labels = parsed as string[];
  for (const label of labels) {
    checkAckLabel(label);
    if (BUILT_IN_LABELS.has(label)) throw new DittoError('acknowledgement:ditto.acklabel.forbidden', { label });
  }
  return labels;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

/**
 * [ditto: WebSocketJwtExtractor] A JWT in `access_token` stands for `Authorization: Bearer`; both
 * at once is refused. A session opened with a JWT ends when the token expires.
 */
async function authenticate(req: IncomingMessage, url: URL, deps: WebSocketDeps): Promise<{ auth: AuthContext; expiresAtMs: number | undefined }> {
  const accessToken = url.searchParams.get('access_token') ?? undefined;
  const authorization = header(req, 'authorization');
  if (accessToken !== undefined && authorization?.startsWith('Bearer') === true) {
    throw new DittoError('gateway:authentication.failed', { reason: 'multiple JWTs were provided' }, {
      description: 'A JWT was provided both as a header and as query parameter. Only a single JWT is expected.',
    });
  }
  const bearer = accessToken === undefined ? authorization : `Bearer ${accessToken}`;
  const preAuthenticated: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'x-ditto-pre-authenticated') preAuthenticated.push(raw[i + 1] ?? '');
  preAuthenticated.push(...url.searchParams.getAll('x-ditto-pre-authenticated'));
  const auth = await deps.authenticator.authenticate({ authorization: bearer, preAuthenticated });
  const token = bearer?.startsWith('Bearer ') === true ? bearer.slice(7).trim() : undefined;
  if (token === undefined) return { auth, expiresAtMs: undefined };
  // The chain verified the token (unless pre-authentication won); this is its cached result.
  const verified = await deps.authenticator.authenticateToken(token).catch(() => undefined);
  const fromToken = verified !== undefined && verified.auth.subjects.join('\n') === auth.subjects.join('\n');
  return { auth, expiresAtMs: fromToken ? verified.expiresAtMs : undefined };
}

/** An HTTP answer on the raw socket, since no upgrade happens: the Ditto error JSON, or a plain 404. */
function refuse(socket: Duplex, error: DittoError | undefined, correlationId: string | undefined): void {
  if (socket.destroyed) return;
  const status = error?.status ?? 404;
  const body = error === undefined ? 'The requested resource could not be found.' : JSON.stringify(error.toJSON());
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    `content-type: ${error === undefined ? 'text/plain; charset=UTF-8' : 'application/json'}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ];
  if (correlationId !== undefined) lines.push(`correlation-id: ${correlationId.replace(/[\r\n]/g, '')}`);
  if (status === 401) lines.push('www-authenticate: Basic realm="Doppel"');
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
