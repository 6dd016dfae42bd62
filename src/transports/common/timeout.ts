import { DittoError } from '../../model/errors/index.ts';

/**
 * [ditto: httpapi timeout] a number of seconds, or a number with the unit ms, s or m. Negative or
 * over the maximum is refused.
 */
export function parseTimeoutMs(text: string, maxMs: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (m === null || m[1] === undefined) throw new DittoError('gateway:timeout.invalid', { value: text, maxMs });
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000;
  if (!Number.isFinite(ms) || ms > maxMs) throw new DittoError('gateway:timeout.invalid', { value: text, maxMs });
  return Math.round(ms);
}
