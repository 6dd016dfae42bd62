import { request, type IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { DITTO_BASIC } from './doppel-server.ts';

// Real clients for the streaming transports: a WebSocket speaking the Ditto Protocol and a
// minimal Server-Sent Events reader. Both queue what arrives so tests can wait for, or assert the
// absence of, a message.

export interface ProtocolMessage {
  readonly topic: string;
  readonly headers: Record<string, unknown>;
  readonly path: string;
  readonly value?: unknown;
  readonly extra?: Record<string, unknown>;
  readonly status?: number;
  readonly revision?: number;
  readonly timestamp?: string;
}

interface Waiter {
  readonly match: (text: string) => boolean;
  readonly resolve: (text: string) => void;
}

/** Messages arrive in a queue; `next` takes the first matching one, waiting for it if needed. */
class Inbox {
  private readonly queue: string[] = [];
  private readonly waiters: Waiter[] = [];

  push(text: string): void {
    const i = this.waiters.findIndex((w) => w.match(text));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w?.resolve(text);
    } else {
      this.queue.push(text);
    }
  }

  next(match: (text: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const i = this.queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0] as string);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms; queued: ${JSON.stringify(this.queue.slice(0, 5))}`));
      }, timeoutMs);
      const waiter: Waiter = { match, resolve: (t) => { clearTimeout(timer); resolve(t); } };
      this.waiters.push(waiter);
    });
  }

  /** Everything queued and not taken yet, removed. */
  drain(): string[] {
    return this.queue.splice(0);
  }
}

export function wsUrl(httpUrl: string, query = ''): string {
  return `${httpUrl.replace(/^http/, 'ws')}/ws/2${query}`;
}

export class WsClient {
  readonly inbox = new Inbox();
  readonly closed: Promise<{ code: number; reason: string }>;
  private counter = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.inbox.push(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  }

  /** Opens `/ws/2` (or `url` as given) as `ditto` unless headers say otherwise. */
  static open(url: string, headers: Record<string, string> = { authorization: DITTO_BASIC }): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') })));
      });
      socket.once('error', reject);
    });
  }

  sendText(text: string): void {
    this.socket.send(text);
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Sends a protocol message with a fresh correlation ID and waits for the answer carrying it. */
  async request(message: { topic: string; path: string; value?: unknown; headers?: Record<string, unknown>; fields?: string }, timeoutMs = 5_000): Promise<ProtocolMessage> {
    const correlationId = `req-${++this.counter}-${Math.random().toString(36).slice(2)}`;
    this.send({ ...message, headers: { ...(message.headers ?? {}), 'correlation-id': correlationId } });
    return this.next((m) => m.headers['correlation-id'] === correlationId && !m.topic.includes('/events/'), timeoutMs, `answer to ${correlationId}`);
  }

  /** The next protocol message (JSON) matching `match`. */
  async next(match: (m: ProtocolMessage) => boolean = () => true, timeoutMs = 5_000, what = 'message'): Promise<ProtocolMessage> {
    const text = await this.inbox.next((t) => t.startsWith('{') && match(JSON.parse(t) as ProtocolMessage), timeoutMs, what);
    return JSON.parse(text) as ProtocolMessage;
  }

  /** The next event (topic `.../things/twin/events/...`) matching `match`. */
  event(match: (m: ProtocolMessage) => boolean = () => true, timeoutMs = 5_000): Promise<ProtocolMessage> {
    return this.next((m) => m.topic.includes('/things/twin/events/') && match(m), timeoutMs, 'event');
  }

  /** The next plain-text frame equal to `text` (an ACK). */
  text(text: string, timeoutMs = 5_000): Promise<string> {
    return this.inbox.next((t) => t === text, timeoutMs, `'${text}'`);
  }

  /** Sends a control message and waits for its ACK. */
  async control(message: string, ack: string, timeoutMs = 5_000): Promise<void> {
    this.sendText(message);
    await this.text(ack, timeoutMs);
  }

  /** Fails when an event arrives within `ms`. */
  async noEvent(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const events = this.inbox.drain().filter((t) => t.includes('/things/twin/events/'));
    if (events.length > 0) throw new Error(`unexpected events: ${events.join('\n')}`);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close();
    return this.closed;
  }
}

/** A Server-Sent Events stream: the `data:` payloads of its events, and the raw text seen. */
export class SseClient {
  readonly inbox = new Inbox();
  raw = '';
  private buffer = '';
  private readonly ended: Promise<void>;

  private constructor(readonly response: IncomingMessage, private readonly abort: () => void) {
    response.setEncoding('utf8');
    this.ended = new Promise((resolve) => {
      response.once('end', resolve);
      response.once('close', resolve);
    });
    response.on('data', (chunk: string) => {
      this.raw += chunk;
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\n\n')) >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
        // An event without data is a heartbeat, which EventSource does not dispatch either.
        if (data !== '') this.inbox.push(data);
      }
    });
  }

  /** Opens an SSE request; resolves with the response once the headers are in (whatever the status). */
  static open(url: string, headers: Record<string, string> = { authorization: DITTO_BASIC }): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => resolve(new SseClient(res, () => req.destroy())));
      req.once('error', reject);
      req.end();
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  /** The body of a response that is not a stream (an error). */
  async body(): Promise<string> {
    await this.ended;
    return this.raw;
  }

  async next(timeoutMs = 5_000): Promise<unknown> {
    return JSON.parse(await this.inbox.next(() => true, timeoutMs, 'SSE event')) as unknown;
  }

  async nothing(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const got = this.inbox.drain();
    if (got.length > 0) throw new Error(`unexpected SSE events: ${got.join('\n')}`);
  }

  close(): void {
    this.abort();
  }
}
