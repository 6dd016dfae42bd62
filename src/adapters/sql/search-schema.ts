import { isJsonObject, type JsonObject } from '../../model/json.ts';
import type { StoreTables } from './schema.ts';

/** Fully qualified, quoted names of the search index tables (in the store's schema). */
export interface SearchTables {
  readonly thing: string;
  readonly value: string;
  readonly policySubject: string;
  readonly policyImport: string;
  readonly meta: string;
}

export function searchTables(store: StoreTables): SearchTables {
  const s = store.schema;
  return {
    thing: `${s}.doppel_search_thing`,
    value: `${s}.doppel_search_value`,
    policySubject: `${s}.doppel_search_policy_subject`,
    policyImport: `${s}.doppel_search_policy_import`,
    meta: `${s}.doppel_search_meta`,
  };
}

/**
 * How many combinations of path and number the planner's statistics keep (`SqlSearchIndexOptions`).
 * With PostgreSQL's default of 100, a range over a path's numbers was estimated at 4,400 rows where
 * 900,000 matched (1,000,000 things): the plan then probed the per-thing index 900,000 times (4.2 s
 * instead of 1.1 s for a count). 1,000 estimate it within a few percent, for a longer ANALYZE
 * (6 s at 26 million index rows on PostgreSQL; on PGlite, where it holds the only connection,
 * 0.9 s instead of 0.16 s at 170,000 rows, so the embedded store keeps EMBEDDED_NUMBER_STATISTICS).
 */
export const DEFAULT_NUMBER_STATISTICS = 1000;

/**
 * The target of the embedded store, where an ANALYZE holds the only connection. Building the joint
 * statistics is most of its time there (458 ms of the value table's at 10,000 things, 110,000
 * rows; 109 ms without them), yet fewer entries than this cost plans dearly: with targets of 10 it
 * took 176-194 ms, and the and/or of the search benchmark at 100,000 things 166 ms instead of 6.
 */
export const EMBEDDED_NUMBER_STATISTICS = 100;

