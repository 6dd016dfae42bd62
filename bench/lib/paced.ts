// An open-loop load generator over raw keep-alive sockets. node:http's client costs too much per
// request to hold ten thousand requests per second steadily on a shared two-core machine, and
// autocannon's rate limit sends each second's share in a burst. This one builds each request as
// one buffer and reads answers with a minimal HTTP/1.1 parser: status line and Content-Length
// only, which is all the two servers measured here send (no chunked encoding, no pipelining).

import { connect, type Socket } from 'node:net';
import type { LatencyMs } from './load-spec.ts';

export interface PacedOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly rate: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** The request bytes, built fresh for each request. */
  readonly build: () => Buffer;
}

export interface PacedOutcome {
  readonly ok: number;
  /** 2xx answers to warm-up requests (not in the figures, but they did happen). */
  readonly warmupOk: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  /** From when each request was due. */
  readonly latencyMs: LatencyMs;
  /** From when each request was written to its socket: without the wait for the timer or a free connection. */
  readonly sendLatencyMs: LatencyMs;
  readonly elapsedSeconds: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Length of the first complete response in `buf` and its status, or undefined when incomplete. */
function completeResponse(buf: Buffer): { length: number; status: number } | undefined {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) throw new Error('chunked responses are not supported by the paced client');
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const length = end + 4 + (m === null ? 0 : Number(m[1]));
  return buf.length >= length ? { length, status } : undefined;
}

export function percentiles(samples: Float64Array): LatencyMs {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const sum = sorted.reduce((a, b) => a + b, 0);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), p999: round(at(0.999)), max: round(at(1)), mean: round(sorted.length === 0 ? 0 : sum / sorted.length) };
}

/**
 * Request i is due at start + i/rate. Due requests go to an idle connection at once or wait in
 * a queue for the next one; a latency counts from when the request was due (so queueing behind
 * a slow server is measured, not hidden). The warm-up requests are sent the same way, unrecorded.
 */
export async function runPacedLoad(o: PacedOptions): Promise<PacedOutcome> {
  const warmup = Math.floor(o.rate * o.warmupSeconds);
  const total = warmup + Math.floor(o.rate * o.seconds);
  const latencies = new Float64Array(total);
  const sendLatencies = new Float64Array(total);
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let warmupOk = 0;
  let non2xx = 0;
  let errors = 0;
  // Requests [sent, due) are due and wait for a connection.
  let due = 0;
  let sent = 0;
  let settled = 0;
  let stopped = false;
  let start = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => { finish = resolve; });

  const settle = (index: number, status: number | undefined, sentAt: number): void => {
    if (index < warmup) {
      if (status !== undefined && status >= 200 && status < 300) warmupOk++;
    } else {
      if (status === undefined) errors++;
      else {
        statusCodes[String(status)] = (statusCodes[String(status)] ?? 0) + 1;
        if (status >= 200 && status < 300) {
          const now = performance.now();
          latencies[ok] = now - (start + (index * 1000) / o.rate);
          sendLatencies[ok++] = now - sentAt;
        } else non2xx++;
      }
    }
    if (++settled === total) finish();
  };

  class Connection {
    private socket: Socket;
    private buf: Buffer = Buffer.alloc(0);
    private current: number | undefined;
    private sentAt = 0;

    constructor() {
      this.socket = this.open();
    }

    get idle(): boolean {
      return this.current === undefined;
    }

    send(index: number): void {
      this.current = index;
      const bytes = o.build();
      this.sentAt = performance.now();
      this.socket.write(bytes);
    }

    close(): void {
      this.socket.destroy();
    }

    private open(): Socket {
      const s = connect({ host: o.host, port: o.port, noDelay: true });
      s.on('data', (chunk: Buffer) => this.onData(chunk));
      s.on('error', () => undefined);
      s.on('close', () => this.onClose());
      return s;
    }

    private onData(chunk: Buffer): void {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      const done = completeResponse(this.buf);
      if (done === undefined || this.current === undefined) return;
      this.buf = this.buf.subarray(done.length);
      const index = this.current;
      this.current = undefined;
      settle(index, done.status, this.sentAt);
      dispatch();
    }

    private onClose(): void {
      if (this.current !== undefined) {
        const index = this.current;
        this.current = undefined;
        settle(index, undefined, this.sentAt);
      }
      if (!stopped) {
        this.buf = Buffer.alloc(0);
        this.socket = this.open();
        dispatch();
      }
    }
  }

  const connections = Array.from({ length: o.connections }, () => new Connection());
  const dispatch = (): void => {
    for (const c of connections) {
      if (sent >= due) return;
      if (c.idle) c.send(sent++);
    }
  };
  // Let the connections open before the clock starts.
  await new Promise((r) => setTimeout(r, 100));
  start = performance.now();
  const timer = setInterval(() => {
    due = Math.min(total, Math.floor(((performance.now() - start) * o.rate) / 1000));
    dispatch();
    if (due >= total) clearInterval(timer);
  }, 1);
  // Bounded: whatever has not answered 15 s after the last request was due counts as an error.
  const cap = setTimeout(() => {
    errors += total - settled;
    finish();
  }, (o.warmupSeconds + o.seconds) * 1000 + 15_000);
  await finished;
  clearTimeout(cap);
  clearInterval(timer);
  const elapsedSeconds = (performance.now() - start) / 1000 - o.warmupSeconds;
  stopped = true;
  for (const c of connections) c.close();
  return { ok, warmupOk, non2xx, errors, statusCodes, latencyMs: percentiles(latencies.subarray(0, ok)), sendLatencyMs: percentiles(sendLatencies.subarray(0, ok)), elapsedSeconds };
}
