import { DittoError } from '../../model/errors/index.ts';
import { LIVE_RESPONSE, type Acknowledgement, type Envelope } from '../../protocol/index.ts';

/** What came back for one request when it completed or timed out. */
export interface Collected {
  /** By label; labels without an acknowledgement timed out. */
  readonly acks: ReadonlyMap<string, Acknowledgement>;
  /** The live response (messages, live commands), which also stands for the `live-response` label. */
  readonly response: Envelope | undefined;
}

interface Waiter {
  readonly thingId: string;
  readonly expected: ReadonlySet<string>;
  readonly acks: Map<string, Acknowledgement>;
  response: Envelope | undefined;
  readonly resolve: (c: Collected) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The requests of this process that wait for responses or acknowledgements, by correlation ID.
 * Bounded in count (a full table refuses new requests with 429) and every wait ends at its
 * timeout; answers about another thing, unexpected labels and answers after completion are
 * dropped, and the first response wins.
 */
export class PendingRequests {
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Starts waiting; the promise resolves when every label arrived or the timeout passed. */
  open(correlationId: string, thingId: string, labels: readonly string[], timeoutMs: number): Promise<Collected> {
    if (this.waiting.has(correlationId)) throw new DittoError('acknowledgement:request.duplicate.correlation-id', { correlationId });
    if (this.waiting.size >= this.max) {
      throw new DittoError('too.many.requests', {}, { description: `More than ${this.max} requests wait for devices or acknowledgements; try again later.` });
    }
    return new Promise<Collected>((resolve) => {
      const timer = setTimeout(() => this.finish(correlationId), timeoutMs);
      this.waiting.set(correlationId, { thingId, expected: new Set(labels), acks: new Map(), response: undefined, resolve, timer });
    });
  }

  ack(correlationId: string, ack: Acknowledgement): void {
    const w = this.waiting.get(correlationId);
    if (w === undefined || ack.thingId !== w.thingId || !w.expected.has(ack.label) || w.acks.has(ack.label)) return;
    w.acks.set(ack.label, ack);
    if (w.acks.size === w.expected.size) this.finish(correlationId);
  }

  /** A live response: it is the `live-response` acknowledgement, with the whole envelope kept. */
  response(correlationId: string, thingId: string, env: Envelope): void {
    const w = this.waiting.get(correlationId);
    if (w === undefined || w.response !== undefined || thingId !== w.thingId) return;
    w.response = env;
    if (w.expected.has(LIVE_RESPONSE)) this.ack(correlationId, { label: LIVE_RESPONSE, thingId, channel: 'live', status: env.status ?? 200, headers: env.headers, ...(env.value === undefined ? {} : { value: env.value }) });
  }

  /** Ends one wait now with what it has (its requester is gone, or its request failed before anything was sent). */
  end(correlationId: string): void {
    this.finish(correlationId);
  }

  /** Resolves every wait with what it has (shutdown). */
  close(): void {
    for (const id of [...this.waiting.keys()]) this.finish(id);
  }

  private finish(correlationId: string): void {
    const w = this.waiting.get(correlationId);
    if (w === undefined) return;
    clearTimeout(w.timer);
    this.waiting.delete(correlationId);
    w.resolve({ acks: w.acks, response: w.response });
  }
}
