// Expired subjects are removed from their policy by a normal event [ditto: basic-policy
// "Expiring Policy subjects"]. Enforcement does not wait for that: a compiled enforcer ignores a
// subject from its expiry on (PolicyEnforcer.nextSubjectExpiry); the sweep keeps the stored policy
// honest and produces the change notification.

import { isJsonObject, type JsonObject } from '../../model/json.ts';
import { deleteAt } from '../../model/json-pointer.ts';
import { canonicalPolicyJson, expiredSubjects, validatePolicyJson, type ExpiredSubject } from '../../policy/index.ts';
import type { StoredEntity } from '../../ports/store.ts';
import { formatPolicyPath, type PolicyEvent } from '../../signals/index.ts';

// setTimeout takes at most a signed 32-bit delay; later expiries are re-armed when it fires.
const MAX_DELAY_MS = 2 ** 31 - 1;

/** One timer per policy, set for its earliest subject expiry. */
export class ExpiryTimers {
  private readonly timers = new Map<string, { readonly at: number; readonly timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(
    private readonly now: () => Date,
    private readonly fire: (policyId: string) => void,
  ) {}

  /** Arms (or re-arms, or with `at` undefined clears) the timer of a policy. */
  schedule(policyId: string, at: number | undefined): void {
    const existing = this.timers.get(policyId);
    if (existing !== undefined && existing.at === at) return;
    if (existing !== undefined) clearTimeout(existing.timer);
    this.timers.delete(policyId);
    if (at === undefined || this.closed) return;
    // An expiry is reached once the clock is past it, hence the extra millisecond.
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, at - this.now().getTime() + 1));
    const timer = setTimeout(() => {
      this.timers.delete(policyId);
      if (!this.closed) this.fire(policyId);
    }, delay);
    timer.unref();
    this.timers.set(policyId, { at, timer });
  }

  get size(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * Whether stored policy JSON has a subject with an `expiry`, without validating it: a cheap filter
 * for scans over every policy, most of which have none.
 */
export function hasSubjectExpiry(data: JsonObject): boolean {
  const entries = data['entries'];
  if (!isJsonObject(entries)) return false;
  for (const entry of Object.values(entries)) {
    const subjects = isJsonObject(entry) ? entry['subjects'] : undefined;
    if (!isJsonObject(subjects)) continue;
    for (const s of Object.values(subjects)) if (isJsonObject(s) && s['expiry'] !== undefined) return true;
  }
  return false;
}

export interface SweepDecision {
  readonly event: PolicyEvent;
  readonly next: StoredEntity;
  readonly removed: readonly ExpiredSubject[];
}

/**
 * The event removing every subject of `state` that expired before `nowMs`, or undefined when none
 * did. One subject is a SubjectDeleted, several are a SubjectsDeletedPartially keyed by label.
 */
export function decideSweep(state: StoredEntity, nowMs: number, timestamp: string): SweepDecision | undefined {
  if (state.deleted) return undefined;
  const policy = validatePolicyJson(state.data, state.id);
  const removed = expiredSubjects(policy, nowMs);
  if (removed.length === 0) return undefined;
  let data: JsonObject = state.data;
  for (const s of removed) data = deleteAt(data, ['entries', s.label, 'subjects', s.subjectId]);
  data = canonicalPolicyJson(validatePolicyJson(data, state.id));
  const revision = state.revision + 1;
  const base = { policyId: state.id, revision, timestamp, action: 'deleted' } as const;
  let event: PolicyEvent;
  const only = removed.length === 1 ? removed[0] : undefined;
  if (only !== undefined) {
    event = { ...base, type: 'policies.events:subjectDeleted', path: formatPolicyPath(['entries', only.label, 'subjects', only.subjectId]) };
  } else {
    const byLabel = new Map<string, string[]>();
    for (const s of removed) byLabel.set(s.label, [...(byLabel.get(s.label) ?? []), s.subjectId]);
    event = { ...base, type: 'policies.events:subjectsDeletedPartially', path: '/', value: Object.fromEntries(byLabel) };
  }
  return { event, next: { type: 'policy', id: state.id, revision, created: state.created, modified: timestamp, deleted: false, data }, removed };
}