// The per-thing row holds what rarely changes (namespace, policy); the revision and timestamps,
// which change with every write, are read from the snapshot row, so a write that changes neither
// the policy nor the thing's existence leaves the per-thing row alone.
// Text columns use the "C" collation: byte order for comparisons and sorting (as MongoDB, Ditto's
// index), and LIKE prefixes can use the plain B-tree indexes. See docs/search.md for the design.
export function searchDdl(t: SearchTables, numberStatistics = DEFAULT_NUMBER_STATISTICS): string[] {
  if (!Number.isInteger(numberStatistics) || numberStatistics < 1 || numberStatistics > 10_000) throw new RangeError(`statistics target ${numberStatistics} is not an integer from 1 to 10000`);
  const schema = t.value.slice(0, t.value.lastIndexOf('.'));
  const stats = (suffix: string): string => `${schema}."doppel_search_value_stats_${suffix}"`;
  const name = (table: string, suffix: string): string => `${table.split('.').pop()?.replace(/"/g, '') ?? 'search'}_${suffix}`;
  return [
    `CREATE TABLE IF NOT EXISTS ${t.thing} (
      thing_id text COLLATE "C" PRIMARY KEY,
      namespace text COLLATE "C" NOT NULL,
      policy_id text COLLATE "C")`,
    // Tables of the first format kept the revision and timestamps here.
    `ALTER TABLE ${t.thing} DROP COLUMN IF EXISTS revision, DROP COLUMN IF EXISTS created, DROP COLUMN IF EXISTS modified`,
    // Searches look up each candidate's policy and namespace by its ID (10,000 times for a count of
    // a 1 % filter at 1,000,000 things); with both in the index that is an index-only scan, about a
    // third of the time of one that reads the table too. The primary key stays for ON CONFLICT.
    `CREATE UNIQUE INDEX IF NOT EXISTS ${name(t.thing, 'cover')} ON ${t.thing} (thing_id) INCLUDE (policy_id, namespace)`,
    `CREATE INDEX IF NOT EXISTS ${name(t.thing, 'policy')} ON ${t.thing} (policy_id, thing_id)`,
    `CREATE INDEX IF NOT EXISTS ${name(t.thing, 'namespace')} ON ${t.thing} (namespace, thing_id)`,
    `CREATE TABLE IF NOT EXISTS ${t.value} (
      thing_id text COLLATE "C" NOT NULL,
      gpath text COLLATE "C" NOT NULL,
      fid text COLLATE "C" NOT NULL,
      kind smallint NOT NULL,
      t text COLLATE "C",
      n float8,
      b boolean)`,
    `CREATE INDEX IF NOT EXISTS ${name(t.value, 'thing')} ON ${t.value} (thing_id, gpath, fid)`,
    // The value indexes carry the kind and the thing ID, so a predicate's things come from the index
    // alone (an index-only scan once the table is vacuumed) instead of one table page per match.
    // The thing ID is their last key column: the things of an equality come in ID order, so an
    // `and` walks them beside the things in ID order (a merge join) and stops at the page's end,
    // instead of sorting every match first (50,000 things of 1,000,000: 75 ms).
    ...['text', 'number', 'kind', 'kind_i', 'text_i', 'number_i', 'kind_nb'].map((old) => `DROP INDEX IF EXISTS ${schema}.${name(t.value, old)}`),
    `CREATE INDEX IF NOT EXISTS ${name(t.value, 'text_id')} ON ${t.value} (gpath, t, fid, thing_id) INCLUDE (kind) WHERE t IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS ${name(t.value, 'number_id')} ON ${t.value} (gpath, n, fid, thing_id) INCLUDE (kind) WHERE n IS NOT NULL`,
    // Nulls and booleans only: strings, numbers and containers have their own index, and most rows
    // are those. The boolean is a key column, so eq(x,true) reads only the matching entries.
    `CREATE INDEX IF NOT EXISTS ${name(t.value, 'nb_id')} ON ${t.value} (gpath, kind, fid, b, thing_id) WHERE t IS NULL AND n IS NULL`,
    // Values are strongly tied to their paths (a level is always near 87, a serial never is):
    // joint statistics let the planner estimate `gpath = $1 AND n > $2` instead of multiplying.
    // The kind is among the columns because every value condition names it too.
    `DROP STATISTICS IF EXISTS ${stats('n')}`,
    `DROP STATISTICS IF EXISTS ${stats('t')}`,
    `CREATE STATISTICS IF NOT EXISTS ${stats('kn')} (mcv) ON gpath, fid, kind, n FROM ${t.value}`,
    `ALTER STATISTICS ${stats('kn')} SET STATISTICS ${numberStatistics}`,
    `CREATE STATISTICS IF NOT EXISTS ${stats('kt')} (mcv) ON gpath, fid, kind, t FROM ${t.value}`,
    `CREATE STATISTICS IF NOT EXISTS ${stats('kb')} (mcv) ON gpath, fid, kind, b FROM ${t.value}`,
    `CREATE TABLE IF NOT EXISTS ${t.policySubject} (
      policy_id text COLLATE "C" NOT NULL,
      subject text COLLATE "C" NOT NULL,
      reads boolean NOT NULL,
      PRIMARY KEY (policy_id, subject))`,
    `CREATE INDEX IF NOT EXISTS ${name(t.policySubject, 'subject')} ON ${t.policySubject} (subject, policy_id)`,
    `CREATE TABLE IF NOT EXISTS ${t.policyImport} (
      policy_id text COLLATE "C" NOT NULL,
      imported_id text COLLATE "C" NOT NULL,
      PRIMARY KEY (policy_id, imported_id))`,
    `CREATE INDEX IF NOT EXISTS ${name(t.policyImport, 'imported')} ON ${t.policyImport} (imported_id, policy_id)`,
    `CREATE TABLE IF NOT EXISTS ${t.meta} (key text PRIMARY KEY, value text NOT NULL)`,
  ];
}

export interface PolicyGrants {
  /** Every subject of the policy; true where one of its entries grants READ on some thing resource. */
  readonly subjects: ReadonlyMap<string, boolean>;
  /** The IDs of the policies it imports. */
  readonly imports: readonly string[];
}

/**
 * What the visibility pre-filter keeps of a policy. Deliberately generous: revokes, entry
 * namespaces and subject expiry are ignored, because the exact enforcer decides afterwards; the
 * pre-filter only has to never leave out a reader.
 */
export function policyGrants(policy: JsonObject): PolicyGrants {
  const subjects = new Map<string, boolean>();
  const entries = policy['entries'];
  // An entry that grants READ and takes subjects from other entries (references) may give any
  // subject of this policy READ.
  let readingReferences = false;
  if (isJsonObject(entries)) {
    for (const entry of Object.values(entries)) {
      if (!isJsonObject(entry)) continue;
      const resources = entry['resources'];
      let reads = false;
      if (isJsonObject(resources)) {
        for (const [key, perms] of Object.entries(resources)) {
          if (!key.startsWith('thing:') || !isJsonObject(perms)) continue;
          const grant = perms['grant'];
          if (Array.isArray(grant) && grant.includes('READ')) reads = true;
        }
      }
      const references = entry['references'];
      if (reads && Array.isArray(references) && references.length > 0) readingReferences = true;
      const entrySubjects = entry['subjects'];
      if (!isJsonObject(entrySubjects)) continue;
      for (const subject of Object.keys(entrySubjects)) subjects.set(subject, (subjects.get(subject) ?? false) || reads);
    }
  }
  if (readingReferences) for (const subject of subjects.keys()) subjects.set(subject, true);
  const imports = policy['imports'];
  return { subjects, imports: isJsonObject(imports) ? Object.keys(imports) : [] };
}
