import type { FastifyReply } from 'fastify';
import { DittoError } from '../../model/errors/index.ts';
import { parseThingId } from '../../model/ids.ts';
import { thingCommand, type ThingCommand } from '../../signals/index.ts';
import type { ApiRequest, HttpServerDeps } from './http-server.ts';
import { handleAckedCommand, handleLiveCommand, handleMessage, handleSmartRetrieve, matchMessageRoute, requestedTwinAcks, sendResult } from './live-handler.ts';
import { sendPlain } from './render.ts';
import { listThings } from './search-handler.ts';
import { checkContentType, parseBody } from './request-body.ts';
import { ACTION_OF, matchThingRoute, type HttpMethod } from './things-routes.ts';

/** Multi-valued query parameters may be repeated or comma-separated [ditto: release notes 3.3]. */
function joined(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  return all.length === 0 ? undefined : all.join(',');
}

export async function handleThings(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  const thingId = api.segments[1];
  if (thingId === undefined) return handleThingsRoot(api, reply, deps);
  const match = matchThingRoute(api.segments.slice(2));
  if (match.kind === 'none') {
    const message = matchMessageRoute(api.segments.slice(2));
    return message === undefined ? sendPlain(reply, 404) : handleMessage(api, reply, deps, thingId, message);
  }
  const method = api.method as HttpMethod;
  if (!match.methods.includes(method)) return sendPlain(reply, 405, match.methods);
  const action = ACTION_OF[method as Exclude<HttpMethod, 'POST'>];
  if (action !== 'retrieve' && api.headers['live-channel-condition'] !== undefined) throw new DittoError('things:live.channelcondition.notallowed');
  const channel = api.headers['channel'];
  if (channel !== undefined && channel !== 'twin' && channel !== 'live') {
    throw new DittoError('header.invalid', { value: channel, header: 'channel', type: 'channel (twin or live)' });
  }
  const ifEqual = api.headers['if-equal'];
  if (ifEqual !== undefined && !['update', 'skip', 'skip-minimizing-merge'].includes(ifEqual)) {
    throw new DittoError('header.invalid', { value: ifEqual, header: 'if-equal', type: 'if-equal option (update, skip, skip-minimizing-merge)' });
  }
  let value;
  if (action === 'modify' || action === 'merge') {
    checkContentType(api.method, api.contentType);
    value = parseBody(api.body, deps.config.maxJsonDepth);
  }
  const fields = action === 'retrieve' ? joined(api.query, 'fields') : undefined;
  const cmd = thingCommand({
    action,
    thingId,
    path: match.path,
    channel: 'twin',
    headers: api.headers,
    auth: api.auth,
    ...(value === undefined ? {} : { value }),
    ...(fields === undefined ? {} : { fields }),
  });
  if (cmd === undefined) return sendPlain(reply, 404);
  // [ditto: protocol-twinlive] the live channel asks the device instead of the twin.
  if (channel === 'live') return handleLiveCommand(cmd, api, reply, deps);
  if (action === 'retrieve' && api.headers['live-channel-condition'] !== undefined) return handleSmartRetrieve(cmd, api, reply, deps);
  return dispatch(cmd, api, reply, deps, api.uriWithoutQuery);
}

async function dispatch(cmd: ThingCommand, api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps, location: string): Promise<FastifyReply> {
  const labels = cmd.action === 'retrieve' ? undefined : requestedTwinAcks(api);
  if (labels !== undefined) {
    const created = cmd.path.length === 0 && api.method === 'POST' ? `${location}/${cmd.thingId}` : location;
    return handleAckedCommand(cmd, labels, api, reply, deps, created);
  }
  // [ditto: AbstractHttpRequestActor] response-required=false: modifications run, the caller gets 202 at once.
  if (api.headers['response-required'] === 'false') {
    if (cmd.action !== 'retrieve') {
      deps.router.dispatchThingCommand(cmd).catch((err: unknown) => deps.logger.debug({ err }, 'fire-and-forget command failed'));
    }
    return reply.code(202).send();
  }
  const result = await deps.router.dispatchThingCommand(cmd);
  const where = result.createdId !== undefined && cmd.path.length === 0 && api.method === 'POST' ? `${location}/${result.createdId}` : location;
  return sendResult(reply, result, where);
}

async function handleThingsRoot(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  if (api.method === 'GET') {
    const ids = joined(api.query, 'ids');
    if (ids === undefined) return listThings(api, reply, deps);
    if (ids.trim() === '') throw new DittoError('things:things.ids.missing');
    const thingIds = ids.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const fields = joined(api.query, 'fields');
    const things = await deps.router.dispatchRetrieveThings({ thingIds, headers: api.headers, auth: api.auth, ...(fields === undefined ? {} : { fields }) });
    return reply.code(200).type('application/json').send(JSON.stringify(things));
  }
  if (api.method !== 'POST') return sendPlain(reply, 405, ['GET', 'POST']);
  // [ditto: POST /things] the server picks the ID: <namespace or default>:<uuid>.
  if (api.headers['channel'] === 'live') throw new DittoError('things:thing.notcreatable', { thingId: '', reason: 'things cannot be created on the live channel' }, { status: 405 });
  checkContentType(api.method, api.contentType);
  const body = parseBody(api.body, deps.config.maxJsonDepth);
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && body['thingId'] !== undefined) throw new DittoError('things:id.notsettable');
  const namespace = api.query.get('namespace') ?? deps.config.defaultNamespace;
  const thingId = parseThingId(`${namespace}:${deps.uuid()}`).id;
  const cmd = thingCommand({ action: 'create', thingId, path: [], channel: 'twin', headers: api.headers, auth: api.auth, value: body });
  if (cmd === undefined) return sendPlain(reply, 404);
  return dispatch(cmd, { ...api, method: 'POST' }, reply, deps, api.uriWithoutQuery);
}
