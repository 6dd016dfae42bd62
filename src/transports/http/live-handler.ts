import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { FastifyReply } from 'fastify';
import { DittoError } from '../../model/errors/index.ts';
import { parseThingId } from '../../model/ids.ts';
import {
  acksToJson, aggregatedAckStatus, CLAIM_SUBJECT, checkMessageSubject, headersToJson, LIVE_RESPONSE, messagePath, parseRequestedAcks,
  thingCommandToEnvelope, topicPartsOf, TWIN_PERSISTED, type Acknowledgement, type Envelope, type MessageAddress,
} from '../../protocol/index.ts';
import type { LiveOutcome } from '../../services/live/index.ts';
import type { ThingCommand, ThingCommandResult } from '../../signals/index.ts';
import { checkPayloadSize, payloadKind, payloadToValue, valueToPayload } from '../common/message-payload.ts';
import { parseTimeoutMs } from '../common/timeout.ts';
import type { ApiRequest, HttpServerDeps } from './http-server.ts';
import { sendPlain } from './render.ts';

/**
 * The live channel over HTTP ([ditto: httpapi-messages, protocol-twinlive,
 * basic-acknowledgements]): messages to and from things, live commands (`channel=live`), the
 * smart channel (`live-channel-condition`) and twin commands that wait for acknowledgements. The
 * HTTP request waits for the answer; what came back becomes the HTTP response.
 */

/** [ditto: MessagesRoute] claim messages wait a minute unless told otherwise, and may ask for up to ten. */
const CLAIM_TIMEOUT_MS = 60_000;
/** [ditto: basic-acknowledgements] twin commands wait for acknowledgements up to a minute by default. */
const ACK_TIMEOUT_MS = 60_000;
/** Response headers that belong to the HTTP connection, never copied from a device's answer. */
/**
 * Device headers HTTP does not take over: framing, and what would let a device act on the caller's
 * HTTP client (the body is sent decoded, so no content-encoding; no cookies for Doppel's origin).
 */
const HOP_HEADERS = new Set([
  'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'content-type', 'correlation-id', 'upgrade',
  'content-encoding', 'set-cookie', 'trailer', 'te',
]);

export interface MessageRoute extends MessageAddress {
  readonly claim: boolean;
}

/** `inbox|outbox/messages/<subject...>`, `features/<id>/inbox|outbox/messages/<subject...>`, `inbox/claim`. */
export function matchMessageRoute(rest: readonly string[]): MessageRoute | undefined {
  if (rest.length === 2 && rest[0] === 'inbox' && rest[1] === 'claim') return { direction: 'inbox', subject: CLAIM_SUBJECT, claim: true };
  let parts = rest;
  let featureId: string | undefined;
  if (parts[0] === 'features' && parts.length > 2) {
    featureId = parts[1];
    parts = parts.slice(2);
  }
  const [direction, messages, ...subject] = parts;
  if ((direction !== 'inbox' && direction !== 'outbox') || messages !== 'messages' || subject.length === 0) return undefined;
  const s = subject.join('/');
  return featureId === undefined ? { direction, subject: s, claim: false } : { direction, featureId, subject: s, claim: false };
}

function timeoutMs(api: ApiRequest, deps: HttpServerDeps, fallbackMs: number, maxMs = deps.config.maxTimeoutMs): number {
  const text = api.headers['timeout'];
  return text === undefined ? Math.min(fallbackMs, maxMs) : parseTimeoutMs(text, maxMs);
}

