import type { FastifyReply } from 'fastify';
import { DittoError } from '../../model/errors/index.ts';
import type { SearchThingsCommand, SearchThingsPage } from '../../signals/index.ts';
import type { ApiRequest, HttpServerDeps } from './http-server.ts';
import { sendPlain } from './render.ts';
import { joinedParam, searchCommandOf } from '../common/search-request.ts';

// [ditto: httpapi-search] /api/2/search/things and /api/2/search/things/count, by GET with query
// parameters or by POST with a form-encoded body; and GET /api/2/things without ids, which lists
// the readable things page by page.

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

/** The request's parameters: the query, plus the form fields of a POST. */
function parameters(api: ApiRequest): URLSearchParams {
  if (api.method !== 'POST') return api.query;
  const type = mediaType(api.contentType);
  if (type !== 'application/x-www-form-urlencoded') {
    throw new DittoError('mediatype.unsupported', { mediaType: type ?? 'none', supported: 'application/x-www-form-urlencoded' });
  }
  const body = typeof api.body === 'string' ? api.body : Buffer.isBuffer(api.body) ? api.body.toString('utf8') : '';
  const merged = new URLSearchParams(api.query);
  for (const [k, v] of new URLSearchParams(body)) merged.append(k, v);
  return merged;
}

function command(kind: 'query' | 'count', api: ApiRequest, params: URLSearchParams, withFilter: boolean): SearchThingsCommand {
  return searchCommandOf(kind, params, api.headers, api.auth, withFilter);
}

function pageJson(page: SearchThingsPage): string {
  const out: Record<string, unknown> = { items: page.items };
  if (page.nextPageOffset !== undefined) out['nextPageOffset'] = page.nextPageOffset;
  if (page.cursor !== undefined) out['cursor'] = page.cursor;
  return JSON.stringify(out);
}

export async function handleSearch(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  const [, resource, sub, ...rest] = api.segments;
  if (resource !== 'things' || rest.length > 0 || (sub !== undefined && sub !== 'count')) return sendPlain(reply, 404);
  if (api.method !== 'GET' && api.method !== 'POST') return sendPlain(reply, 405, ['GET', 'POST']);
  const params = parameters(api);
  if (sub === 'count') {
    const n = await deps.router.dispatchCountThings(command('count', api, params, true));
    return reply.code(200).type('application/json').send(JSON.stringify(n));
  }
  const page = await deps.router.dispatchSearchThings(command('query', api, params, true));
  return reply.code(200).type('application/json').send(pageJson(page));
}

/**
 * GET /api/2/things without ids: the first page (or the page a cursor names) of the readable
 * things as a JSON array; `Link` headers name this resource and, when there is more, the next page.
 */
export async function listThings(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  const page = await deps.router.dispatchSearchThings(command('query', api, api.query, false));
  const links = [`<${api.uriWithoutQuery}>; rel="canonical"`];
  if (page.cursor !== undefined) {
    const next = new URLSearchParams();
    for (const name of ['fields', 'namespaces']) for (const v of api.query.getAll(name)) next.append(name, v);
    const keep = (joinedParam(api.query, 'option') ?? '').split(/,(?![^(]*\))/).filter((o) => /^\s*(sort|size)\(/.test(o));
    next.append('option', [...keep.map((o) => o.trim()), `cursor(${page.cursor})`].join(','));
    const path = new URL(api.uriWithoutQuery).pathname;
    // Parentheses and commas stay readable, as in Ditto's link (base64url cursors need no escaping).
    const query = next.toString().replace(/%28/g, '(').replace(/%29/g, ')').replace(/%2C/g, ',');
    links.push(`<${path}?${query}>; rel="next"`);
  }
  return reply.code(200).type('application/json').header('link', links).send(JSON.stringify(page.items));
}
