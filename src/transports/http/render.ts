import type { FastifyReply } from 'fastify';
import { DittoError } from '../../model/errors/index.ts';

/** [ditto: basic-errors] an error answers with its status, the Ditto error JSON and its headers. */
export function sendError(reply: FastifyReply, error: DittoError, correlationId: string | undefined): FastifyReply {
  if (correlationId !== undefined) void reply.header('correlation-id', correlationId);
  for (const [k, v] of Object.entries(error.headers)) void reply.header(k, v);
  if (error.status === 304) return reply.code(304).send();
  if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="Doppel"');
  return reply.code(error.status).type('application/json').send(JSON.stringify(error.toJSON()));
}

/** Ditto answers unknown routes and methods with the HTTP framework's plain rejections. */
export function sendPlain(reply: FastifyReply, status: 404 | 405 | 400, allow?: readonly string[]): FastifyReply {
  const text =
    status === 404
      ? 'The requested resource could not be found.'
      : status === 405
        ? `HTTP method not allowed, supported methods: ${(allow ?? []).join(', ')}`
        : 'The request could not be understood.';
  if (allow !== undefined) void reply.header('allow', allow.join(', '));
  return reply.code(status).type('text/plain; charset=UTF-8').send(text);
}

export function internalError(): DittoError {
  return new DittoError('internalerror');
}
