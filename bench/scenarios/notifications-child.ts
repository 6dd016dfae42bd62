// The load side of the notifications benchmark, run as its own process (`node --import tsx
// bench/scenarios/notifications-child.ts <role> <spec JSON>`): WebSocket and SSE subscribers that
// time every event they receive, an idle-session holder, and a paced writer. Each prints `READY`
// when set up and, after `REPORT` on stdin (or when done, for the writer), one JSON line.

import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

export interface SubscribersSpec {
  readonly origin: string;
  /** One WebSocket session per entry: what follows START-SEND-EVENTS (e.g. `?namespaces=x`). */
  readonly ws: readonly string[];
  /** One SSE stream per entry: its request path. */
  readonly sse: readonly string[];
}

export interface IdleSpec {
  readonly origin: string;
  readonly sessions: number;
}

export interface WriterSpec {
  readonly origin: string;
  /** Writes per second, spread evenly. */
  readonly rate: number;
  readonly seconds: number;
  /** Things written round-robin. */
  readonly thingIds: readonly string[];
  readonly concurrency: number;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface SubscribersReport {
  /** Events received per subscriber, WebSocket ones first, in index order. */
  readonly received: readonly number[];
  /** Per write (by sequence number): when its last notification arrived, epoch ms. */
  readonly lastBySeq: Readonly<Record<string, number>>;
  readonly latencyMs: Percentiles;
  readonly firstEventMs: number;
  readonly lastEventMs: number;
  readonly closed: number;
}

export interface WriterReport {
  readonly okPerThing: Readonly<Record<string, number>>;
  /** Per write (by sequence number): when its answer arrived, epoch ms. */
  readonly ackBySeq: Readonly<Record<string, number>>;
  readonly failed: number;
  readonly latencyMs: Percentiles;
  readonly seconds: number;
}

const AUTH = `Basic ${Buffer.from('ditto:ditto').toString('base64')}`;
const now = (): number => performance.timeOrigin + performance.now();

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN };
  values.sort((a, b) => a - b);
  const at = (q: number): number => Math.round((values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN) * 10) / 10;
  return { count: values.length, p50: at(0.5), p99: at(0.99), max: Math.round((values[values.length - 1] ?? NaN) * 10) / 10 };
}

/** Runs `fn` over 0..count-1 with at most `parallel` at a time. */
async function bounded(count: number, parallel: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) await fn(next++);
  }));
}

function openWs(origin: string, onText: (text: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws/2`, { headers: { authorization: AUTH }, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) onText((data as Buffer).toString('utf8'));
    });
  });
}

/** The `{"t":…,"s":…}` probe a writer put into an event, wherever it sits in the JSON. */
function probe(json: string): { t: number; s: number } | undefined {
  const at = json.indexOf('{"t":');
  if (at < 0) return undefined;
  const comma = json.indexOf(',"s":', at);
  const end = json.indexOf('}', comma);
  const t = Number(json.slice(at + 5, comma));
  const s = Number(json.slice(comma + 5, end));
  return Number.isFinite(t) && Number.isFinite(s) ? { t, s } : undefined;
}

async function subscribers(spec: SubscribersSpec): Promise<() => SubscribersReport> {
  const received = new Array<number>(spec.ws.length + spec.sse.length).fill(0);
  const latencies: number[] = [];
  const lastBySeq: Record<string, number> = {};
  let first = 0;
  let last = 0;
  let closed = 0;
  const seen = (index: number, text: string): void => {
    const p = probe(text);
    if (p === undefined) return;
    const at = now();
    received[index] = (received[index] ?? 0) + 1;
    latencies.push(at - p.t);
    lastBySeq[p.s] = at;
    if (first === 0) first = at;
    last = at;
  };
  const sockets: WebSocket[] = [];
  await bounded(spec.ws.length, 100, async (i) => {
    let acked: () => void = () => undefined;
    const ack = new Promise<void>((resolve) => (acked = resolve));
    const ws = await openWs(spec.origin, (text) => (text === 'START-SEND-EVENTS:ACK' ? acked() : seen(i, text)));
    ws.on('close', () => closed++);
    ws.send(`START-SEND-EVENTS${spec.ws[i] ?? ''}`);
    await ack;
    sockets.push(ws);
  });
  const agent = new Agent({ keepAlive: false });
  await bounded(spec.sse.length, 100, (i) => new Promise<void>((resolve, reject) => {
    const index = spec.ws.length + i;
    const req = request(`${spec.origin}${spec.sse[i] ?? ''}`, { agent, headers: { accept: 'text/event-stream', authorization: AUTH } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`SSE answered ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.length > 5) seen(index, block);
        }
      });
      res.on('close', () => closed++);
      resolve();
    });
    req.on('error', reject);
    req.end();
  }));
  return () => ({ received, lastBySeq, latencyMs: percentiles(latencies), firstEventMs: first, lastEventMs: last, closed });
}

async function idle(spec: IdleSpec): Promise<() => object> {
  let open = 0;
  let closed = 0;
  await bounded(spec.sessions, 200, async () => {
    const ws = await openWs(spec.origin, () => undefined);
    ws.on('close', () => closed++);
    open++;
  });
  return () => ({ open, closed });
}

async function writer(spec: WriterSpec): Promise<WriterReport> {
  const url = new URL(spec.origin);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const okPerThing: Record<string, number> = {};
  const ackBySeq: Record<string, number> = {};
  const latencies: number[] = [];
  let failed = 0;
  let seq = 0;
  let inFlight = 0;
  const total = Math.round(spec.rate * spec.seconds);
  const started = now();
  const write = (): Promise<void> => new Promise((resolve) => {
    const s = seq++;
    const thingId = spec.thingIds[s % spec.thingIds.length] ?? '';
    const sent = now();
    const body = JSON.stringify({ t: sent, s });
    inFlight++;
    const req = request({ agent, host: url.hostname, port: url.port, method: 'PUT', path: `/api/2/things/${thingId}/attributes/probe`,
      headers: { authorization: AUTH, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        inFlight--;
        if (res.statusCode !== undefined && res.statusCode < 300) {
          okPerThing[thingId] = (okPerThing[thingId] ?? 0) + 1;
          const acked = now();
          ackBySeq[s] = acked;
          latencies.push(acked - sent);
        } else {
          failed++;
        }
        resolve();
      });
    });
    req.on('error', () => {
      inFlight--;
      failed++;
      resolve();
    });
    req.end(body);
  });
  const pending: Promise<void>[] = [];
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((now() - started) / 1000) * spec.rate));
      while (seq < due) pending.push(write());
      if (seq >= total) {
        clearInterval(tick);
        done();
      }
    }, 2);
  });
  await Promise.all(pending);
  agent.destroy();
  void inFlight;
  return { okPerThing, ackBySeq, failed, latencyMs: percentiles(latencies), seconds: (now() - started) / 1000 };
}

async function main(): Promise<void> {
  const [role, specText] = process.argv.slice(2);
  const spec: unknown = JSON.parse(specText ?? '{}');
  if (role === 'writer') {
    const out = JSON.stringify(await writer(spec as WriterSpec));
    process.stdout.write(`${out}\n`, () => process.exit(0));
    return;
  }
  const report = role === 'subscribers' ? await subscribers(spec as SubscribersSpec) : await idle(spec as IdleSpec);
  process.stdout.write('READY\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === 'REPORT') {
      process.stdout.write(`${JSON.stringify(report())}\n`, () => process.exit(0));
      return;
    }
  }
}

if (process.argv[1]?.endsWith('notifications-child.ts') === true) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
