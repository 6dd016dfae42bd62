// PostgreSQL for integration tests. Tests skip with a printed reason when no server answers,
// unless DOPPEL_REQUIRE_SERVICES=1 (CI), where a missing server fails them instead.

import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const POSTGRES_URL = process.env['DOPPEL_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export type PostgresAvailability = { readonly available: true; readonly url: string } | { readonly available: false; readonly reason: string };

let probe: Promise<PostgresAvailability> | undefined;

/** Whether the test PostgreSQL answers (probed once per process). */
export function postgresAvailable(): Promise<PostgresAvailability> {
  probe ??= (async (): Promise<PostgresAvailability> => {
    const sql = postgres(POSTGRES_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
    try {
      await sql`SELECT 1`;
      return { available: true, url: POSTGRES_URL };
    } catch (e) {
      const u = new URL(POSTGRES_URL);
      return { available: false, reason: `PostgreSQL at ${u.host}${u.pathname} is not reachable (${e instanceof Error ? e.message : String(e)})` };
    } finally {
      await sql.end({ timeout: 0 });
    }
  })();
  return probe;
}

export function servicesRequired(): boolean {
  return process.env['DOPPEL_REQUIRE_SERVICES'] === '1';
}

/**
 * `{ url }` when PostgreSQL tests can run, `{ skip: reason }` when they should be skipped (the reason
 * is printed). Throws when the server is missing and DOPPEL_REQUIRE_SERVICES=1, failing the file.
 */
export async function postgresForTests(): Promise<{ readonly url: string; readonly skip?: undefined } | { readonly url?: undefined; readonly skip: string }> {
  const a = await postgresAvailable();
  if (a.available) return { url: a.url };
  if (servicesRequired()) throw new Error(`${a.reason}, and DOPPEL_REQUIRE_SERVICES=1`);
  console.log(`skipping PostgreSQL tests: ${a.reason}`);
  return { skip: a.reason };
}

export interface TestSchema {
  readonly url: string;
  readonly schema: string;
  /** Drops the schema with everything in it. Idempotent. */
  drop(): Promise<void>;
}

/** A fresh, uniquely named, empty schema; drop it when done. */
export async function createPostgresSchema(url: string = POSTGRES_URL): Promise<TestSchema> {
  const schema = `doppel_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`CREATE SCHEMA "${schema}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  let dropped: Promise<void> | undefined;
  return {
    url,
    schema,
    drop() {
      dropped ??= (async () => {
        const admin = postgres(url, { max: 1, onnotice: () => undefined });
        try {
          await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await admin.end({ timeout: 5 });
        }
      })();
      return dropped;
    },
  };
}

/** Runs `fn` with a fresh schema that is dropped afterwards, whatever `fn` does. */
export async function withPostgresSchema<T>(fn: (s: TestSchema) => Promise<T>, url: string = POSTGRES_URL): Promise<T> {
  const s = await createPostgresSchema(url);
  try {
    return await fn(s);
  } finally {
    await s.drop();
  }
}
