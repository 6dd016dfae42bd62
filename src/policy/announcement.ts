// Subject deletion announcement settings of a policy subject [ditto: basic-policy "Subject deletion
// announcements"]: when to announce (`beforeExpiry`, `whenDeleted`), how to make sure the
// announcement arrived (`requestedAcks`), and how much to spread announcements
// (`randomizationInterval`). Stored the way Ditto shows them: `whenDeleted` always spelled out.

import { DittoError } from '../model/errors/index.ts';
import { isJsonObject, type JsonObject } from '../model/json.ts';

/** A Ditto duration such as `30s`, `5m`, `250ms`, or `10` (seconds when the unit is left out). */
export interface DittoDuration {
  readonly amount: number;
  readonly unit: string;
  readonly ms: number;
}

const DAY_MS = 86_400_000;
// Months and years are calendar periods in Ditto; as fixed lengths they are approximations.
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, '': 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS, mo: 30 * DAY_MS, y: 365 * DAY_MS };
const DURATION = /^\+?(\d{1,15})(ms|s|m|h|d|w|mo|y)?$/;
/** [ditto: ImmutableSubjectAnnouncement] `beforeExpiry` counts in seconds, minutes or hours only. */
const BEFORE_EXPIRY_UNITS: ReadonlySet<string> = new Set(['s', '', 'm', 'h']);

export function parseDittoDuration(text: string): DittoDuration {
  const m = DURATION.exec(text);
  if (m === null) throw new DittoError('policies:subjectannouncement.invalid', { duration: text });
  const amount = Number(m[1]);
  const unit = m[2] ?? '';
  return { amount, unit, ms: amount * (UNIT_MS[unit] ?? 1000) };
}

export function formatDittoDuration(d: DittoDuration): string {
  return `${d.amount}${d.unit}`;
}

/**
 * [ditto: subject-deletion-announcement-granularity] `beforeExpiry` rounded up to a multiple of
 * the granularity, kept in its own unit (at least 1 of it).
 */
export function roundUpDuration(d: DittoDuration, granularityMs: number): DittoDuration {
  if (granularityMs <= 0) return d;
  const ms = Math.ceil(d.ms / granularityMs) * granularityMs;
  const unitMs = UNIT_MS[d.unit] ?? 1000;
  const amount = Math.max(1, Math.floor(ms / unitMs));
  return { amount, unit: d.unit, ms: amount * unitMs };
}

export interface SubjectAnnouncement {
  readonly beforeExpiry?: DittoDuration;
  readonly whenDeleted: boolean;
  readonly requestedAcks: readonly string[];
  readonly requestedAcksTimeout?: DittoDuration;
  readonly randomizationInterval?: DittoDuration;
}

function formatError(reason: string): DittoError {
  return new DittoError('json.format.invalid', { reason });
}

function optionalDuration(json: JsonObject, field: string): DittoDuration | undefined {
  const v = json[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw formatError(`'${field}' of an announcement must be a string`);
  return parseDittoDuration(v);
}

/** Parses an `announcement` object; durations that are no Ditto durations are a 400. */
export function parseAnnouncement(json: unknown): SubjectAnnouncement {
  if (!isJsonObject(json)) throw formatError("an 'announcement' must be a JSON object");
  const whenDeleted = json['whenDeleted'] ?? false;
  if (typeof whenDeleted !== 'boolean') throw formatError("'whenDeleted' of an announcement must be a boolean");
  const acks = json['requestedAcks'] ?? {};
  if (!isJsonObject(acks)) throw formatError("'requestedAcks' of an announcement must be a JSON object");
  const labels = acks['labels'] ?? [];
  if (!Array.isArray(labels)) throw formatError("'requestedAcks/labels' of an announcement must be an array");
  const beforeExpiry = optionalDuration(json, 'beforeExpiry');
  if (beforeExpiry !== undefined && !BEFORE_EXPIRY_UNITS.has(beforeExpiry.unit)) {
    throw new DittoError('policies:subjectannouncement.invalid', { duration: formatDittoDuration(beforeExpiry) });
  }
  const timeout = optionalDuration(acks, 'timeout');
  const randomization = optionalDuration(json, 'randomizationInterval');
  return {
    whenDeleted,
    // [ditto: ImmutableSubjectAnnouncement] labels that are not strings are ignored.
    requestedAcks: labels.filter((l): l is string => typeof l === 'string'),
    ...(beforeExpiry === undefined ? {} : { beforeExpiry }),
    ...(timeout === undefined ? {} : { requestedAcksTimeout: timeout }),
    ...(randomization === undefined ? {} : { randomizationInterval: randomization }),
  };
}

export function announcementToJson(a: SubjectAnnouncement): JsonObject {
  const out: JsonObject = {};
  if (a.beforeExpiry !== undefined) out['beforeExpiry'] = formatDittoDuration(a.beforeExpiry);
  out['whenDeleted'] = a.whenDeleted;
  if (a.requestedAcks.length > 0 || a.requestedAcksTimeout !== undefined) {
    const acks: JsonObject = {};
    if (a.requestedAcks.length > 0) acks['labels'] = [...a.requestedAcks];
    if (a.requestedAcksTimeout !== undefined) acks['timeout'] = formatDittoDuration(a.requestedAcksTimeout);
    out['requestedAcks'] = acks;
  }
  if (a.randomizationInterval !== undefined) out['randomizationInterval'] = formatDittoDuration(a.randomizationInterval);
  return out;
}
