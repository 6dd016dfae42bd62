// A fresh store per run: a temporary PGlite data directory or a PostgreSQL schema of its own,
// removed at the end whatever happens.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { onCleanup } from './cleanup.ts';

export type StoreKind = 'pglite' | 'postgres';

export interface BenchStore {
  readonly kind: StoreKind;
  /** What to tell Doppel (DOPPEL_DATA_DIR or DOPPEL_POSTGRES_URL/SCHEMA). */
  readonly env: Readonly<Record<string, string>>;
  readonly description: string;
  /**
   * Sum of the revisions of all things and their count. Each successful modification adds one
   * revision, so this checks that every acknowledged write was committed. For PGlite, only
   * while no server holds the directory.
   */
  thingRevisions(): Promise<{ readonly things: number; readonly revisions: number }>;
  dispose(): Promise<void>;
}

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The benchmarks talk to this machine only. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) throw new Error(`refusing a non-local PostgreSQL (${host}); benchmarks run against 127.0.0.1 only`);
}

async function pgliteStore(): Promise<BenchStore> {
  const dir = await mkdtemp(join(tmpdir(), 'doppel-bench-'));
  const dispose = onCleanup(`data directory ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return {
    kind: 'pglite',
    env: { DOPPEL_DATA_DIR: dir },
    description: `PGlite in ${dir}`,
    async thingRevisions() {
      const db = new PGlite(join(dir, 'pgdata'));
      try {
        const rows = await db.query<{ things: number; revisions: number }>(
          `SELECT count(*)::int AS things, coalesce(sum(revision), 0)::int AS revisions FROM doppel_snapshot WHERE entity_type = 'thing'`,
        );
        return rows.rows[0] ?? { things: 0, revisions: 0 };
      } finally {
        await db.close();
      }
    },
    dispose,
  };
}

async function postgresStore(url: string): Promise<BenchStore> {
  assertLoopback(url);
  const schema = `doppel_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = (): postgres.Sql => postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  const sql = admin();
  try {
    await sql.unsafe(`CREATE SCHEMA "${schema}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const dispose = onCleanup(`PostgreSQL schema ${schema}`, async () => {
    const s = admin();
    try {
      await s.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await s.end({ timeout: 5 });
    }
  });
  return {
    kind: 'postgres',
    env: { DOPPEL_POSTGRES_URL: url, DOPPEL_POSTGRES_SCHEMA: schema },
    description: `PostgreSQL ${new URL(url).host}, schema ${schema}`,
    async thingRevisions() {
      const s = admin();
      try {
        const rows = await s.unsafe<{ things: number; revisions: number }[]>(
          `SELECT count(*)::int AS things, coalesce(sum(revision), 0)::int AS revisions FROM "${schema}".doppel_snapshot WHERE entity_type = 'thing'`,
        );
        return rows[0] ?? { things: 0, revisions: 0 };
      } finally {
        await s.end({ timeout: 5 });
      }
    },
    dispose,
  };
}

export function prepareStore(kind: StoreKind, postgresUrl: string): Promise<BenchStore> {
  return kind === 'pglite' ? pgliteStore() : postgresStore(postgresUrl);
}
