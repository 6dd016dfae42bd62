import { after, before } from 'node:test';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/app/config.ts';
import { startDoppel, type Doppel } from '../../src/app/doppel.ts';

export interface TestServer {
  readonly url: string;
  readonly doppel: Doppel;
  close(): Promise<void>;
}

/**
 * A real Doppel on 127.0.0.1 and a free port, with an in-memory PGlite store unless the overrides
 * name another. Pre-authentication is on so tests can act as several subjects.
 */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const env: Record<string, string> = {
    PORT: '0',
    DOPPEL_HOST: '127.0.0.1',
    DOPPEL_DATA_DIR: 'memory://',
    DOPPEL_PRE_AUTHENTICATION: 'true',
    DOPPEL_LOG_LEVEL: 'silent',
  };
  const config = loadConfig(env);
  const merged: Config = { ...config, ...overrides };
  const doppel = await startDoppel(merged, pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }));
  return { url: `http://127.0.0.1:${doppel.port}`, doppel, close: () => doppel.close() };
}

export const DITTO_BASIC = `Basic ${Buffer.from('ditto:ditto').toString('base64')}`;

/** Headers acting as `subject` through pre-authentication. */
export function as(subject: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-ditto-pre-authenticated': subject, ...extra };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

export async function call(base: string, method: string, path: string, options: { headers?: Record<string, string>; body?: unknown; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: DITTO_BASIC, ...(options.headers ?? {}) };
  let body: string | Uint8Array | undefined;
  // A byte body goes without content type (fetch labels strings text/plain).
  if (options.raw !== undefined) body = headers['content-type'] === undefined ? new TextEncoder().encode(options.raw) : options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (headers['content-type'] === undefined) headers['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  }
  const res = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A server a test file shares: started before its first test, closed after its last. */
export interface RunningServer {
  readonly url: string;
  readonly server: TestServer;
  call(method: string, path: string, options?: Parameters<typeof call>[3]): Promise<Answer>;
}

/** `onStart` runs once the server is up, before any test (e.g. to subscribe to its bus). */
export function useTestServer(overrides: Partial<Config> = {}, onStart?: (server: TestServer) => void): RunningServer {
  let current: TestServer | undefined;
  before(async () => {
    current = await startTestServer(overrides);
    onStart?.(current);
  });
  after(() => current?.close());
  const running = (): TestServer => {
    if (current === undefined) throw new Error('the test server starts in before()');
    return current;
  };
  return {
    get url() {
      return running().url;
    },
    get server() {
      return running();
    },
    call: (method, path, options) => call(running().url, method, path, options),
  };
}

/** The Ditto error code of an answer, '' when it has none. */
export function errorOf(answer: { json: unknown }): string {
  return (answer.json as { error?: string } | undefined)?.error ?? '';
}
