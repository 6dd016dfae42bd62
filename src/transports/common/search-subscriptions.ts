import { DittoError, isDittoError } from '../../model/errors/index.ts';
import type { JsonObject } from '../../model/json.ts';
import {
  envelopeToText, searchSignalToEnvelope, TOPIC_PLACEHOLDER, type SearchProtocolSignal, type SearchSubscribeSignal, type SearchSubscriptionSignal,
} from '../../protocol/index.ts';
import type { SearchStream } from '../../services/search/search-service.ts';
import type { SignalRouter } from '../../services/signal-router.ts';
import type { AuthContext, DittoHeaders, SearchThingsCommand } from '../../signals/index.ts';
import { errorText } from './protocol-dispatch.ts';

// [ditto: protocol-specification-things-search] The publisher side of the search protocol for
// one client session (a WebSocket; any duplex transport could use it). Pages are fetched only as
// the client demands them, one query per page, and a page is fetched only after the previous
// one was handed to the transport: a client that requests many pages but reads slowly holds at
// most one page in the session's buffer per subscription.

export interface SearchSubscriptionsConfig {
  /** Subscriptions one session may hold open at a time; a subscribe beyond is answered with 429. */
  readonly maxSubscriptions: number;
  /** [ditto: gateway.conf streaming.search-idle-timeout] A subscription waiting this long for demand fails. */
  readonly idleTimeoutMs: number;
}

export interface SearchSubscriptionsDeps {
  readonly router: SignalRouter;
  readonly auth: AuthContext;
  readonly uuid: () => string;
  /** Sends a message; resolves once the transport has taken it (written or given up on). */
  readonly send: (text: string) => Promise<void>;
  /** Anything that is not a DittoError is a bug: reported here, and the subscription fails with a 500. */
  readonly onUnexpected: (err: unknown) => void;
  readonly config: SearchSubscriptionsConfig;
}

interface Subscription {
  readonly id: string;
  /** The subscribe's correlation ID, kept on every message of the subscription. */
  readonly headers: DittoHeaders;
  /** The stream, or the error that prevented it (told at the first request). */
  readonly stream: Promise<SearchStream | DittoError>;
  demand: number;
  pumping: boolean;
  timer: NodeJS.Timeout | undefined;
}

const ERROR_TOPIC = { namespace: TOPIC_PLACEHOLDER, name: TOPIC_PLACEHOLDER, group: 'things', channel: 'twin' } as const;

/** [ditto: SubscriptionProtocolErrorException] reactive-streams rule 3.9. */
const RULE_3_9 = 'Rule 3.9: a request must ask for a positive number of pages; non-positive demand is illegal.';

export class SearchSubscriptions {
  private readonly subscriptions = new Map<string, Subscription>();
  private closed = false;

  constructor(private readonly deps: SearchSubscriptionsDeps) {}

  get size(): number {
    return this.subscriptions.size;
  }

  handle(signal: SearchProtocolSignal): void {
    if (this.closed) return;
    switch (signal.kind) {
      case 'search.subscribe':
        this.subscribe(signal);
        return;
      case 'search.request':
        this.request(signal.subscriptionId, signal.demand, signal.headers);
        return;
      case 'search.cancel':
        // [ditto: protocol-specification-things-search cancel] pages in flight may still arrive.
        this.end(signal.subscriptionId);
        return;
      default:
        // created, next, complete and failed travel from Doppel to clients only.
        return;
    }
  }

  /** Ends every subscription without a message (the session is gone). */
  close(): void {
    this.closed = true;
    for (const id of [...this.subscriptions.keys()]) this.end(id);
  }

  private subscribe(s: SearchSubscribeSignal): void {
    const correlationId = s.headers['correlation-id'];
    const headers: DittoHeaders = correlationId === undefined ? {} : { 'correlation-id': correlationId };
    if (this.subscriptions.size >= this.deps.config.maxSubscriptions) {
      const error = new DittoError('too.many.requests', {}, { description: `A session may hold at most ${this.deps.config.maxSubscriptions} search subscriptions; cancel one first.` });
      void this.deps.send(errorText(error, ERROR_TOPIC, headers));
      return;
    }
    const id = this.deps.uuid();
    const stream = this.deps.router.dispatchSearchStream(commandOf(s, this.deps.auth)).catch((e: unknown) => this.asDittoError(e));
    const sub: Subscription = { id, headers, stream, demand: 0, pumping: false, timer: undefined };
    this.subscriptions.set(id, sub);
    // [ditto: protocol-specification-things-search created] always answered with created; errors wait for the first request.
    void this.deps.send(this.text({ kind: 'search.created', subscriptionId: id, headers }));
    this.idle(sub);
  }

