// A small keep-alive HTTP client for seeding and checks (the measured load goes through load.ts).

import { Agent, request } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly body: string;
}

export const DITTO_BASIC = `Basic ${Buffer.from('ditto:ditto').toString('base64')}`;

export class HttpClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(origin: string, maxSockets = 64) {
    this.url = new URL(origin);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  call(method: string, path: string, headers: Readonly<Record<string, string>> = {}, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const h: Record<string, string> = { ...headers };
      if (body !== undefined) h['content-length'] = String(Buffer.byteLength(body));
      const req = request({ agent: this.agent, host: this.url.hostname, port: this.url.port, method, path, headers: h, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Calls `fn(i)` for i in [0, count) with at most `concurrency` calls in flight; stops at the first failure. */
export async function forEachBounded(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let nextIndex = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && nextIndex < count) {
      const i = nextIndex++;
      try {
        await fn(i);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure;
}

/** Calls `fn` until `accept` likes the answer, retrying thrown errors and refused answers (429, 503...) with backoff. */
export async function withRetries(fn: () => Promise<Answer>, accept: (a: Answer) => boolean, what: string, attempts = 5): Promise<Answer> {
  let last: Answer | undefined;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      last = await fn();
      if (accept(last)) return last;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 50 * 2 ** i));
  }
  const why = last === undefined ? (lastError instanceof Error ? lastError.message : String(lastError)) : `status ${last.status}: ${last.body.slice(0, 300)}`;
  throw new Error(`${what} failed after ${attempts} attempts (${why})`);
}
