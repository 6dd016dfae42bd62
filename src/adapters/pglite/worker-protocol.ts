import type { QueryOptions, StoreLogger } from '../sql/client.ts';
import { StoreUnavailableError } from '../../services/persistence/errors.ts';

// The messages between the embedded database's thread (pglite-worker.ts) and the client in the
// server's thread (pglite-client.ts). Everything crosses by structured clone, so errors travel as
// plain data and are made into errors again on arrival.

/** What the database thread is started with (its `workerData`). */
export interface WorkerStart {
  readonly dataDir: string | undefined;
  readonly templateDir: string | undefined;
  readonly sharedBuffers: string | undefined;
}

export type Request =
  | { readonly op: 'query'; readonly id: number; readonly tx?: number; readonly text: string; readonly params: readonly unknown[]; readonly options?: QueryOptions }
  /** Opens a transaction; answered once it holds the database. Its ID is the request's. */
  | { readonly op: 'begin'; readonly id: number }
  | { readonly op: 'end'; readonly id: number; readonly tx: number; readonly commit: boolean }
  | { readonly op: 'checkpoint'; readonly id: number }
  /** Readies the database to be closed and packed as a template (see `prepareAsTemplate`). */
  | { readonly op: 'prepareAsTemplate'; readonly id: number }
  | { readonly op: 'close'; readonly id: number };

export type Reply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly error: WireError }
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: WireError }
  | { readonly kind: 'log'; readonly level: keyof StoreLogger; readonly obj: Record<string, unknown>; readonly msg: string | undefined };

/** An error as data: PostgreSQL's fields (code, severity, ...) are kept, for the callers that test them. */
export interface WireError {
  readonly unavailable: boolean;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly fields: Readonly<Record<string, string | number | boolean>>;
}

export function toWire(e: unknown): WireError {
  const fields: Record<string, string | number | boolean> = {};
  if (typeof e === 'object' && e !== null) {
    for (const [key, value] of Object.entries(e)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
    }
  }
  const err = e instanceof Error ? e : undefined;
  return {
    unavailable: e instanceof StoreUnavailableError,
    name: err?.name ?? 'Error',
    message: err?.message ?? String(e),
    stack: err?.stack,
    fields,
  };
}

export function fromWire(w: WireError): Error {
  const e = w.unavailable ? new StoreUnavailableError(w.message) : new Error(w.message);
  Object.assign(e, w.fields);
  if (!w.unavailable) e.name = w.name;
  if (w.stack !== undefined) e.stack = w.stack;
  return e;
}

/** A log record's object as data: errors in it become their message and stack. */
export function loggable(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    out[key] = value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}
