// Subject expiry [ditto: basic-policy "Expiring Policy subjects"]: an expiry is rounded up to a
// configured granularity when written; from then on the subject counts until that instant.

import type { Policy } from './types.ts';

const MS = 1;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// The largest unit that fits the granularity, and the unit it is counted within ("every 15 minutes
// of the hour", "every 12 hours of the day"); days are counted within the month.
const UNITS: readonly (readonly [number, number | 'month'])[] = [[DAY, 'month'], [HOUR, DAY], [MINUTE, HOUR], [SECOND, MINUTE], [MS, SECOND]];

function parentStart(t: number, parent: number | 'month'): number {
  if (parent !== 'month') return Math.floor(t / parent) * parent;
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** An instant as ISO-8601 in UTC, milliseconds only when there are any (like java.time.Instant). */
export function formatInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * Rounds `epochMs` up to the next multiple of `granularityMs`, counted from the start of the
 * enclosing larger unit (with 1h: the next full hour; with 30s: the next half minute). An instant
 * already on the boundary stays; a granularity of 0 turns rounding off.
 */
export function roundUpExpiry(epochMs: number, granularityMs: number): number {
  if (granularityMs <= 0) return epochMs;
  for (const [unit, parent] of UNITS) {
    const amount = Math.floor(granularityMs / unit);
    if (amount < 1) continue;
    const truncated = Math.floor(epochMs / unit) * unit;
    const delta = Math.round((truncated - parentStart(epochMs, parent)) / unit) % amount;
    if (truncated === epochMs && delta === 0) return epochMs;
    return truncated + (amount - delta) * unit;
  }
  return epochMs;
}

/** The earliest expiry of any subject of the policy's own entries (epoch ms). */
export function earliestExpiry(policy: Policy): number | undefined {
  let earliest: number | undefined;
  for (const entry of Object.values(policy.entries)) {
    for (const subject of Object.values(entry.subjects)) {
      if (subject.expiry === undefined) continue;
      const t = Date.parse(subject.expiry);
      if (!Number.isNaN(t) && (earliest === undefined || t < earliest)) earliest = t;
    }
  }
  return earliest;
}

export interface ExpiredSubject {
  readonly label: string;
  readonly subjectId: string;
}

/** The subjects whose expiry has passed at `nowMs`, entry by entry. */
export function expiredSubjects(policy: Policy, nowMs: number): ExpiredSubject[] {
  const out: ExpiredSubject[] = [];
  for (const [label, entry] of Object.entries(policy.entries)) {
    for (const [subjectId, subject] of Object.entries(entry.subjects)) {
      if (subject.expiry !== undefined && Date.parse(subject.expiry) < nowMs) out.push({ label, subjectId });
    }
  }
  return out;
}