/** POST of a message: the body is the payload, routed to the thing's subscribers; their first answer is the response. */
export async function handleMessage(api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps, thingId: string, route: MessageRoute): Promise<FastifyReply> {
  if (api.method !== 'POST') return sendPlain(reply, 405, ['POST']);
  const id = parseThingId(thingId).id;
  checkMessageSubject(route.subject);
  const bytes = Buffer.isBuffer(api.body) ? api.body : Buffer.from(typeof api.body === 'string' ? api.body : '', 'utf8');
  checkPayloadSize(bytes.length, deps.config.maxMessagePayloadBytes);
  const wait = route.claim ? timeoutMs(api, deps, CLAIM_TIMEOUT_MS, deps.config.maxClaimTimeoutMs) : timeoutMs(api, deps, deps.config.liveTimeoutMs);
  // timeout=0 only means "no response" for messages; it still cannot wait for acknowledgements.
  if (wait === 0 && customLabels(api).length > 0) throw zeroTimeoutError(api);
  const contentType = api.contentType ?? 'application/octet-stream';
  const value = payloadToValue(bytes, contentType, deps.config.maxJsonDepth);
  const { namespace, name } = topicPartsOf(id);
  // [ditto: MessagesRoute] timeout=0 means "do not wait": no response is required then.
  const headers = { ...api.headers, 'content-type': contentType, ...(wait === 0 ? { 'response-required': 'false' } : {}) };
  const envelope: Envelope = {
    topic: { namespace, name, group: 'things', channel: 'live', criterion: 'messages', subject: route.subject },
    headers,
    path: messagePath(route),
    ...(value === undefined ? {} : { value }),
  };
  const outcome = await deps.router.dispatchLive({ envelope, auth: api.auth, timeoutMs: wait, signal: goneSignal(reply) });
  return sendOutcome(reply, outcome, 'message', api);
}

/** A thing route with `channel=live`: the command goes to the device; its answer, READ-filtered, comes back. */
export async function handleLiveCommand(cmd: ThingCommand, api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  const wait = timeoutMs(api, deps, deps.config.liveTimeoutMs);
  checkZeroTimeout(api, wait);
  const outcome = await deps.router.dispatchLive({ envelope: thingCommandToEnvelope({ ...cmd, channel: 'live' }), auth: api.auth, timeoutMs: wait, signal: goneSignal(reply) });
  return sendOutcome(reply, outcome, 'command', api);
}

/**
 * [ditto: basic-conditional-requests smart channel] A retrieve with `live-channel-condition`: when
 * the condition holds on the twin it is asked live, else the twin answers. With
 * `live-channel-timeout-strategy=use-twin` a live timeout falls back to the twin.
 */
export async function handleSmartRetrieve(cmd: ThingCommand, api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps): Promise<FastifyReply> {
  const strategy = api.headers['live-channel-timeout-strategy'] ?? 'fail';
  if (strategy !== 'fail' && strategy !== 'use-twin') {
    throw new DittoError('header.invalid', { header: 'live-channel-timeout-strategy', value: strategy, type: 'strategy (fail or use-twin)' });
  }
  const matched = await deps.router.evaluateLiveChannelCondition(cmd);
  void reply.header('live-channel-condition-matched', String(matched));
  if (matched) {
    const wait = timeoutMs(api, deps, deps.config.liveTimeoutMs);
    const outcome = await deps.router.dispatchLive({ envelope: thingCommandToEnvelope({ ...cmd, channel: 'live' }), auth: api.auth, timeoutMs: wait, signal: goneSignal(reply) });
    if (outcome.response !== undefined || strategy === 'fail') return sendOutcome(reply.header('channel', 'live'), outcome, 'command', api);
  }
  const result = await deps.router.dispatchThingCommand({ ...cmd, channel: 'twin' });
  return sendResult(reply.header('channel', 'twin'), result, undefined);
}

/** The labels an HTTP twin command requests, when they are more than its own response. */
export function requestedTwinAcks(api: ApiRequest): string[] | undefined {
  const text = api.headers['requested-acks'];
  if (text === undefined) return undefined;
  const labels = parseRequestedAcks(text);
  if (labels.length === 0 || (labels.length === 1 && labels[0] === TWIN_PERSISTED)) return undefined;
  return labels;
}

/**
 * [ditto: basic-acknowledgements interaction between headers] A twin command waiting for
 * acknowledgements: one label answers with that acknowledgement's status and payload, several
 * with the aggregated body (200, or 424 when one failed); `response-required=false` answers 202
 * once they are in.
 */
export async function handleAckedCommand(cmd: ThingCommand, labels: readonly string[], api: ApiRequest, reply: FastifyReply, deps: HttpServerDeps, location: string | undefined): Promise<FastifyReply> {
  const wait = timeoutMs(api, deps, ACK_TIMEOUT_MS);
  checkZeroTimeout(api, wait);
  const { result, acks } = await deps.router.dispatchThingCommandAcked(cmd, labels, wait, goneSignal(reply));
  if (api.headers['response-required'] === 'false') return reply.code(202).send();
  if (acks.length === 1 && acks[0]?.label === TWIN_PERSISTED) return sendResult(reply, result, location);
  const withLocation = location === undefined || result.status !== 201 ? acks : acks.map((a) => (a.label === TWIN_PERSISTED ? { ...a, headers: { ...a.headers, location } } : a));
  return sendAcks(reply, withLocation);
}

