import type { RqlTimePlaceholder, RqlTimeUnit } from './ast.ts';

// `time:now` / `time:now_epoch_millis` with an optional offset (`-1h`, `+30s`, a bare number
// means seconds) and an optional truncation (`[d]`), e.g. `time:now-1d[d]`.
// [ditto: basic-placeholders time-placeholder]

const UNIT = '(ms|mo|s|m|h|d|w|y)';
const SYNTAX = new RegExp(`^now(_epoch_millis)?(?:([+-])(\\d{1,15})${UNIT}?)?(?:\\[${UNIT}\\])?$`);

const SECOND = 1000;
const DAY = 86_400 * SECOND;
// Ditto turns months and years into fixed durations (a twelfth of 365.2425 days, and 365.2425 days).
const YEAR = 31_556_952 * SECOND;
const UNIT_MS: Readonly<Record<RqlTimeUnit, number>> = {
  ms: 1,
  s: SECOND,
  m: 60 * SECOND,
  h: 3_600 * SECOND,
  d: DAY,
  w: 7 * DAY,
  mo: YEAR / 12,
  y: YEAR,
};

/** The JS Date range: beyond it a Date is invalid and has no ISO form. */
const MAX_EPOCH_MS = 8.64e15;

/** Reads the part after `time:`; undefined when it is not a supported time placeholder. */
export function parseTimePlaceholder(name: string): RqlTimePlaceholder | undefined {
  const m = SYNTAX.exec(name);
  if (m === null) return undefined;
  const [, epoch, sign, amount, unit, truncateTo] = m;
  let out: RqlTimePlaceholder = { kind: 'time', format: epoch === undefined ? 'iso' : 'epochMillis' };
  if (sign !== undefined && amount !== undefined) {
    const offset = { sign: sign === '-' ? -1 : 1, amount: Number(amount), unit: (unit ?? 's') as RqlTimeUnit } as const;
    out = { ...out, offset };
  }
  if (truncateTo !== undefined) out = { ...out, truncateTo: truncateTo as RqlTimeUnit };
  return out;
}

export function formatTimePlaceholder(t: RqlTimePlaceholder): string {
  let out = t.format === 'iso' ? 'time:now' : 'time:now_epoch_millis';
  if (t.offset !== undefined) out += `${t.offset.sign < 0 ? '-' : '+'}${t.offset.amount}${t.offset.unit}`;
  if (t.truncateTo !== undefined) out += `[${t.truncateTo}]`;
  return out;
}

/**
 * The placeholder's value at `now`: an ISO-8601 UTC string or epoch milliseconds; undefined when
 * the offset leaves the representable time range. Truncation works in UTC (Ditto uses the
 * server's zone for weeks, months and years; Doppel's servers run in UTC).
 */
export function resolveTimePlaceholder(t: RqlTimePlaceholder, now: Date): string | number | undefined {
  let ms = now.getTime();
  if (t.offset !== undefined) ms += t.offset.sign * t.offset.amount * UNIT_MS[t.offset.unit];
  if (t.truncateTo !== undefined) ms = truncate(ms, t.truncateTo);
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_EPOCH_MS) return undefined;
  return t.format === 'iso' ? new Date(ms).toISOString() : ms;
}

function truncate(ms: number, unit: RqlTimeUnit): number {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_EPOCH_MS) return ms;
  switch (unit) {
    case 'ms':
    case 's':
    case 'm':
    case 'h':
    case 'd':
      return Math.floor(ms / UNIT_MS[unit]) * UNIT_MS[unit];
    case 'w': {
      // Weeks start on Monday; getUTCDay() counts from Sunday.
      const day = Math.floor(ms / DAY) * DAY;
      const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
      return day - sinceMonday * DAY;
    }
    case 'mo': {
      const d = new Date(ms);
      return startOfMonth(d.getUTCFullYear(), d.getUTCMonth());
    }
    case 'y':
      return startOfMonth(new Date(ms).getUTCFullYear(), 0);
  }
}

/** Unlike Date.UTC, also right for the years 0-99. */
function startOfMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 1);
  return d.getTime();
}
