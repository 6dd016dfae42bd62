import { DittoError } from '../../model/errors/index.ts';
import { applyFieldSelector, parseFieldSelector, type FieldSelector } from '../../model/field-selector.ts';
import type { JsonObject } from '../../model/json.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import type { SearchCandidate, SearchIndex } from '../../ports/search.ts';
import { evaluateRqlFilter, formatRqlFilter, parseRqlFilter, type RqlFilter } from '../../rql/index.ts';
import type { SortField } from '../../rql/sql/index.ts';
import type { SearchThingsCommand, SearchThingsPage } from '../../signals/index.ts';
import type { PolicyHandle } from '../policies/policies-service.ts';
import { namespaceOf, readableThing, withSpecialFields } from '../things/thing-view.ts';
import { decodeCursor, encodeCursor, queryHash } from './cursor.ts';
import { DEFAULT_PAGE_SIZE, parseSearchOptions } from './options.ts';

export interface SearchServiceDeps {
  readonly index: SearchIndex;
  readonly policies: { handle(policyId: string, namespace: string): Promise<PolicyHandle | undefined> };
}

export interface SearchServiceOptions {
  readonly now: () => Date;
  /** Monotonic milliseconds, for the scan budget. */
  readonly clockMs: () => number;
  /** How long one search may check candidates before it answers 408. */
  readonly maxScanMs: number;
}

const DEFAULT_SORT: readonly SortField[] = [{ pointer: ['thingId'], direction: 'asc' }];
/** Candidates fetched per round trip: a page's worth at first, growing while matches are rare. */
const MAX_BATCH = 1000;

interface Parsed {
  readonly filter: RqlFilter | undefined;
  readonly namespaces: readonly string[] | undefined;
  readonly subjects: readonly string[];
  readonly now: Date;
}

interface Match {
  readonly candidate: SearchCandidate;
  /** The caller's view with the special fields. */
  readonly view: JsonObject;
  readonly plain: JsonObject;
}

/**
 * Search over the index: the index proposes candidates in sort order, each is decided exactly on
 * the caller's readable view (policy enforcer + RQL evaluator), until the page is full. See
 * docs/search.md for why and what it costs.
 */
export class SearchService {
  constructor(
    private readonly deps: SearchServiceDeps,
    private readonly options: SearchServiceOptions,
  ) {}

  async query(cmd: SearchThingsCommand): Promise<SearchThingsPage> {
    const parsed = this.parse(cmd);
    const options = parseSearchOptions(cmd.options);
    const selector = cmd.fields === undefined ? undefined : parseFieldSelector(cmd.fields);
    const sort = options.sort ?? DEFAULT_SORT;
    const hash = queryHash([parsed.filter === undefined ? null : formatRqlFilter(parsed.filter), parsed.namespaces ?? null, sort]);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, hash);
    const pageSize = options.limit?.count ?? options.size ?? DEFAULT_PAGE_SIZE;
    let skip = options.limit?.offset ?? 0;
    const items: JsonObject[] = [];
    let lastKey: readonly unknown[] | undefined;
    let more = false;
    for await (const m of this.matches(parsed, sort, after, pageSize + 1 + skip)) {
      if (skip > 0) {
        skip--;
        continue;
      }
      if (items.length === pageSize) {
        more = true;
        break;
      }
      items.push(selector === undefined ? m.plain : render(m.view, selector));
      lastKey = m.candidate.key;
    }
    const cursor = more && lastKey !== undefined ? encodeCursor(hash, lastKey) : undefined;
    if (options.limit !== undefined) return { items, nextPageOffset: more ? options.limit.offset + options.limit.count : -1 };
    if (options.size !== undefined || options.cursor !== undefined) return cursor === undefined ? { items } : { items, cursor };
    return cursor === undefined ? { items, nextPageOffset: -1 } : { items, cursor, nextPageOffset: pageSize };
  }

  /** The number of things the caller may read that match; checks every candidate (docs/search.md). */
  async count(cmd: SearchThingsCommand): Promise<number> {
    const parsed = this.parse(cmd);
    let n = 0;
    for await (const m of this.matches(parsed, DEFAULT_SORT, undefined, MAX_BATCH)) if (m !== undefined) n++;
    return n;
  }

  private parse(cmd: SearchThingsCommand): Parsed {
    const filters = cmd.filters.filter((f) => f.trim() !== '').map((f) => parseRqlFilter(f));
    const [first, ...rest] = filters;
    const filter: RqlFilter | undefined = first === undefined ? undefined : rest.length === 0 ? first : { op: 'and', filters: [first, ...rest] };
    return { filter, namespaces: cmd.namespaces, subjects: cmd.auth.subjects, now: this.options.now() };
  }

  /** Matching things in sort order, from after `after`, fetched in growing batches. */
  private async *matches(p: Parsed, sort: readonly SortField[], after: readonly unknown[] | undefined, firstBatch: number): AsyncGenerator<Match> {
    const started = this.options.clockMs();
    let batch = Math.min(Math.max(firstBatch, 16), MAX_BATCH);
    let position = after;
    const enforcers = new Map<string, Promise<PolicyEnforcer | undefined>>();
    for (;;) {
      const candidates = await this.deps.index.candidates({
        filter: p.filter, namespaces: p.namespaces, sort, subjects: p.subjects, after: position, limit: batch, now: p.now,
      });
      for (const c of candidates) {
        const m = await this.decide(c, p, enforcers);
        if (m !== undefined) yield m;
      }
      const last = candidates[candidates.length - 1];
      if (last === undefined || candidates.length < batch) return;
      if (this.options.clockMs() - started > this.options.maxScanMs) {
        throw new DittoError('thing-search:query.time.exceeded', { timeoutMs: this.options.maxScanMs });
      }
      position = last.key;
      batch = Math.min(batch * 2, MAX_BATCH);
    }
  }

  private async decide(c: SearchCandidate, p: Parsed, enforcers: Map<string, Promise<PolicyEnforcer | undefined>>): Promise<Match | undefined> {
    const policyId = c.entity.data['policyId'];
    if (typeof policyId !== 'string') return undefined;
    const namespace = namespaceOf(c.entity.id);
    const key = `${policyId}\u0000${namespace}`;
    let pending = enforcers.get(key);
    if (pending === undefined) {
      pending = this.deps.policies.handle(policyId, namespace).then((h) => h?.enforcer);
      enforcers.set(key, pending);
    }
    const enforcer = await pending;
    if (enforcer === undefined) return undefined;
    const plain = readableThing(c.entity, enforcer, p.subjects);
    if (plain === undefined) return undefined;
    const view = withSpecialFields(plain, c.entity);
    if (p.filter !== undefined && !evaluateRqlFilter(p.filter, view, { now: () => p.now })) return undefined;
    return { candidate: c, view, plain };
  }
}

function render(view: JsonObject, selector: FieldSelector): JsonObject {
  return applyFieldSelector(view, selector);
}
