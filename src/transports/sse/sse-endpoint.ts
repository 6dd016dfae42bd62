import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { parsePointer } from '../../model/json-pointer.ts';
import {
  compileSubscription, parseThingFieldSelector, type EventNotification, type EventSubscriber, type NotificationHub,
} from '../../services/notifications/index.ts';
import { SlowConsumerGuard, type EventStreamHandler, type EventStreamRequest, type StreamingMetrics } from '../common/streaming.ts';
import type { SignalRouter } from '../../services/signal-router.ts';
import { renderSse, type SseView } from './sse-render.ts';
import { createSearchEventStreams } from './sse-search.ts';
import { startEventStream, startHeartbeats } from './sse-stream.ts';
import type { SseMessageStreams } from './sse-messages.ts';

export interface SseConfig {
  /** [ditto: ThingsSseRouteBuilder keepAlive] Idle streams get a heartbeat this often (Ditto: 1 s). */
  readonly heartbeatMs: number;
  /** Backlog per stream beyond which notifications are dropped (SlowConsumerGuard). */
  readonly maxBufferedBytes: number;
}

export interface SseDeps {
  readonly hub: NotificationHub;
  /** Serves `GET /search/things` as an event stream when given. */
  readonly router?: SignalRouter;
  readonly logger: Logger;
  readonly metrics: StreamingMetrics;
  readonly config: SseConfig;
  /** Message streams (`.../inbox|outbox/messages`); without them those paths are 404. */
  readonly messages?: SseMessageStreams;
}

export interface SseEndpoint {
  readonly handler: EventStreamHandler;
  readonly streams: () => number;
  /** Ends every open stream. Idempotent. */
  close(): void;
}

interface Stream {
  readonly res: ServerResponse;
  readonly subscriber: EventSubscriber;
  active: boolean;
}

/** Multi-valued query parameters may be repeated or comma-separated [ditto: release notes 3.3]. */
function joined(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  return all.length === 0 ? undefined : all.join(',');
}

const NOT_FOUND = 'The requested resource could not be found.';

/**
 * Server-Sent Events of thing changes ([ditto: httpapi-sse]): `GET /api/2/things` for every
 * readable thing (`ids`, `namespaces`, `filter`, `fields`, `extraFields`), `/things/{id}` for one
 * thing and `/things/{id}/<path>` for the value at a path. Each event is `data:<JSON>`: the changed
 * part of the thing as Thing JSON, or the raw value for path streams.
 */
export function createSseEndpoint(deps: SseDeps): SseEndpoint {
  const streams = new Set<Stream>();
  const search = deps.router === undefined ? undefined : createSearchEventStreams(deps.router, deps.logger);

  const handler = (req: EventStreamRequest, reply: FastifyReply): FastifyReply => {
    if (req.segments[0] === 'search') {
      if (search !== undefined) return search.handler(req, reply);
      return reply.code(404).type('text/plain; charset=UTF-8').send(NOT_FOUND);
    }
    const [, thingId, ...rest] = req.segments;
    const q = req.query;
    // [ditto: ThingsSseRouteBuilder] inbox/outbox paths are message streams.
    if (thingId !== undefined && rest.length > 0 && /^(features\/[^/]+\/)?(inbox|outbox)(\/|$)/.test(rest.join('/'))) {
      return deps.messages?.open(req, reply, thingId, rest) ?? reply.code(404).type('text/plain; charset=UTF-8').send(NOT_FOUND);
    }
    const path = rest.length === 0 ? undefined : `/${rest.join('/')}`;
    // Ditto's route turns the path into the field selection, so the path must be a selectable field.
    const fieldsText = path ?? joined(q, 'fields');
    const fields = fieldsText === undefined ? undefined : parseThingFieldSelector(fieldsText);
    const subscription = compileSubscription({
      thingIds: thingId ?? joined(q, 'ids'),
      namespaces: joined(q, 'namespaces'),
      filter: q.get('filter') ?? undefined,
      extraFields: joined(q, 'extraFields'),
    }, 'sse');
    const view: SseView = {
      fields: path === undefined ? fields : undefined,
      pointer: path === undefined ? undefined : parsePointer(path),
      key: `sse\u0000${path ?? ''}\u0000${path === undefined ? (fieldsText ?? '') : ''}`,
    };
    const res = startEventStream(reply, req.headers['correlation-id']);
    const log = deps.logger.child({ sse: req.headers['correlation-id'] });
    const guard = new SlowConsumerGuard(deps.config.maxBufferedBytes, deps.metrics, (dropped) =>
      log.warn({ dropped, bufferedBytes: res.writableLength }, 'SSE subscriber is too slow; notifications dropped'));
    const stream: Stream = {
      res,
      active: true,
      subscriber: {
        subjects: Object.freeze([...req.auth.subjects]),
        subscription,
        deliver: (n: EventNotification): void => {
          const frame = n.rendered(view.key, (x) => renderSse(x, view));
          if (frame === null || res.writableEnded || !guard.admit(res.writableLength)) return;
          stream.active = true;
          res.write(frame);
        },
      },
    };
    streams.add(stream);
    deps.metrics.sseStreams++;
    deps.hub.subscribe(stream.subscriber);
    const done = (): void => {
      if (!streams.delete(stream)) return;
      deps.metrics.sseStreams--;
      deps.hub.unsubscribe(stream.subscriber);
    };
    res.once('close', done);
    res.on('error', (err) => log.debug({ err }, 'SSE stream error'));
    return reply;
  };

  const beat = startHeartbeats(streams, deps.config.heartbeatMs);

  return {
    handler,
    streams: () => streams.size + (search?.open() ?? 0),
    close: () => {
      deps.messages?.close();
      clearInterval(beat);
      for (const s of [...streams]) s.res.end();
      search?.close();
    },
  };
}
