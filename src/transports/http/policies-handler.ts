import type { FastifyReply } from 'fastify';
import { DittoError } from '../../model/errors/index.ts';
import { isJsonObject } from '../../model/json.ts';
import { parsePolicyId } from '../../model/ids.ts';
import {
  policyCommand, type PolicyAction, type PolicyActionCommand, type PolicyActionName, type PolicyCommand, type PolicyCommandResult,
  type PolicyView,
} from '../../signals/index.ts';
import { requireJwt } from '../../services/policies/policy-actions.ts';
import type { ApiRequest, HttpServerDeps } from './http-server.ts';
import { sendPlain } from './render.ts';
import { checkContentType, parseBody } from './request-body.ts';
import { matchPolicyRoute } from './policies-routes.ts';

const ACTION_OF: Readonly<Record<string, PolicyAction>> = { GET: 'retrieve', PUT: 'modify', DELETE: 'delete' };

function send(reply: FastifyReply, result: PolicyCommandResult, location: string | undefined): FastifyReply {
  for (const [k, v] of Object.entries(result.headers)) void reply.header(k, v);
  if (result.status === 201 && location !== undefined) void reply.header('location', location);
  if (result.value === undefined || result.status === 204) return reply.code(result.status).send();
  return reply.code(result.status).type('application/json').send(JSON.stringify(result.value));
}

/** [ditto: PoliciesParameter policy-view] `original` (the default) or `resolved`. */
function policyView(api: ApiRequest): PolicyView | undefined {
  const view = api.query.get('policy-view') ?? api.headers['policy-view'];
  if (view === undefined || view === 'original' || view === 'resolved') return view;
  throw new DittoError('policies:view.invalid', { view });
}

function fieldsOf(api: ApiRequest): string | undefined {
  const all = api.query.getAll('fields');
  return all.length === 0 ? undefined : all.join(',');
}

async function dispatch(cmd: PolicyCommand, api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps, location: string): Promise<FastifyReply> {
  // [ditto: AbstractHttpRequestActor] response-required=false: modifications run, the caller gets
  // 202 at once; retrieves are not even processed.
  if (api.headers['response-required'] === 'false') {
    if (cmd.action !== 'retrieve') {
      deps.router.dispatchPolicyCommand(cmd).catch((err: unknown) => deps.logger.debug({ err }, 'fire-and-forget policy command failed'));
    }
    return reply.code(202).send();
  }
  return send(reply, await deps.router.dispatchPolicyCommand(cmd), location);
}

export async function handlePolicies(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  const policyId = api.segments[1];
  if (policyId === undefined) return handlePoliciesRoot(api, reply, deps);
  const match = matchPolicyRoute(api.segments.slice(2));
  if (match.kind === 'none') return sendPlain(reply, 404);
  if (match.kind === 'action') return handlePolicyAction(api, reply, deps, policyId, match);
  const action = ACTION_OF[api.method];
  if (action === undefined || !(match.methods as readonly string[]).includes(api.method)) return sendPlain(reply, 405, match.methods);
  const atRoot = match.path.length === 0;
  let value;
  if (action === 'modify') {
    checkContentType(api.method, api.contentType);
    value = parseBody(api.body, deps.config.maxJsonDepth);
  }
  const view = action === 'retrieve' && atRoot ? policyView(api) : undefined;
  const fields = action === 'retrieve' && atRoot ? fieldsOf(api) : undefined;
  const cmd = policyCommand({
    action,
    policyId,
    path: match.path,
    headers: api.headers,
    auth: api.auth,
    ...(value === undefined ? {} : { value }),
    ...(view === undefined ? {} : { view }),
    ...(fields === undefined ? {} : { fields }),
  });
  if (cmd === undefined) return sendPlain(reply, 404);
  return dispatch(cmd, api, reply, deps, api.uriWithoutQuery);
}

/** [ditto: PoliciesRoute POST /policies] the server picks the ID: <namespace or default>:<uuid>. */
async function handlePoliciesRoot(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  if (api.method !== 'POST') return sendPlain(reply, 405, ['POST']);
  checkContentType(api.method, api.contentType);
  const body = parseBody(api.body, deps.config.maxJsonDepth);
  if (isJsonObject(body) && body['policyId'] !== undefined) throw new DittoError('policies:id.notsettable');
  const namespace = api.query.get('namespace') ?? deps.config.defaultNamespace;
  const policyId = parsePolicyId(`${namespace}:${deps.uuid()}`).id;
  const cmd = policyCommand({ action: 'create', policyId, path: [], headers: api.headers, auth: api.auth, value: body });
  if (cmd === undefined) return sendPlain(reply, 404);
  return dispatch(cmd, api, reply, deps, `${api.uriWithoutQuery}/${policyId}`);
}

/** [ditto: CheckPermissionsRoute] POST /checkPermissions → { name: true|false }. */
export async function handleCheckPermissions(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  if (api.segments.length !== 1) return sendPlain(reply, 404);
  if (api.method !== 'POST') return sendPlain(reply, 405, ['POST']);
  checkContentType(api.method, api.contentType);
  const checks = parseBody(api.body, deps.config.maxJsonDepth);
  const result = await deps.router.dispatchCheckPermissions({ checks, headers: api.headers, auth: api.auth });
  return reply.code(200).type('application/json').send(JSON.stringify(result));
}

/**
 * [ditto: PoliciesRoute.extractJwt] POST …/actions/<name>: the JWT requirement is checked before
 * the method, as Ditto's route does; the body (optional) may carry an `announcement`.
 */
async function handlePolicyAction(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps, policyId: string, match: { readonly action: PolicyActionName; readonly label?: string }): Promise<FastifyReply> {
  const cmd: PolicyActionCommand = { kind: 'policy.action', action: match.action, policyId, headers: api.headers, auth: api.auth, ...(match.label === undefined ? {} : { label: match.label }) };
  requireJwt(cmd);
  if (api.method !== 'POST') return sendPlain(reply, 405, ['POST']);
  const text = typeof api.body === 'string' ? api.body : Buffer.isBuffer(api.body) ? api.body.toString('utf8') : '';
  const withBody = text.trim() === '' ? cmd : { ...cmd, value: parseBody(text, deps.config.maxJsonDepth) };
  if (api.headers['response-required'] === 'false') {
    deps.router.dispatchPolicyAction(withBody).catch((err: unknown) => deps.logger.debug({ err }, 'fire-and-forget policy action failed'));
    return reply.code(202).send();
  }
  return send(reply, await deps.router.dispatchPolicyAction(withBody), undefined);
}
