/**
 * Where the answers of one receiver go: for each live signal or event it was given that expects
 * an answer, the reply address by correlation ID, until the signal's timeout passes. Bounded:
 * beyond `max` routes the oldest is forgotten (its answer is then dropped, as a late one is).
 */
export class ReplyRoutes {
  private readonly routes = new Map<string, { readonly replyTo: string; readonly expiresAt: number; readonly keep: boolean }>();

  constructor(
    private readonly max: number,
    private readonly clockMs: () => number = Date.now,
  ) {}

  /** `keep`: the route outlives a response, because acknowledgements may follow it (it still ends at its timeout). */
  remember(correlationId: string, replyTo: string, timeoutMs: number, keep = false): void {
    this.routes.delete(correlationId);
    if (this.routes.size >= this.max) this.evict();
    this.routes.set(correlationId, { replyTo, expiresAt: this.clockMs() + timeoutMs, keep });
  }

  /** The reply address, or undefined when unknown or expired; `forget` ends the route (first response wins) unless it is kept for acknowledgements. */
  lookup(correlationId: string, forget: boolean): string | undefined {
    const r = this.routes.get(correlationId);
    if (r === undefined) return undefined;
    if ((forget && !r.keep) || r.expiresAt < this.clockMs()) this.routes.delete(correlationId);
    return r.expiresAt < this.clockMs() ? undefined : r.replyTo;
  }

  get size(): number {
    return this.routes.size;
  }

  private evict(): void {
    const now = this.clockMs();
    for (const [id, r] of this.routes) if (r.expiresAt < now) this.routes.delete(id);
    if (this.routes.size < this.max) return;
    const oldest = this.routes.keys().next();
    if (oldest.done !== true) this.routes.delete(oldest.value);
  }
}
