import { DittoError, isDittoError } from '../../model/errors/index.ts';
import type { JsonParseLimits } from '../../model/json-parse.ts';
import {
  acksToEnvelope, parseRequestedAcks, TWIN_PERSISTED,
  checkPermissionsResponseFor, checkPermissionsResponseToEnvelope, envelopeToSignal, envelopeToText, errorResponseFor,
  errorResponseToEnvelope, formatTopic, policyResponseFor, policyResponseToEnvelope, retrieveThingsResponseFor, retrieveThingsResponseToEnvelope,
  searchSignalFromEnvelope, thingResponseFor, thingResponseToEnvelope, tryParseEnvelope, type Envelope, type ProtocolSignal,
  type SearchProtocolSignal, type Topic,
} from '../../protocol/index.ts';
import type { SignalRouter } from '../../services/signal-router.ts';
import type { AuthContext, DittoHeaders, ThingCommand } from '../../signals/index.ts';
import { timeoutOf } from '../../services/live/index.ts';
import { parseTimeoutMs } from './timeout.ts';

/**
 * Ditto Protocol messages from a client (a WebSocket today, connections later): parse, turn into
 * a signal, dispatch through the SignalRouter exactly as HTTP does, and answer with the response
 * or the error envelope, which keeps the message's correlation ID.
 */

export interface ProtocolDispatchConfig {
  readonly maxHeadersBytes: number;
  readonly maxTimeoutMs: number;
  readonly json: JsonParseLimits;
}

export interface ProtocolClient {
  readonly auth: AuthContext;
  /** Marks the commands so their events are not delivered back to the same session. */
  readonly origin: string;
  /** The session's own correlation ID, for errors about messages that had none. */
  readonly correlationId: string;
  readonly newCorrelationId: () => string;
  /** Anything that is not a DittoError is a bug: it is reported here and answered with a plain 500. */
  readonly onUnexpected: (err: unknown) => void;
  /** Takes search protocol messages (they belong to the session's subscriptions); without it they are refused. */
  readonly search?: (signal: SearchProtocolSignal) => void;
  /** The client's live channel: live commands, events, messages, their answers and acknowledgements. */
  readonly live?: LiveClient;
  /** Aborted when the client is gone: requests waiting for acknowledgements stop waiting. */
  readonly gone?: AbortSignal;
}

export interface LiveClient {
  handles(env: Envelope): boolean;
  /** Whether `env` answers a live signal (a response, a live error, acknowledgements): taken at once by `answer`. */
  isAnswer(env: Envelope): boolean;
  /** Routes an answer to whoever waits for it; throws a DittoError for answers the client may not give. */
  answer(env: Envelope): void;
  handle(env: Envelope): Promise<ProtocolAnswer>;
}

/** The answer to send, or undefined when none is due (responses not required, incoming responses). */
export type ProtocolAnswer = string | undefined;

const UNSUPPORTED = "Doppel does not handle this kind of Ditto Protocol message yet: streaming subscriptions come with later releases.";
/** [ditto: basic-acknowledgements] Twin commands wait for acknowledgements up to a minute by default. */
const ACK_TIMEOUT_MS = 60_000;
const ERROR_TOPIC = { namespace: '_', name: '_', group: 'things', channel: 'twin' } as const;
const IF_EQUAL = new Set(['update', 'skip', 'skip-minimizing-merge']);

/**
 * A message read and checked: either its answer is known already (it was invalid), or it is a
 * signal for one entity, to be executed. Sessions execute the signals for one entity one after
 * another, in the order they arrived, as Ditto's entity actors receive them.
 */
export type PreparedMessage =
  | { readonly kind: 'answer'; readonly answer: ProtocolAnswer }
  | { readonly kind: 'signal'; readonly entity: string; readonly execute: () => Promise<ProtocolAnswer> };

