// Subject deletion announcements [ditto: basic-policy "Subject deletion announcements",
// SubjectExpiryActor]. A subject with an `announcement` is announced to the sessions
// authenticated with it: `beforeExpiry` ahead of its expiry (earlier by a random part of the
// randomization interval, so many subjects expiring together do not all announce at once), and,
// with `whenDeleted`, when it leaves the policy, unless an earlier announcement was acknowledged.
// With `requestedAcks`, an announcement is sent again, with growing pauses, until every label is
// acknowledged or the grace period after the expiry is over.
//
// Announcements leave through the bus (`policies.announcements.subjectDeletion.<namespace>`)
// and acknowledgements come back through it (`policies.acks.<namespace>`), so the sessions may
// live in another process. One timer serves every subject: the earliest due entry of a heap.

import type { JsonObject } from '../../model/json.ts';
import { formatInstant, parseAnnouncement, type Policy, type SubjectAnnouncement } from '../../policy/index.ts';
import type { Bus, Subscription } from '../../ports/bus.ts';

export const ANNOUNCEMENT_SUBJECT_PREFIX = 'policies.announcements.subjectDeletion';
export const ANNOUNCEMENT_ACK_SUBJECT_PREFIX = 'policies.acks';

/** The bus subject of a policy's announcements or acknowledgements: the namespace last, `_` when empty. */
export function announcementBusSubject(prefix: string, policyId: string): string {
  const i = policyId.indexOf(':');
  const ns = i <= 0 ? '_' : policyId.slice(0, i);
  return `${prefix}.${ns}`;
}

/** The payload of an announcement on the bus. */
export interface AnnouncementMessage {
  readonly policyId: string;
  readonly deleteAt: string;
  readonly subjectIds: readonly string[];
  /** `correlation-id`, and `requested-acks`/`timeout` when acknowledgements are requested. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The payload of an acknowledgement of an announcement on the bus. */
export interface AnnouncementAck {
  readonly policyId: string;
  readonly correlationId: string;
  readonly label: string;
  readonly status: number;
}

export interface AnnouncerOptions {
  readonly now: () => number;
  readonly random: () => number;
  readonly uuid: () => string;
  readonly gracePeriodMs: number;
  readonly maxTimeoutMs: number;
  readonly defaultRandomizationMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

type Phase = 'scheduled' | 'awaiting' | 'idle';

interface Tracked {
  readonly key: string;
  readonly policyId: string;
  readonly subjectId: string;
  /** The subject's announcement and expiry as JSON, to notice a change. */
  readonly fingerprint: string;
  readonly announcement: SubjectAnnouncement;
  readonly expiryMs: number | undefined;
  phase: Phase;
  deleted: boolean;
  deleteAtMs: number;
  acknowledged: boolean;
  backoffMs: number;
  /** Bumped on every re-arm: heap entries of an older generation are stale. */
  gen: number;
  correlationId: string | undefined;
  waiting: Set<string> | undefined;
  failed: boolean;
}

interface Due {
  readonly at: number;
  readonly key: string;
  readonly gen: number;
}

const MAX_DELAY_MS = 2 ** 31 - 1;

/** A binary min-heap of due times. */
class DueHeap {
  private readonly items: Due[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Due | undefined {
    return this.items[0];
  }

  push(d: Due): void {
    const a = this.items;
    a.push(d);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as Due).at <= d.at) break;
      a[i] = a[p] as Due;
      i = p;
    }
    a[i] = d;
  }

