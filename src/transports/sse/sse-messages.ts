import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { parseThingId } from '../../model/ids.ts';
import { parseMessagePath, type Envelope } from '../../protocol/index.ts';
import type { LiveDelivery, LiveHub, LiveSubscriber } from '../../services/live/index.ts';
import { compileSubscription } from '../../services/notifications/index.ts';
import { SlowConsumerGuard, type EventStreamRequest, type StreamingMetrics } from '../common/streaming.ts';
import { valueToPayload } from '../common/message-payload.ts';
import { startEventStream, startHeartbeats } from './sse-stream.ts';

export interface SseMessagesDeps {
  readonly live: LiveHub;
  readonly logger: Logger;
  readonly metrics: StreamingMetrics;
  readonly config: { readonly heartbeatMs: number; readonly maxBufferedBytes: number };
}

export interface SseMessageStreams {
  /** Undefined when the path is no message stream (the caller answers 404). */
  open(req: EventStreamRequest, reply: FastifyReply, thingId: string, rest: readonly string[]): FastifyReply | undefined;
  close(): void;
}

interface Stream {
  readonly res: ServerResponse;
  readonly subscriber: LiveSubscriber;
  active: boolean;
}

/**
 * [ditto: httpapi-sse messages, ThingsServerSentEventIT messageToThingInbox] Message streams:
 * `GET /things/{id}/[features/{fid}/]inbox|outbox/messages[/<subject>]` with
 * `Accept: text/event-stream` streams every message under that path the caller may READ, as
 * `event:<subject>` and `data:<payload as text>`. Messages are not answered from a stream.
 */
export function createSseMessageStreams(deps: SseMessagesDeps): SseMessageStreams {
  const streams = new Set<Stream>();
  const open = (req: EventStreamRequest, reply: FastifyReply, thingId: string, rest: readonly string[]): FastifyReply | undefined => {
    const prefix = prefixOf(rest);
    if (prefix === undefined) return undefined;
    const id = parseThingId(thingId).id;
    const res = startEventStream(reply, req.headers['correlation-id']);
    const log = deps.logger.child({ sse: req.headers['correlation-id'] });
    const guard = new SlowConsumerGuard(deps.config.maxBufferedBytes, deps.metrics, (dropped) => log.warn({ dropped }, 'SSE message subscriber is too slow; messages dropped'));
    const stream: Stream = {
      res,
      active: true,
      subscriber: {
        subjects: Object.freeze([...req.auth.subjects]),
        subscription: compileSubscription({ thingIds: id }, 'sse'),
        deliver: (d: LiveDelivery): void => {
          if (!matches(d.envelope.path, prefix) || res.writableEnded || !guard.admit(res.writableLength)) return;
          stream.active = true;
          res.write(frame(d.envelope));
        },
      },
    };
    streams.add(stream);
    deps.metrics.sseStreams++;
    deps.live.subscribe('messages', stream.subscriber);
    res.once('close', () => {
      if (!streams.delete(stream)) return;
      deps.metrics.sseStreams--;
      deps.live.unsubscribe('messages', stream.subscriber);
    });
    res.on('error', (err) => log.debug({ err }, 'SSE stream error'));
    return reply;
  };
  const beat = startHeartbeats(streams, deps.config.heartbeatMs);
  return {
    open,
    close: () => {
      clearInterval(beat);
      for (const s of [...streams]) s.res.end();
    },
  };
}

/** The message path prefix a stream path names, or undefined when it names no message stream. */
function prefixOf(rest: readonly string[]): string | undefined {
  const parts = rest[0] === 'features' ? rest.slice(2) : rest;
  if (rest[0] === 'features' && (rest[1] === undefined || rest[1] === '')) return undefined;
  if ((parts[0] !== 'inbox' && parts[0] !== 'outbox') || parts[1] !== 'messages') return undefined;
  return `/${rest.join('/')}`;
}

function matches(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** `event:<subject>` and the payload as text, one `data:` line per line of it. */
function frame(env: Envelope): string {
  const subject = parseMessagePath(env.path)?.subject ?? '';
  const text = valueToPayload(env.value, env.headers['content-type'] ?? '').toString('utf8');
  const data = text.split(/\r\n|\r|\n/).map((l) => `data:${l}`).join('\n');
  return `event:${subject.replace(/[\r\n]/g, '')}\n${data}\n\n`;
}