export function prepareProtocolMessage(text: string, client: ProtocolClient, router: SignalRouter, config: ProtocolDispatchConfig): PreparedMessage {
  const parsed = tryParseEnvelope(text, config.json);
  if (!('envelope' in parsed)) {
    const headers = withCorrelationId(parsed.headers, client.correlationId);
    return { kind: 'answer', answer: errorText(parsed.error, parsed.topic ?? ERROR_TOPIC, headers) };
  }
  const env = parsed.envelope;
  const headers: DittoHeaders = { ...withCorrelationId(env.headers, client.newCorrelationId()), 'ditto-origin': client.origin };
  const respond = headers['response-required'] !== 'false';
  let signal: ProtocolSignal;
  const entity = `${env.topic.group}:${env.topic.namespace}:${env.topic.name}`;
  const live = client.live;
  if (live !== undefined && live.handles(env)) {
    try {
      checkHeaders(headers, config);
    } catch (e) {
      if (!isDittoError(e)) throw e;
      return { kind: 'answer', answer: errorText(e, env.topic, headers) };
    }
    if (live.isAnswer(env)) {
      // Answers only pass on to whoever waits: nothing to queue, nothing to await.
      try {
        live.answer({ ...env, headers });
        return { kind: 'answer', answer: undefined };
      } catch (e) {
        if (!isDittoError(e)) throw e;
        return { kind: 'answer', answer: respond ? errorText(e, env.topic, headers) : undefined };
      }
    }
    const execute = async (): Promise<ProtocolAnswer> => {
      try {
        return await live.handle({ ...env, headers });
      } catch (e) {
        if (!isDittoError(e)) client.onUnexpected(e);
        return respond ? errorText(isDittoError(e) ? e : new DittoError('internalerror'), env.topic, headers) : undefined;
      }
    };
    // Live signals wait for devices, not for the entity: they never hold up the session's other signals.
    return { kind: 'signal', entity: `live:${headers['correlation-id'] ?? ''}`, execute };
  }
  try {
    checkHeaders(headers, config);
    const search = client.search === undefined ? undefined : searchSignalFromEnvelope({ ...env, headers });
    if (search !== undefined) {
      client.search?.(search);
      return { kind: 'answer', answer: undefined };
    }
    const s = envelopeToSignal({ ...env, headers }, client.auth);
    if (s === undefined || (s.kind === 'thing.event' && s.channel === 'twin')) {
      throw new DittoError('protocoladapter:unknown.topicpath', { topic: formatTopic(env.topic), reason: UNSUPPORTED });
    }
    signal = s;
  } catch (e) {
    if (!isDittoError(e)) throw e;
    // [ditto: WebSocketRoute.selectStreamControlOrSignal] a message that is no valid signal is
    // always answered, except an illegal adaptable when no response is required.
    const quiet = !respond && e.error === 'protocoladapter:illegal.adaptable';
    return { kind: 'answer', answer: quiet ? undefined : errorText(e, env.topic, headers) };
  }
  const execute = async (): Promise<ProtocolAnswer> => {
    try {
      const answer = await dispatch(signal, router, respond, client.gone);
      return answer === undefined ? undefined : envelopeToText(answer);
    } catch (e) {
      if (!isDittoError(e)) client.onUnexpected(e);
      return respond ? errorText(isDittoError(e) ? e : new DittoError('internalerror'), env.topic, headers) : undefined;
    }
  };
  return { kind: 'signal', entity, execute };
}

