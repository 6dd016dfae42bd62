import { createHash } from 'node:crypto';
import type { SqlClient, SqlQueryable } from './client.ts';
import { schemaIdentifier } from './identifiers.ts';

/** Fully qualified, quoted table names of one store. */
export interface StoreTables {
  /** The quoted schema, for other modules' tables in the same schema (e.g. the search index). */
  readonly schema: string;
  readonly journal: string;
  readonly snapshot: string;
}

export function storeTables(schemaName: string): StoreTables {
  const schema = schemaIdentifier(schemaName);
  return { schema, journal: `${schema}.doppel_journal`, snapshot: `${schema}.doppel_snapshot` };
}

/**
 * A function of the store's schema that raises SQLSTATE `CHECK_APPLIED_ERRCODE` unless its two
 * counts are equal: a single-statement commit ends with it, so that a batch in which some write lost
 * a revision race rolls back whole (a statement cannot roll itself back otherwise).
 */
export const CHECK_APPLIED_FUNCTION = 'doppel_check_applied';
export const CHECK_APPLIED_ERRCODE = 'DP001';

// `json`, not `jsonb`: it keeps the document exactly as written (key order, duplicate-free text,
// \u0000 escapes), which a Ditto client reading its thing back expects. Timestamps are kept as the
// ISO-8601 strings the service produced, so they read back identically; cast with ::timestamptz
// where a comparison needs it.
function storeDdl(t: StoreTables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.journal} (
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      revision bigint NOT NULL,
      ts text NOT NULL,
      event json NOT NULL,
      PRIMARY KEY (entity_type, entity_id, revision))`,
    `CREATE TABLE IF NOT EXISTS ${t.snapshot} (
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      revision bigint NOT NULL,
      created text NOT NULL,
      modified text NOT NULL,
      deleted boolean NOT NULL,
      data json NOT NULL,
      PRIMARY KEY (entity_type, entity_id))`,
    `CREATE OR REPLACE FUNCTION ${t.schema}.${CHECK_APPLIED_FUNCTION}(applied bigint, expected bigint) RETURNS int
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        IF applied <> expected THEN
          RAISE EXCEPTION '% of % writes applied: a revision race was lost', applied, expected USING ERRCODE = '${CHECK_APPLIED_ERRCODE}';
        END IF;
        RETURN 0;
      END $$`,
  ];
}

/** What marks a table whose schema was made by `statements`: a digest of their text. */
export function schemaMark(statements: readonly string[]): string {
  return `doppel-schema ${createHash('sha256').update(statements.join('\n;\n')).digest('hex').slice(0, 32)}`;
}

/**
 * Creates the schema (when missing) and runs `statements` in one transaction under an advisory
 * lock, so that several processes starting at once against one PostgreSQL do not race on
 * CREATE ... IF NOT EXISTS (which is not safe under concurrency). Statements must be idempotent.
 * They must create `anchor`, a table: it is marked (its comment) with a digest of the statements,
 * and a later start that finds the same mark skips them all, with one query and no transaction.
 * Checking each table, index and function again costs a start ~0.2 s on the embedded database.
 */
export async function ensureSchema(client: SqlClient, schemaName: string, statements: readonly string[], anchor: string): Promise<void> {
  const schema = schemaIdentifier(schemaName);
  const mark = schemaMark(statements);
  const markOf = async (q: SqlQueryable): Promise<unknown> =>
    (await q.query(`SELECT obj_description(to_regclass($1), 'pg_class') AS mark`, [anchor]))[0]?.['mark'];
  if ((await markOf(client)) === mark) return;
  await client.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`doppel-schema:${schemaName}`]);
    if ((await markOf(tx)) === mark) return; // another process got there first
    // Checking first avoids needing the CREATE privilege on the database when the schema exists.
    const found = await tx.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schemaName]);
    if (found.length === 0) await tx.query(`CREATE SCHEMA ${schema}`);
    for (const statement of statements) await tx.query(statement);
    await tx.query(`COMMENT ON TABLE ${anchor} IS '${mark}'`); // letters, a space and hex digits only
  });
}

/** Creates the journal and snapshot tables of a store in `schemaName` when they are missing. */
export async function ensureStoreSchema(client: SqlClient, schemaName: string): Promise<StoreTables> {
  const tables = storeTables(schemaName);
  await ensureSchema(client, schemaName, storeDdl(tables), tables.journal);
  return tables;
}
