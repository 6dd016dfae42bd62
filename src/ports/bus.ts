import type { JsonObject } from '../model/json.ts';

/** A message on the bus: a subject mirroring the Ditto topic and a Ditto-shaped JSON payload. */
export interface BusMessage {
  readonly subject: string;
  readonly payload: JsonObject;
  /**
   * Where answers to this message go (live responses, acknowledgements): a subject the sender
   * listens on, as NATS's reply subject. Absent when no answer is expected.
   */
  readonly replyTo?: string;
}

export type BusHandler = (message: BusMessage) => void;

export interface Subscription {
  unsubscribe(): void;
}

/**
 * Carries events, live commands, messages and acknowledgements between the parts of one process,
 * or between processes. Subjects are dot-separated tokens; a subscription pattern may use `*` for
 * one token and `>` for the rest, as NATS does, so the NATS adapter maps one to one. Payloads are
 * plain JSON and delivery may be asynchronous: nothing may rely on object identity or on a
 * handler having run when publish returns.
 */
export interface Bus {
  publish(message: BusMessage): void;
  subscribe(pattern: string, handler: BusHandler): Subscription;
  close(): Promise<void>;
}
