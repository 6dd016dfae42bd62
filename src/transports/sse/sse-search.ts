import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { DittoError, isDittoError } from '../../model/errors/index.ts';
import type { SignalRouter } from '../../services/signal-router.ts';
import { searchCommandOf } from '../common/search-request.ts';
import type { EventStreamRequest } from '../common/streaming.ts';
import { startEventStream } from './sse-stream.ts';

// [ditto: httpapi-sse search] GET /api/2/search/things with Accept: text/event-stream: every
// result as one event, `data:` the thing as the search returns it and `id:` its thing ID; the
// stream ends after the last one. `Last-Event-ID` resumes after that thing. An error ends the
// stream with a last event holding the error JSON (the status is already 200 by then, as in
// Ditto, whose route validates nothing before the stream opens).
//
// Bounded: pages are fetched one after another as the client reads (a page is fetched only when
// the socket has taken the previous one), so a slow reader holds at most one page in memory.

export interface SearchEventStreams {
  readonly handler: (req: EventStreamRequest, reply: FastifyReply) => FastifyReply;
  readonly open: () => number;
  /** Ends every open stream. */
  close(): void;
}

export function createSearchEventStreams(router: SignalRouter, logger: Logger): SearchEventStreams {
  const open = new Set<ServerResponse>();

  const handler = (req: EventStreamRequest, reply: FastifyReply): FastifyReply => {
    const lastEventId = reply.request.headers['last-event-id'];
    const resumeAfter = typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : undefined;
    const cmd = searchCommandOf('query', req.query, req.headers, req.auth, true);
    const res = startEventStream(reply, req.headers['correlation-id']);
    open.add(res);
    res.once('close', () => open.delete(res));
    res.on('error', (err) => logger.debug({ err }, 'SSE search stream error'));
    pump(res, router.dispatchSearchStream(cmd, resumeAfter))
      .catch((e: unknown) => {
        const error = isDittoError(e) ? e : new DittoError('internalerror');
        if (!isDittoError(e)) logger.error({ err: e }, 'SSE search failed');
        if (!res.writableEnded) res.write(`data:${JSON.stringify(error.toJSON())}\n\n`);
      })
      .finally(() => {
        if (!res.writableEnded) res.end();
      });
    return reply;
  };

  return {
    handler,
    open: () => open.size,
    close: () => {
      for (const res of [...open]) res.end();
    },
  };
}

async function pump(res: ServerResponse, opening: ReturnType<SignalRouter['dispatchSearchStream']>): Promise<void> {
  const stream = await opening;
  for (;;) {
    if (res.writableEnded || res.destroyed) return;
    const page = await stream.next();
    if (res.writableEnded || res.destroyed) return;
    let text = '';
    for (const { thingId, item } of page.items) text += `data:${JSON.stringify(item)}\nid:${oneLine(thingId)}\n\n`;
    if (text !== '' && !res.write(text)) await drained(res);
    if (page.done) return;
  }
}

/** An event field ends at a line break; thing IDs hold none, but the field must never be split. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, '');
}

function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