  pop(): Due | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && (a[r] as Due).at < (a[l] as Due).at ? r : l;
      if ((a[c] as Due).at >= last.at) break;
      a[i] = a[c] as Due;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** [ditto: SubjectExpiryActor.requiresRedelivery] a timeout, a failed dependency or a server error. */
function requiresRedelivery(status: number): boolean {
  return status === 408 || status === 424 || status >= 500;
}

function announcedSubjects(policy: Policy | undefined): Map<string, { announcement: JsonObject; expiry: string | undefined }> {
  const out = new Map<string, { announcement: JsonObject; expiry: string | undefined }>();
  if (policy === undefined) return out;
  for (const entry of Object.values(policy.entries)) {
    for (const [id, s] of Object.entries(entry.subjects)) {
      // A subject ID in several entries is announced once, with its first announcement.
      if (s.announcement !== undefined && !out.has(id)) out.set(id, { announcement: s.announcement, expiry: s.expiry });
    }
  }
  return out;
}

export class SubjectAnnouncer {
  private readonly tracked = new Map<string, Tracked>();
  private readonly byPolicy = new Map<string, Set<string>>();
  private readonly byCorrelation = new Map<string, string>();
  private readonly heap = new DueHeap();
  private timer: { readonly at: number; readonly handle: NodeJS.Timeout } | undefined;
  private readonly acks: Subscription;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly options: AnnouncerOptions,
  ) {
    this.acks = bus.subscribe(`${ANNOUNCEMENT_ACK_SUBJECT_PREFIX}.>`, (m) => this.onAck(m.payload as unknown as AnnouncementAck));
  }

  /** Subjects tracked (for tests and metrics). */
  get size(): number {
    return this.tracked.size;
  }

  /**
   * Called with every state of a policy that is loaded or committed (undefined once deleted).
   * Subjects that are gone since the last state count as deleted; new or changed ones are
   * (re)scheduled. After a restart the schedule is rebuilt as policies are loaded.
   */
  observe(policyId: string, policy: Policy | undefined): void {
    if (this.closed) return;
    const current = announcedSubjects(policy);
    const keys = this.byPolicy.get(policyId) ?? new Set<string>();
    for (const key of [...keys]) {
      const t = this.tracked.get(key);
      if (t === undefined) continue;
      const now = current.get(t.subjectId);
      if (now === undefined) {
        this.subjectDeleted(t);
      } else if (JSON.stringify(now) !== t.fingerprint && !t.deleted) {
        this.forget(t);
      }
    }
    for (const [subjectId, s] of current) {
      const key = `${policyId}\u0000${subjectId}`;
      const existing = this.tracked.get(key);
      if (existing !== undefined && !existing.deleted) continue;
      if (existing !== undefined) this.forget(existing);
      this.track(policyId, subjectId, s);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer.handle);
    this.timer = undefined;
    this.acks.unsubscribe();
  }

  private track(policyId: string, subjectId: string, s: { announcement: JsonObject; expiry: string | undefined }): void {
    let announcement: SubjectAnnouncement;
    try {
      announcement = parseAnnouncement(s.announcement);
    } catch {
      return;
    }
    const key = `${policyId}\u0000${subjectId}`;
    const expiryMs = s.expiry === undefined ? undefined : Date.parse(s.expiry);
    const t: Tracked = {
      key, policyId, subjectId, fingerprint: JSON.stringify(s), announcement, expiryMs,
      phase: 'idle', deleted: false, deleteAtMs: expiryMs ?? this.options.now(), acknowledged: false,
      backoffMs: this.options.backoffMinMs, gen: 0, correlationId: undefined, waiting: undefined, failed: false,
    };
    this.tracked.set(key, t);
    const keys = this.byPolicy.get(policyId) ?? new Set<string>();
    keys.add(key);
    this.byPolicy.set(policyId, keys);
    const before = announcement.beforeExpiry;
    if (before !== undefined && expiryMs !== undefined) {
      const interval = announcement.randomizationInterval?.ms ?? this.options.defaultRandomizationMs;
      const at = expiryMs - before.ms - Math.floor(this.options.random() * interval);
      this.schedule(t, 'scheduled', at);
    }
  }

  private forget(t: Tracked): void {
    this.tracked.delete(t.key);
    t.gen++;
    if (t.correlationId !== undefined) this.byCorrelation.delete(t.correlationId);
    const keys = this.byPolicy.get(t.policyId);
    keys?.delete(t.key);
    if (keys !== undefined && keys.size === 0) this.byPolicy.delete(t.policyId);
  }

  /** [ditto: SubjectExpiryActor.processSubjectDeletedAndCheckForAnnouncement] */
  private subjectDeleted(t: Tracked): void {
    if (t.deleted) return;
    t.deleted = true;
    t.deleteAtMs = this.options.now();
    // An announcement still waiting for its acknowledgements carries on; it already says "deleted soon".
    if (t.phase === 'awaiting') return;
    if (!t.acknowledged && t.announcement.whenDeleted) this.schedule(t, 'scheduled', this.options.now());
    else this.forget(t);
  }

