import type { JsonObject } from '../model/json.ts';

/** A message on the bus: a subject mirroring the Ditto topic and a Ditto-shaped JSON payload. */
export interface BusMessage {
  readonly subject: string;
  readonly payload: JsonObject;
}

export type BusHandler = (message: BusMessage) => void;

export interface Subscription {
  unsubscribe(): void;
}

/**
 * Carries events (and later live commands, messages and acks) between the parts of one process,
 * or between processes. Subjects are dot-separated tokens; a subscription pattern may use `*` for
 * one token and `>` for the rest, as NATS does, so the NATS adapter maps one to one.
 */
export interface Bus {
  publish(message: BusMessage): void;
  subscribe(pattern: string, handler: BusHandler): Subscription;
  close(): Promise<void>;
}
