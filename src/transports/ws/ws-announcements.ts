import { envelopeToText, subjectDeletionToEnvelope, tryParseEnvelope } from '../../protocol/index.ts';
import type { AnnouncementHub, AnnouncementSubscriber } from '../../services/notifications/index.ts';
import type { AnnouncementMessage } from '../../services/policies/announcements.ts';

/** Announcements a session may still acknowledge; the oldest are forgotten beyond this. */
const MAX_PENDING = 1000;

/**
 * The policy announcements of one WebSocket session ([ditto: httpapi-protocol-bindings-websocket]
 * START-SEND-POLICY-ANNOUNCEMENTS): subjectDeletion announcements for the session's subjects, and
 * the acknowledgements the client sends for those that requested them. An acknowledgement is a
 * protocol message whose topic ends in `acks/<label>` (things/twin as Ditto's adapter writes it,
 * or policies) with the announcement's correlation-id and a status.
 */
export class SessionAnnouncements {
  private subscriber: AnnouncementSubscriber | undefined;
  /** correlation-id → policy ID of delivered announcements that requested acknowledgements. */
  private readonly pending = new Map<string, string>();

  constructor(
    private readonly hub: AnnouncementHub,
    private readonly subjects: readonly string[],
    private readonly send: (text: string) => void,
  ) {}

  start(namespaces: ReadonlySet<string> | undefined): void {
    this.stop();
    const subscriber: AnnouncementSubscriber = { subjects: this.subjects, namespaces, deliver: (a) => this.deliver(a) };
    this.subscriber = subscriber;
    this.hub.subscribe(subscriber);
  }

  stop(): void {
    if (this.subscriber !== undefined) this.hub.unsubscribe(this.subscriber);
    this.subscriber = undefined;
  }

  /** True when `text` acknowledged an announcement this session received (and was consumed). */
  tryAcknowledge(text: string): boolean {
    if (this.pending.size === 0 || !text.includes('/acks/')) return false;
    const parsed = tryParseEnvelope(text);
    if (!('envelope' in parsed)) return false;
    const env = parsed.envelope;
    const correlationId = env.headers['correlation-id'];
    if (env.topic.criterion !== 'acks' || env.topic.label === undefined || correlationId === undefined || env.status === undefined) return false;
    const policyId = this.pending.get(correlationId);
    if (policyId === undefined) return false;
    this.hub.acknowledge({ policyId, correlationId, label: env.topic.label, status: env.status });
    return true;
  }

  private deliver(a: AnnouncementMessage): void {
    const correlationId = a.headers['correlation-id'];
    if (correlationId !== undefined && a.headers['requested-acks'] !== undefined) {
      if (this.pending.size >= MAX_PENDING) {
        const oldest = this.pending.keys().next();
        if (oldest.done !== true) this.pending.delete(oldest.value);
      }
      this.pending.set(correlationId, a.policyId);
    }
    this.send(envelopeToText(subjectDeletionToEnvelope(a)));
  }
}