  private schedule(t: Tracked, phase: Phase, at: number): void {
    t.phase = phase;
    t.gen++;
    this.heap.push({ at, key: t.key, gen: t.gen });
    this.arm();
  }

  /** One timer, for the earliest due entry. */
  private arm(): void {
    if (this.closed) return;
    const next = this.heap.peek();
    if (next === undefined) return;
    if (this.timer !== undefined) {
      if (this.timer.at <= next.at) return;
      clearTimeout(this.timer.handle);
    }
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, next.at - this.options.now()));
    const handle = setTimeout(() => this.fire(), delay);
    handle.unref();
    this.timer = { at: next.at, handle };
  }

  private fire(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = this.options.now();
    for (let d = this.heap.peek(); d !== undefined && d.at <= now; d = this.heap.peek()) {
      this.heap.pop();
      const t = this.tracked.get(d.key);
      if (t === undefined || t.gen !== d.gen) continue;
      if (t.phase === 'scheduled') this.announce(t);
      else if (t.phase === 'awaiting') this.outcome(t, true);
    }
    this.arm();
  }

  private announce(t: Tracked): void {
    const a = t.announcement;
    const correlationId = this.options.uuid();
    const headers: Record<string, string> = { 'correlation-id': correlationId };
    const labels = a.requestedAcks;
    if (labels.length > 0) {
      headers['requested-acks'] = JSON.stringify(labels);
      if (a.requestedAcksTimeout !== undefined) headers['timeout'] = `${Math.min(a.requestedAcksTimeout.ms, this.options.maxTimeoutMs)}ms`;
    }
    const message: AnnouncementMessage = { policyId: t.policyId, deleteAt: formatInstant(t.deleteAtMs), subjectIds: [t.subjectId], headers };
    if (labels.length === 0) {
      this.settled(t);
    } else {
      // Waiting starts before the message leaves: an acknowledgement may come back at once.
      if (t.correlationId !== undefined) this.byCorrelation.delete(t.correlationId);
      t.correlationId = correlationId;
      t.waiting = new Set(labels);
      t.failed = false;
      this.byCorrelation.set(correlationId, t.key);
      const timeout = Math.min(a.requestedAcksTimeout?.ms ?? this.options.maxTimeoutMs, this.options.maxTimeoutMs);
      this.schedule(t, 'awaiting', this.options.now() + timeout);
    }
    this.bus.publish({ subject: announcementBusSubject(ANNOUNCEMENT_SUBJECT_PREFIX, t.policyId), payload: message as unknown as JsonObject });
  }

  private onAck(ack: AnnouncementAck): void {
    const key = this.byCorrelation.get(ack.correlationId);
    const t = key === undefined ? undefined : this.tracked.get(key);
    if (t === undefined || t.phase !== 'awaiting' || t.waiting === undefined || !t.waiting.delete(ack.label)) return;
    if (requiresRedelivery(ack.status)) t.failed = true;
    if (t.waiting.size === 0) this.outcome(t, t.failed);
  }

  /** All acknowledgements arrived (or the time for them is up): done, or send again after a pause. */
  private outcome(t: Tracked, retry: boolean): void {
    if (t.correlationId !== undefined) this.byCorrelation.delete(t.correlationId);
    t.correlationId = undefined;
    t.waiting = undefined;
    if (!retry) {
      this.settled(t);
      return;
    }
    // [ditto: SubjectExpiryActor.increaseBackOff] each pause 1.5 to 2 times the last, capped.
    const factor = 1.5 + 0.5 * this.options.random();
    t.backoffMs = Math.min(this.options.backoffMaxMs, Math.max(this.options.backoffMinMs, Math.round(t.backoffMs * factor)));
    const at = this.options.now() + t.backoffMs;
    const end = (t.expiryMs ?? t.deleteAtMs) + this.options.gracePeriodMs;
    if (at < end) this.schedule(t, 'scheduled', at);
    else this.forget(t);
  }

  private settled(t: Tracked): void {
    t.acknowledged = true;
    t.gen++;
    t.phase = 'idle';
    if (t.deleted) this.forget(t);
  }
}