/** Aborted when the client disconnects before its answer was sent: nothing waits for a device on its behalf then. */
function goneSignal(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) gone.abort();
  });
  return gone.signal;
}

/** [ditto: basic-acknowledgements] `timeout=0` cannot wait for a response or acknowledgements. */
function checkZeroTimeout(api: ApiRequest, wait: number): void {
  if (wait !== 0) return;
  const acks = api.headers['requested-acks'];
  if (api.headers['response-required'] !== 'false' || (acks !== undefined && parseRequestedAcks(acks).length > 0)) throw zeroTimeoutError(api);
}

function zeroTimeoutError(api: ApiRequest): DittoError {
  return new DittoError('header.invalid', { header: 'timeout', value: api.headers['timeout'] ?? '0', type: 'timeout above 0 when a response or acknowledgements are required' });
}

/** The requested labels other than `live-response`. */
function customLabels(api: ApiRequest): string[] {
  const text = api.headers['requested-acks'];
  return text === undefined ? [] : parseRequestedAcks(text).filter((l) => l !== LIVE_RESPONSE);
}

export function sendResult(reply: FastifyReply, result: ThingCommandResult, location: string | undefined): FastifyReply {
  for (const [k, v] of Object.entries(result.headers)) void reply.header(k, v);
  if (result.status === 201 && location !== undefined) void reply.header('location', location);
  if (result.status === 204) return reply.code(204).send();
  // A text the service had at hand is sent as it is, without reading (parsing) `value`.
  const body = result.text ?? (result.value === undefined ? undefined : JSON.stringify(result.value));
  if (body === undefined) return reply.code(result.status).send();
  return reply.code(result.status).type('application/json').send(body);
}

function sendOutcome(reply: FastifyReply, outcome: LiveOutcome, kind: 'message' | 'command', api: ApiRequest): FastifyReply {
  // [ditto: basic-acknowledgements] without a required response, acknowledgements are waited for, then 202.
  if (outcome.accepted || api.headers['response-required'] === 'false') return reply.code(202).send();
  const onlyResponse = outcome.labels.length === 1 && outcome.labels[0] === LIVE_RESPONSE;
  if (onlyResponse && outcome.response !== undefined) return sendResponse(reply, outcome.response, kind);
  return sendAcks(reply, outcome.acks);
}

function sendAcks(reply: FastifyReply, acks: readonly Acknowledgement[]): FastifyReply {
  const single = acks.length === 1 ? acks[0] : undefined;
  if (single !== undefined) {
    if (single.value === undefined) return reply.code(single.status).send();
    return reply.code(single.status).type('application/json').send(JSON.stringify(single.value));
  }
  return reply.code(aggregatedAckStatus(acks)).type('application/json').send(JSON.stringify(acksToJson(acks)));
}

/**
 * [ditto: httpapi-messages responses] The device's answer as the HTTP response: its status, its
 * headers, its payload in its content type (a message's binary payload decoded from base64).
 */
function isHttpHeader(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

function sendResponse(reply: FastifyReply, env: Envelope, kind: 'message' | 'command'): FastifyReply {
  const status = env.status ?? 200;
  for (const [k, v] of Object.entries(headersToJson(env.headers))) {
    const value = typeof v === 'string' ? v : JSON.stringify(v);
    // A device's header that HTTP cannot carry (bad name, line breaks) is left out, not a failure.
    if (!HOP_HEADERS.has(k) && isHttpHeader(k, value)) void reply.header(k, value);
  }
  if (env.value === undefined) return reply.code(status >= 200 && status < 300 ? (kind === 'message' ? 204 : status) : status).send();
  if (env.topic.criterion === 'errors' || kind === 'command') return reply.code(status).type('application/json').send(JSON.stringify(env.value));
  const contentType = env.headers['content-type'] ?? (typeof env.value === 'string' ? 'text/plain; charset=UTF-8' : 'application/json');
  const body = valueToPayload(env.value, contentType);
  return reply.code(status).type(payloadKind(contentType) === 'binary' && contentType === '' ? 'application/octet-stream' : contentType).send(body);
}
