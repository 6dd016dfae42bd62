import type { StoredEntity } from '../../ports/store.ts';
import { indexRowChanges, indexRows, type IndexRow } from '../../rql/sql/index.ts';

// What one commit round changes in the search index's thing tables, worked out in process so that
// the database is sent only the rows that differ.

// PostgreSQL text holds neither U+0000 nor unpaired surrogates; the index stores them as U+FFFF
// and U+FFFD (and the compiler's values go through the same mapping), which only ever widens a
// match, never narrows it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
export const storable = (s: string): string =>
  s.includes('\u0000') || /[\ud800-\udfff]/.test(s) ? s.replaceAll('\u0000', '\uffff').replace(LONE_SURROGATE, '\ufffd') : s;

/** A thing written in the round; `previous` (at `expectedRevision`) is what the index holds for it now. */
export interface ThingIndexWrite {
  readonly entity: StoredEntity;
  readonly expectedRevision?: number;
  readonly previous?: StoredEntity | undefined;
}

/** An index row as stored, with its thing. */
export type StoredRow = IndexRow & { readonly i: string };

/** A stored row's new values (`k`, `t`, `n`, `b`) and the old ones that find it (`ok`, `ot`, `on`, `ob`). */
export type UpdatedRow = StoredRow & { readonly ok: number; readonly ot: string | null; readonly on: number | null; readonly ob: boolean | null };

/** The per-thing row. */
export interface ThingDoc {
  readonly thing_id: string;
  readonly namespace: string;
  readonly policy_id: string | null;
}

export interface ThingRowsPlan {
  /** Things whose value rows are all deleted (deleted things, and those without a usable previous state). */
  readonly replaced: string[];
  /** Value rows to delete, each with every identical copy. */
  readonly deleted: StoredRow[];
  /** Things whose per-thing row is deleted. */
  readonly gone: string[];
  /** Per-thing rows to insert or update (new things, and those whose policy changed). */
  readonly docs: ThingDoc[];
  /** Value rows to insert. */
  readonly inserted: StoredRow[];
  /** Value rows changed in place, each the only row of its thing equal to its old values. */
  readonly updated: UpdatedRow[];
  /**
   * Value rows deleted or inserted, an update counting as both (known ones; rows deleted with
   * `replaced` are not counted). ANALYZE and VACUUM are paced by it.
   */
  readonly changedRows: number;
}

const withThing = (id: string) => (r: IndexRow): StoredRow => ({ i: id, ...r });

/** Whether the index holds exactly `previous`'s rows for the thing (the store checks the revision in the same transaction). */
function usablePrevious(w: ThingIndexWrite): StoredEntity | undefined {
  const p = w.previous;
  if (p === undefined || w.expectedRevision === undefined) return undefined;
  return p.type === 'thing' && p.id === w.entity.id && p.revision === w.expectedRevision ? p : undefined;
}

function docOf(e: StoredEntity): ThingDoc {
  const policyId = e.data['policyId'];
  const colon = e.id.indexOf(':');
  return {
    thing_id: e.id,
    namespace: colon < 0 ? '' : e.id.slice(0, colon),
    policy_id: typeof policyId === 'string' ? policyId : null,
  };
}

/** The index changes of a round (each thing at most once). */
export function planThingRows(writes: readonly ThingIndexWrite[]): ThingRowsPlan {
  const replaced: string[] = [];
  const deleted: StoredRow[] = [];
  const gone: string[] = [];
  const docs: ThingDoc[] = [];
  const inserted: StoredRow[] = [];
  const updated: UpdatedRow[] = [];
  let changedRows = 0;
  for (const w of writes) {
    const e = w.entity;
    if (e.deleted) {
      replaced.push(e.id);
      gone.push(e.id);
      continue;
    }
    const previous = usablePrevious(w);
    if (previous === undefined || previous.deleted || previous.data['policyId'] !== e.data['policyId']) docs.push(docOf(e));
    const row = withThing(e.id);
    if (previous === undefined) {
      replaced.push(e.id);
      const rows = indexRows(e.data, storable);
      for (const r of rows) inserted.push(row(r));
      changedRows += rows.length;
      continue;
    }
    const changes = indexRowChanges(previous.deleted ? {} : previous.data, e.data, storable);
    for (const r of changes.removed) deleted.push(row(r));
    for (const r of changes.added) inserted.push(row(r));
    for (const { before, after } of changes.changed) updated.push({ i: e.id, ...after, ok: before.k, ot: before.t, on: before.n, ob: before.b });
    // An update leaves a dead row as a deletion and an insertion do (for ANALYZE and VACUUM).
    changedRows += changes.removed.length + changes.added.length + 2 * changes.changed.length;
  }
  return { replaced, deleted, gone, docs, inserted, updated, changedRows };
}
