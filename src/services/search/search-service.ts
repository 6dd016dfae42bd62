import { DittoError } from '../../model/errors/index.ts';
import { applyFieldSelector, parseFieldSelector, type FieldSelector } from '../../model/field-selector.ts';
import type { JsonObject } from '../../model/json.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import { parseThingId } from '../../model/ids.ts';
import type { SearchCandidate, SearchIndex } from '../../ports/search.ts';
import type { StoredEntity } from '../../ports/store.ts';
import { evaluateRqlFilter, formatRqlFilter, parseRqlFilter, type RqlFilter } from '../../rql/index.ts';
import type { SortField } from '../../rql/sql/index.ts';
import type { SearchThingsCommand, SearchThingsPage } from '../../signals/index.ts';
import type { PolicyHandle } from '../policies/policies-service.ts';
import { namespaceOf, readableThing, withSpecialFields } from '../things/thing-view.ts';
import { decodeCursor, encodeCursor, queryHash } from './cursor.ts';
import { DEFAULT_PAGE_SIZE, invalidOption, parseSearchOptions } from './options.ts';
import { sortHiding } from './sort-visibility.ts';

export interface SearchServiceDeps {
  readonly index: SearchIndex;
  readonly policies: { handle(policyId: string, namespace: string): Promise<PolicyHandle | undefined> };
  /**
   * The committed thing states (the things service's cache in front of the store). When given, a
   * search whose filter pins one thing ID takes its one candidate from here instead of the index:
   * the index is written in the same transaction as the state, so both say the same. Leave it out
   * when the index is off, so that searches keep answering 503 then.
   */
  readonly things?: { load(thingId: string): Promise<StoredEntity | undefined> };
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
/** (Policy, namespace) groups a count decides one enforcer each for; beyond, it checks every candidate. */
export const MAX_COUNT_GROUPS = 10_000;

interface MatchOptions {
  /** Decide only whether the caller may read the candidate, not the filter. */
  readonly readableOnly?: boolean;
  /** The condition for the index instead of the filter (the filter still decides each candidate). */
  readonly sqlFilter?: RqlFilter;
  /** Candidates passed over without a decision. */
  readonly skip?: (c: SearchCandidate) => boolean;
  /** When the scan budget started (default: now). */
  readonly started?: number;
  readonly enforcers?: Map<string, Promise<PolicyEnforcer | undefined>>;
}

const groupKey = (policyId: string, namespace: string): string => `${policyId}\u0000${namespace}`;

/** Per compiled enforcer and subjects: READ at the root and revoked nowhere, i.e. the view is the whole thing. */
const wholeReaders = new WeakMap<PolicyEnforcer, Map<string, boolean>>();

function readsWhole(enforcer: PolicyEnforcer, subjects: readonly string[]): boolean {
  let memo = wholeReaders.get(enforcer);
  if (memo === undefined) {
    memo = new Map();
    wholeReaders.set(enforcer, memo);
  }
  const key = subjects.join('\n');
  let verdict = memo.get(key);
  if (verdict === undefined) {
    verdict = enforcer.hasUnrestricted('thing', [], subjects, ['READ']);
    if (memo.size < 1_000) memo.set(key, verdict);
  }
  return verdict;
}

interface Parsed {
  readonly filter: RqlFilter | undefined;
  readonly namespaces: readonly string[] | undefined;
  readonly subjects: readonly string[];
  readonly now: Date;
}

/** One thing of a streamed page: its ID (SSE's event ID) and what the caller gets of it. */
export interface StreamedThing {
  readonly thingId: string;
  readonly item: JsonObject;
}

export interface SearchStreamPage {
  readonly items: readonly StreamedThing[];
  /** No page follows this one. */
  readonly done: boolean;
}

/** A search read page by page; see `SearchService.stream`. */
export interface SearchStream {
  next(): Promise<SearchStreamPage>;
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
    // The query's hash binds a cursor to it; most searches neither take nor give one.
    const hash = (): string => queryHash([parsed.filter === undefined ? null : formatRqlFilter(parsed.filter), parsed.namespaces ?? null, sort]);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, hash());
    const pageSize = options.limit?.count ?? options.size ?? DEFAULT_PAGE_SIZE;
    const page = await this.collect(parsed, sort, after, pageSize, options.limit?.offset ?? 0, selector);
    const items = page.items.map((i) => i.item);
    const cursor = page.more && page.lastKey !== undefined ? encodeCursor(hash(), page.lastKey) : undefined;
    if (options.limit !== undefined) return { items, nextPageOffset: page.more ? options.limit.offset + options.limit.count : -1 };
    if (options.size !== undefined || options.cursor !== undefined) return cursor === undefined ? { items } : { items, cursor };
    return cursor === undefined ? { items, nextPageOffset: -1 } : { items, cursor, nextPageOffset: pageSize };
  }

  /**
   * A search delivered page by page as the consumer asks (the search protocol and SSE): options
   * take sort and size only. Each page is its own query continuing after the last thing sent, so
   * an idle stream holds no database resources. `resumeAfter` continues after that thing (SSE's
   * Last-Event-ID), as the caller sees its sort values; 404 when the caller may not read it.
   */
  async stream(cmd: SearchThingsCommand, resumeAfter?: string): Promise<SearchStream> {
    const parsed = this.parse(cmd);
    const options = parseSearchOptions(cmd.options);
    if (options.cursor !== undefined || options.limit !== undefined) throw invalidOption("the options 'cursor' and 'limit' are not supported when results are streamed");
    const selector = cmd.fields === undefined ? undefined : parseFieldSelector(cmd.fields);
    const sort = options.sort ?? DEFAULT_SORT;
    const pageSize = options.size ?? DEFAULT_PAGE_SIZE;
    let after = resumeAfter === undefined ? undefined : await this.positionOf(resumeAfter, parsed, sort);
    let done = false;
    return {
      next: async (): Promise<SearchStreamPage> => {
        if (done) return { items: [], done: true };
        const page = await this.collect({ ...parsed, now: this.options.now() }, sort, after, pageSize, 0, selector);
        after = page.lastKey ?? after;
        done = !page.more;
        return { items: page.items, done };
      },
    };
  }

  /** Where a stream resumes after `thingId`: its sort key as the caller sees it. */
  private async positionOf(thingId: string, p: Parsed, sort: readonly SortField[]): Promise<readonly unknown[]> {
    const only: Parsed = { ...p, filter: { op: 'eq', property: { kind: 'field', pointer: ['thingId'] }, value: thingId }, namespaces: undefined };
    for await (const m of this.matches(only, sort, undefined, 1, { readableOnly: true })) return m.candidate.key;
    throw new DittoError('things:thing.notfound', { thingId });
  }

  /** One page from `after` on (skipping `skip` matches first), and whether more follow. */
  private async collect(
    p: Parsed, sort: readonly SortField[], after: readonly unknown[] | undefined, pageSize: number, skip: number, selector: FieldSelector | undefined,
  ): Promise<{ items: StreamedThing[]; lastKey: readonly unknown[] | undefined; more: boolean }> {
    const items: StreamedThing[] = [];
    let lastKey: readonly unknown[] | undefined;
    let toSkip = skip;
    for await (const m of this.matches(p, sort, after, pageSize + 1 + skip)) {
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      if (items.length === pageSize) return { items, lastKey, more: true };
      items.push({ thingId: m.candidate.entity.id, item: selector === undefined ? m.plain : render(m.view, selector) });
      lastKey = m.candidate.key;
    }
    return { items, lastKey, more: false };
  }

  /**
   * The number of things the caller may read that match (docs/search.md, "Counting"): candidates
   * are counted in SQL per policy and namespace; a group whose policy lets the caller read things
   * whole, under a filter whose SQL is exact then, adds its number; the others' candidates are
   * decided one by one.
   */
  async count(cmd: SearchThingsCommand): Promise<number> {
    const parsed = this.parse(cmd);
    const started = this.options.clockMs();
    const enforcers = new Map<string, Promise<PolicyEnforcer | undefined>>();
    const groups = await this.deps.index.countGroups(
      { filter: parsed.filter, namespaces: parsed.namespaces, sort: DEFAULT_SORT, subjects: parsed.subjects, now: parsed.now }, MAX_COUNT_GROUPS + 1,
    );
    let n = 0;
    if (groups === undefined || groups.length > MAX_COUNT_GROUPS) {
      for await (const m of this.matches(parsed, DEFAULT_SORT, undefined, MAX_BATCH, { started, enforcers })) if (m !== undefined) n++;
      return n;
    }
    const counted = new Set<string>();
    const undecided = new Set<string>();
    for (const g of groups) {
      this.checkTime(started);
      const enforcer = await this.enforcerOf(g.policyId, g.namespace, enforcers);
      if (enforcer === undefined) continue;
      if (g.uncertain === 0 && readsWhole(enforcer, parsed.subjects)) {
        n += g.count;
        counted.add(groupKey(g.policyId, g.namespace));
      } else {
        undecided.add(g.policyId);
      }
    }
    const [first, ...rest] = undecided;
    if (first === undefined) return n;
    // Only the undecided policies' candidates; those of a namespace counted above are skipped.
    const only: RqlFilter = { op: 'in', property: { kind: 'field', pointer: ['policyId'] }, values: [first, ...rest] };
    const sqlFilter: RqlFilter = parsed.filter === undefined ? only : { op: 'and', filters: [parsed.filter, only] };
    const skip = (c: SearchCandidate): boolean => {
      const policyId = c.entity.data['policyId'];
      return typeof policyId === 'string' && counted.has(groupKey(policyId, namespaceOf(c.entity.id)));
    };
    for await (const m of this.matches(parsed, DEFAULT_SORT, undefined, MAX_BATCH, { started, enforcers, sqlFilter, skip })) if (m !== undefined) n++;
    return n;
  }

  private checkTime(started: number): void {
    if (this.options.clockMs() - started > this.options.maxScanMs) {
      throw new DittoError('thing-search:query.time.exceeded', { timeoutMs: this.options.maxScanMs });
    }
  }

  private parse(cmd: SearchThingsCommand): Parsed {
    const filters = cmd.filters.filter((f) => f.trim() !== '').map((f) => parseRqlFilter(f));
    const [first, ...rest] = filters;
    const filter: RqlFilter | undefined = first === undefined ? undefined : rest.length === 0 ? first : { op: 'and', filters: [first, ...rest] };
    return { filter, namespaces: cmd.namespaces, subjects: cmd.auth.subjects, now: this.options.now() };
  }

  /** Matching things in sort order, from after `after`, fetched in growing batches. */
  private async *matches(
    p: Parsed, sort: readonly SortField[], after: readonly unknown[] | undefined, firstBatch: number, o: MatchOptions = {},
  ): AsyncGenerator<Match> {
    const started = o.started ?? this.options.clockMs();
    const checkTime = (): void => this.checkTime(started);
    let batch = Math.min(Math.max(firstBatch, 16), MAX_BATCH);
    let position = after;
    const enforcers = o.enforcers ?? new Map<string, Promise<PolicyEnforcer | undefined>>();
    const readableOnly = o.readableOnly === true;
    const scope = { filter: o.sqlFilter ?? p.filter, namespaces: p.namespaces, sort, subjects: p.subjects, now: p.now };
    // A point lookup: its one candidate, if any, comes from the committed states. No page follows
    // it, so its key is never used as a position (count and stream resumption keep the index).
    const pinned = position === undefined && o.sqlFilter === undefined && o.readableOnly !== true ? this.pinnedCandidate(p) : undefined;
    if (pinned !== undefined) {
      const c = await pinned;
      const m = c === undefined ? undefined : await this.decide(c, p, enforcers);
      if (m !== undefined) yield m;
      return;
    }
    const hidden = await sortHiding(scope, {
      index: this.deps.index,
      enforcer: (policyId, namespace) => this.enforcerOf(policyId, namespace, enforcers),
      checkTime,
      maxScanMs: this.options.maxScanMs,
    });
    for (;;) {
      const candidates = await this.deps.index.candidates({ ...scope, after: position, limit: batch, ...(hidden === undefined ? {} : { hidden }) });
      for (const c of candidates) {
        if (o.skip?.(c) === true) continue;
        const m = await this.decide(c, readableOnly ? { ...p, filter: undefined } : p, enforcers);
        if (m !== undefined) yield m;
      }
      const last = candidates[candidates.length - 1];
      if (last === undefined || candidates.length < batch) return;
      checkTime();
      position = last.key;
      batch = Math.min(batch * 2, MAX_BATCH);
    }
  }

  /**
   * When the filter pins one thing ID (`eq(thingId,…)` alone or in a top-level `and`) and the thing
   * states are at hand: that thing as the only candidate (undefined inside: none). Undefined when
   * the index has to answer.
   */
  private pinnedCandidate(p: Parsed): Promise<SearchCandidate | undefined> | undefined {
    const things = this.deps.things;
    const thingId = p.filter === undefined ? undefined : pinnedThingId(p.filter);
    if (things === undefined || thingId === undefined) return undefined;
    try {
      parseThingId(thingId);
    } catch {
      return undefined;
    }
    if (p.namespaces !== undefined && !p.namespaces.includes(namespaceOf(thingId))) return Promise.resolve(undefined);
    return things.load(thingId).then((entity) => (entity === undefined || entity.deleted ? undefined : { entity, key: [] }));
  }

  private enforcerOf(policyId: string, namespace: string, enforcers: Map<string, Promise<PolicyEnforcer | undefined>>): Promise<PolicyEnforcer | undefined> {
    const key = groupKey(policyId, namespace);
    let pending = enforcers.get(key);
    if (pending === undefined) {
      pending = this.deps.policies.handle(policyId, namespace).then((h) => h?.enforcer);
      enforcers.set(key, pending);
    }
    return pending;
  }

  private async decide(c: SearchCandidate, p: Parsed, enforcers: Map<string, Promise<PolicyEnforcer | undefined>>): Promise<Match | undefined> {
    const policyId = c.entity.data['policyId'];
    if (typeof policyId !== 'string') return undefined;
    const enforcer = await this.enforcerOf(policyId, namespaceOf(c.entity.id), enforcers);
    if (enforcer === undefined) return undefined;
    const plain = readableThing(c.entity, enforcer, p.subjects);
    if (plain === undefined) return undefined;
    const view = withSpecialFields(plain, c.entity);
    if (p.filter !== undefined && !evaluateRqlFilter(p.filter, view, { now: () => p.now })) return undefined;
    return { candidate: c, view, plain };
  }
}

/** The thing ID an RQL filter requires: `eq(thingId,"…")`, or one in a conjunction. */
export function pinnedThingId(filter: RqlFilter): string | undefined {
  if (filter.op === 'eq' && filter.property.kind === 'field' && filter.property.pointer.length === 1 && filter.property.pointer[0] === 'thingId') {
    return typeof filter.value === 'string' ? filter.value : undefined;
  }
  if (filter.op !== 'and') return undefined;
  for (const f of filter.filters) {
    const id = pinnedThingId(f);
    if (id !== undefined) return id;
  }
  return undefined;
}

function render(view: JsonObject, selector: FieldSelector): JsonObject {
  return applyFieldSelector(view, selector);
}