  private request(id: string, demand: number, requestHeaders: DittoHeaders): void {
    const sub = this.subscriptions.get(id);
    if (sub === undefined) {
      const error = new DittoError('thing-search:subscription.not.found', { subscriptionId: id });
      const correlationId = requestHeaders['correlation-id'];
      void this.deps.send(this.text({ kind: 'search.failed', subscriptionId: id, error: errorJson(error), headers: correlationId === undefined ? {} : { 'correlation-id': correlationId } }));
      return;
    }
    if (demand <= 0) {
      this.fail(sub, new DittoError('thing-search:subscription.protocol.error', { reason: RULE_3_9 }));
      return;
    }
    sub.demand = Math.min(Number.MAX_SAFE_INTEGER, sub.demand + demand);
    void this.pump(sub);
  }

  /** Sends pages while there is demand; one at a time, each after the previous was taken. */
  private async pump(sub: Subscription): Promise<void> {
    if (sub.pumping) return;
    sub.pumping = true;
    this.stopTimer(sub);
    try {
      const stream = await sub.stream;
      if (stream instanceof DittoError) {
        this.fail(sub, stream);
        return;
      }
      while (sub.demand > 0 && this.subscriptions.get(sub.id) === sub) {
        const page = await stream.next();
        if (this.subscriptions.get(sub.id) !== sub) return;
        if (page.items.length > 0) {
          sub.demand--;
          await this.deps.send(this.text({ kind: 'search.next', subscriptionId: sub.id, items: page.items.map((i) => i.item), headers: sub.headers }));
        }
        if (page.done) {
          this.end(sub.id);
          void this.deps.send(this.text({ kind: 'search.complete', subscriptionId: sub.id, headers: sub.headers }));
          return;
        }
      }
    } catch (e) {
      this.fail(sub, this.asDittoError(e));
      return;
    } finally {
      sub.pumping = false;
    }
    if (this.subscriptions.get(sub.id) === sub) this.idle(sub);
  }

  private fail(sub: Subscription, error: DittoError): void {
    if (this.subscriptions.get(sub.id) !== sub) return;
    this.end(sub.id);
    void this.deps.send(this.text({ kind: 'search.failed', subscriptionId: sub.id, error: errorJson(error), headers: sub.headers }));
  }

  /** Waiting for demand: fails after the idle timeout. */
  private idle(sub: Subscription): void {
    this.stopTimer(sub);
    sub.timer = setTimeout(() => {
      const timeoutMs = this.deps.config.idleTimeoutMs;
      this.fail(sub, new DittoError('thing-search:subscription.timeout', { subscriptionId: sub.id, timeoutMs }));
    }, this.deps.config.idleTimeoutMs);
    sub.timer.unref();
  }

  private stopTimer(sub: Subscription): void {
    if (sub.timer !== undefined) clearTimeout(sub.timer);
    sub.timer = undefined;
  }

  private end(id: string): void {
    const sub = this.subscriptions.get(id);
    if (sub === undefined) return;
    this.stopTimer(sub);
    this.subscriptions.delete(id);
  }

  private asDittoError(e: unknown): DittoError {
    if (isDittoError(e)) return e;
    this.deps.onUnexpected(e);
    return new DittoError('internalerror');
  }

  private text(signal: SearchSubscriptionSignal): string {
    return envelopeToText(searchSignalToEnvelope(signal));
  }
}

function errorJson(error: DittoError): JsonObject {
  return error.toJSON() as unknown as JsonObject;
}

/**
 * The search a subscribe asks for. [ditto: protocol-specification-things-search subscribe] A
 * namespace in the topic, when not the placeholder, restricts the search like `namespaces`.
 */
function commandOf(s: SearchSubscribeSignal, auth: AuthContext): SearchThingsCommand {
  const namespaces = s.namespaces ?? (s.namespace === TOPIC_PLACEHOLDER ? undefined : [s.namespace]);
  return {
    kind: 'query',
    filters: s.filter === undefined ? [] : [s.filter],
    headers: s.headers,
    auth,
    ...(namespaces === undefined ? {} : { namespaces }),
    ...(s.fields === undefined ? {} : { fields: s.fields }),
    ...(s.options === undefined ? {} : { options: s.options }),
  };
}