async function dispatch(signal: ProtocolSignal, router: SignalRouter, respond: boolean, gone: AbortSignal | undefined): Promise<Envelope | undefined> {
  switch (signal.kind) {
    case 'thing.command': {
      checkThingCommand(signal);
      if (!respond && signal.action === 'retrieve') return undefined;
      const labels = signal.action === 'retrieve' ? undefined : requestedTwinAcks(signal.headers);
      if (labels !== undefined) {
        // [ditto: basic-acknowledgements via WebSocket] the answer is the acknowledgements message.
        const { acks } = await router.dispatchThingCommandAcked(signal, labels, timeoutOf(signal.headers, ACK_TIMEOUT_MS), gone);
        return respond ? acksToEnvelope(signal.thingId, 'twin', acks, { 'correlation-id': signal.headers['correlation-id'] ?? '' }) : undefined;
      }
      const result = await router.dispatchThingCommand(signal);
      return respond ? thingResponseToEnvelope(thingResponseFor(signal, result)) : undefined;
    }
    case 'things.retrieve': {
      if (signal.channel === 'live') throw liveNotSupported();
      if (!respond) return undefined;
      const things = await router.dispatchRetrieveThings(signal);
      return retrieveThingsResponseToEnvelope(retrieveThingsResponseFor(signal, things));
    }
    case 'policy.command': {
      const result = await router.dispatchPolicyCommand(signal);
      return respond ? policyResponseToEnvelope(policyResponseFor(signal, result)) : undefined;
    }
    case 'policies.checkPermissions': {
      const results = await router.dispatchCheckPermissions(signal);
      return respond ? checkPermissionsResponseToEnvelope(checkPermissionsResponseFor(signal, results)) : undefined;
    }
    case 'thing.event':
      throw liveNotSupported();
    default:
      // Responses and errors sent by a client only mean something for live commands, which have no route yet.
      return undefined;
  }
}

/** The header rules HTTP applies too, and the one rule only the WebSocket has. */
function checkHeaders(headers: DittoHeaders, config: ProtocolDispatchConfig): void {
  let size = 0;
  for (const name in headers) if (name !== 'ditto-origin') size += name.length + (headers[name] as string).length;
  if (size > config.maxHeadersBytes) throw new DittoError('headers.too.large', { limit: config.maxHeadersBytes });
  const timeout = headers['timeout'];
  if (timeout !== undefined) parseTimeoutMs(timeout, config.maxTimeoutMs);
  const acks = headers['requested-acks'];
  // [ditto: StreamingSessionActor.checkForAcksWithoutResponse]
  if (headers['response-required'] === 'false' && acks !== undefined && acks !== '[]') {
    throw new DittoError('header.invalid', { header: 'requested-acks', value: acks, type: 'acknowledgement request' }, {
      description: "For WebSocket, it is forbidden to request acknowledgements while 'response-required' is set to false. Set 'requested-acks' to [] or 'response-required' to true.",
    });
  }
}

/** The labels a twin command requests when they are more than its own response (`twin-persisted`). */
function requestedTwinAcks(headers: DittoHeaders): string[] | undefined {
  const text = headers['requested-acks'];
  if (text === undefined) return undefined;
  const labels = parseRequestedAcks(text);
  if (labels.length === 0 || (labels.length === 1 && labels[0] === TWIN_PERSISTED)) return undefined;
  return labels;
}

function checkThingCommand(cmd: ThingCommand): void {
  // Live commands reach this point only from clients without a live channel: acting on the twin
  // instead would silently do something else than asked.
  if (cmd.channel === 'live') throw liveNotSupported();
  if (cmd.action !== 'retrieve' && cmd.headers['live-channel-condition'] !== undefined) throw new DittoError('things:live.channelcondition.notallowed');
  const ifEqual = cmd.headers['if-equal'];
  if (ifEqual !== undefined && !IF_EQUAL.has(ifEqual)) {
    throw new DittoError('header.invalid', { value: ifEqual, header: 'if-equal', type: 'if-equal option (update, skip, skip-minimizing-merge)' });
  }
}

function liveNotSupported(): DittoError {
  return new DittoError('header.notsupported', { header: 'channel', value: 'live' });
}

function withCorrelationId(headers: DittoHeaders, fallback: string): DittoHeaders {
  const id = headers['correlation-id'];
  return id === undefined || id === '' ? { ...headers, 'correlation-id': fallback } : headers;
}

/** An error envelope as text, on the message's topic (group, namespace, name, channel). */
export function errorText(error: DittoError, topic: Pick<Topic, 'namespace' | 'name' | 'group' | 'channel'>, headers: DittoHeaders): string {
  return envelopeToText(errorResponseToEnvelope(errorResponseFor(error, { topic, headers })));
}
