import type { JsonObject } from '../../model/json.ts';
import type { Bus, Subscription } from '../../ports/bus.ts';
import {
  ANNOUNCEMENT_ACK_SUBJECT_PREFIX, ANNOUNCEMENT_SUBJECT_PREFIX, announcementBusSubject, type AnnouncementAck, type AnnouncementMessage,
} from '../policies/announcements.ts';

/** A WebSocket session (connections later) that asked for policy announcements. */
export interface AnnouncementSubscriber {
  /** The subjects the subscriber authenticated with. */
  readonly subjects: readonly string[];
  /** Namespaces of the policies it wants announcements of; undefined for all. */
  readonly namespaces: ReadonlySet<string> | undefined;
  /** Called synchronously during fan-out; must not block. */
  deliver(announcement: AnnouncementMessage): void;
}

function namespaceOf(policyId: string): string {
  const i = policyId.indexOf(':');
  return i < 0 ? '' : policyId.slice(0, i);
}

/**
 * [ditto: basic-policy "Subject deletion announcements"] An announcement goes to every subscriber
 * authenticated with one of its subject IDs (and subscribed to the policy's namespace), and to no
 * one else: it names subjects, which other callers have no business learning. Subscribers are
 * indexed by subject, so an announcement only visits those it concerns.
 */
export class AnnouncementHub {
  private readonly bySubject = new Map<string, Set<AnnouncementSubscriber>>();
  private subscription: Subscription | undefined;
  private bus: Bus | undefined;

  start(bus: Bus): void {
    this.bus = bus;
    this.subscription = bus.subscribe(`${ANNOUNCEMENT_SUBJECT_PREFIX}.>`, (m) => this.fanOut(m.payload as unknown as AnnouncementMessage));
  }

  subscribe(s: AnnouncementSubscriber): void {
    for (const subject of s.subjects) {
      const set = this.bySubject.get(subject) ?? new Set<AnnouncementSubscriber>();
      set.add(s);
      this.bySubject.set(subject, set);
    }
  }

  unsubscribe(s: AnnouncementSubscriber): void {
    for (const subject of s.subjects) {
      const set = this.bySubject.get(subject);
      set?.delete(s);
      if (set !== undefined && set.size === 0) this.bySubject.delete(subject);
    }
  }

  /** A subscriber's acknowledgement of an announcement it received, back to whoever announced. */
  acknowledge(ack: AnnouncementAck): void {
    this.bus?.publish({ subject: announcementBusSubject(ANNOUNCEMENT_ACK_SUBJECT_PREFIX, ack.policyId), payload: ack as unknown as JsonObject });
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.bySubject.clear();
  }

  private fanOut(a: AnnouncementMessage): void {
    const namespace = namespaceOf(a.policyId);
    const reached = new Set<AnnouncementSubscriber>();
    for (const subject of a.subjectIds) {
      for (const s of this.bySubject.get(subject) ?? []) {
        if (reached.has(s) || (s.namespaces !== undefined && !s.namespaces.has(namespace))) continue;
        reached.add(s);
        s.deliver(a);
      }
    }
  }
}
