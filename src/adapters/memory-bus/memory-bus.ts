import type { Bus, BusHandler, BusMessage, Subscription } from '../../ports/bus.ts';

interface Entry {
  readonly tokens: readonly string[];
  readonly handler: BusHandler;
}

function matches(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== '*' && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

/**
 * The in-process bus. Delivery is synchronous and in publish order, so per-thing event order is
 * the commit order; a handler that throws does not stop delivery to the others.
 */
export class MemoryBus implements Bus {
  private entries: Entry[] = [];
  private closed = false;
  private readonly onHandlerError: (err: unknown) => void;

  constructor(onHandlerError: (err: unknown) => void = () => undefined) {
    this.onHandlerError = onHandlerError;
  }

  publish(message: BusMessage): void {
    if (this.closed || this.entries.length === 0) return;
    const tokens = message.subject.split('.');
    for (const e of this.entries) {
      if (!matches(e.tokens, tokens)) continue;
      try {
        e.handler(message);
      } catch (err) {
        this.onHandlerError(err);
      }
    }
  }

  subscribe(pattern: string, handler: BusHandler): Subscription {
    const entry: Entry = { tokens: pattern.split('.'), handler };
    this.entries = [...this.entries, entry];
    return {
      unsubscribe: () => {
        this.entries = this.entries.filter((e) => e !== entry);
      },
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.entries = [];
    return Promise.resolve();
  }
}
