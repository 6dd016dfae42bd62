import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { keepAsSpare, openPgliteClient, packDirectory, schemaTemplateFile } from '../adapters/pglite/index.ts';
import { describeUrl, openPostgresClient } from '../adapters/postgres/index.ts';
import { EMBEDDED_NUMBER_STATISTICS, SqlSearchIndex, SqlStore, type SqlClient } from '../adapters/sql/index.ts';
import { DittoError } from '../model/errors/index.ts';
import type { SearchIndex } from '../ports/search.ts';
import type { Store } from '../ports/store.ts';
import { GroupCommitter } from '../services/persistence/index.ts';
import type { Config } from './config.ts';
import { openEmbeddedDatabase } from './embedded.ts';

export interface OpenedStore {
  readonly store: Store;
  readonly committer: GroupCommitter;
  /** Kept in the commit transaction of every write (a commit hook). */
  readonly search: SearchIndex;
  /** For logs: which store this is, without secrets. */
  readonly description: string;
  close(): Promise<void>;
}

/**
 * PostgreSQL when a URL is configured, the embedded PGlite otherwise (`memory://` keeps it in
 * memory, for tests): `embedded` when the caller has already started opening it. Both run the
 * same schema and SQL.
 */
export async function openStore(config: Config, logger: Logger, embedded?: Promise<SqlClient>): Promise<OpenedStore> {
  let client: SqlClient;
  let description: string;
  let schema = 'public';
  if (config.postgresUrl !== undefined) {
    schema = config.postgresSchema;
    client = await openPostgresClient({
      url: config.postgresUrl,
      schema,
      maxConnections: config.postgresPoolSize,
      // The group committer's commits in flight, and one more for an index rebuild or a retry.
      writeConnections: config.postgresCommitsInFlight + 1,
      logger,
    });
    description = `postgresql ${describeUrl(config.postgresUrl)} schema ${schema}`;
  } else {
    client = await (embedded ?? openEmbeddedDatabase(config, logger));
    description = `pglite ${config.dataDir === 'memory://' ? 'in memory' : config.dataDir}`;
  }
  const store = await SqlStore.open(client, { schema, logger });
  let search: SearchIndex;
  let stopAnalyzing: () => Promise<void> = () => Promise.resolve();
  if (config.searchIndex) {
    // Registered before the first commit: the index changes in the same transaction as the snapshots.
    const index = await SqlSearchIndex.open(client, store.tables, schema, {
      onError: (err) => logger.warn({ err }, 'search index ANALYZE failed'),
      onAnalyze: ({ ms, longestMs, rows }) => logger.info({ ms, longestMs, valueRows: rows }, 'search index analyzed'),
      // PGlite's ANALYZE holds its only connection: the default sample there (see search-schema.ts).
      // Nor does it vacuum anything by itself.
      ...(config.postgresUrl === undefined ? { numberStatistics: EMBEDDED_NUMBER_STATISTICS, vacuumValues: true, analyzeValuesInSteps: true } : {}),
    });
    store.addCommitHook(index.hook);
    search = index;
    stopAnalyzing = () => index.stop();
  } else {
    await SqlSearchIndex.invalidate(client, store.tables, schema);
    logger.warn('the search index is off (DOPPEL_SEARCH_INDEX=false): searches answer 503 until a start with it on rebuilds it');
    const off = (): Promise<never> => Promise.reject(new DittoError('gateway:service.unavailable'));
    search = { candidates: off, sortScopes: off, countGroups: off };
  }
  // PGlite runs one statement at a time, but a second batch sent meanwhile waits in its thread and
  // starts the moment the first ends, instead of after the server's thread has taken the answer
  // and sent the next (docs/benchmarks.md: ~10 % more writes per second with 2).
  const maxInFlight = config.postgresUrl === undefined ? config.pgliteCommitsInFlight : config.postgresCommitsInFlight;
  const committer = new GroupCommitter(store, { maxInFlight });
  // Queued writes are committed before the store goes away; a background ANALYZE of the index
  // ends with its running statement rather than going through its pauses.
  const close = async (): Promise<void> => {
    await committer.close();
    await stopAnalyzing();
    await store.close();
  };
  return { store, committer, search, description, close };
}

/**
 * Writes the template that new embedded databases start from: a database just initialised, with
 * Doppel's tables made as `config` makes them. `npm install` runs this
 * (scripts/make-pglite-template.mjs), so that a first start on a new directory does not spend
 * time creating them (~40 statements). The database is made on disk and closed, then packed
 * (template-pack.ts), and its directory is kept as the spare that the next start on a new
 * directory takes instead of unpacking (spare-directory.ts). Returns the file, or undefined when
 * the PGlite version cannot be read.
 */
export async function writeEmbeddedTemplate(config: Config, logger: Logger): Promise<string | undefined> {
  const templateDir = config.pgliteTemplateDir;
  const file = await schemaTemplateFile(templateDir);
  if (file === undefined) return undefined;
  await rm(file, { force: true }); // made from the plain template, not from an older one of these
  // Made in a directory next to the template, so that it can become the spare by a rename.
  const work = `${file}.${process.pid}.making`;
  await rm(work, { recursive: true, force: true });
  try {
    const client = await openPgliteClient({ dataDir: work, templateDir, logger, sharedBuffers: config.pgliteSharedBuffers });
    const opened = await openStore({ ...config, postgresUrl: undefined, dataDir: work }, logger, Promise.resolve(client)).catch(async (e: unknown) => {
      await client.close();
      throw e;
    });
    try {
      await client.prepareAsTemplate();
    } finally {
      await opened.close();
    }
    // Closed, so its control file says it was shut down: a database started from it skips crash recovery.
    const pgdata = join(work, 'pgdata');
    await packDirectory(pgdata, file);
    // The first start on a new data directory takes this instead of unpacking the template.
    await keepAsSpare(file, pgdata).catch((e: unknown) => logger.warn({ err: e, templateFile: file }, 'could not keep a spare embedded database'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return file;
}
