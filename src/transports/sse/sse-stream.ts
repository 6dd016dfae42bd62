import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { heartbeat } from './sse-render.ts';

/** An open event stream: its response, and whether something was written since the last heartbeat tick. */
export interface OpenStream {
  readonly res: ServerResponse;
  active: boolean;
}

/** Takes the response over from fastify and starts the event stream (200, `text/event-stream`). */
export function startEventStream(reply: FastifyReply, correlationId: string | undefined): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...(correlationId === undefined ? {} : { 'correlation-id': correlationId }),
  });
  res.flushHeaders();
  return res;
}

/** [ditto: ThingsSseRouteBuilder keepAlive] Every `ms`, a heartbeat to each stream that stayed idle. */
export function startHeartbeats(streams: ReadonlySet<OpenStream>, ms: number): NodeJS.Timeout {
  const beat = setInterval(() => {
    for (const s of streams) {
      if (!s.active && !s.res.writableEnded) s.res.write(heartbeat());
      s.active = false;
    }
  }, ms);
  beat.unref();
  return beat;
}
