import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { SESSION_SETTINGS, type QueryOptions, type SqlClient, type SqlQueryable, type SqlRow, type StoreLogger } from '../sql/client.ts';
import { StoreUnavailableError } from '../../services/persistence/errors.ts';
import { BatchStatements } from './batch-statements.ts';
import { takeSpare } from './spare-directory.ts';
import { pgliteTemplateFile, schemaTemplateFile } from './template-files.ts';
import { unpackTemplate } from './template-unpack.ts';
import { WalCheckpointer, type WalCheckpointerOptions } from './wal-checkpointer.ts';

// PGlite's own start parameters (its `defaultStartParams`), which a `startParams` option replaces
// whole; only shared_buffers is added to them.
const PGLITE_START_PARAMS = [
  '--single', '-F', '-O', '-j', '-c', 'search_path=public', '-c', 'exit_on_error=false', '-c', 'log_checkpoints=false',
  '-c', 'max_worker_processes=0', '-c', 'max_parallel_workers=0', '-c', 'max_parallel_workers_per_gather=0',
  '-c', 'io_method=sync', '-c', 'max_parallel_maintenance_workers=0',
];

/**
 * Checkpoints are Doppel's to request on PGlite (see wal-checkpointer.ts): one after 512 MiB of
 * WAL, or 5 minutes after the last one when anything was written. That is about when a
 * PostgreSQL server with its defaults (max_wal_size 1GB, checkpoint_completion_target 0.9) starts
 * one; its max_wal_size then bounds the segments kept for reuse, so the WAL stays near 1 GB as
 * there. Each checkpoint stops the database while it writes the dirty buffers (up to
 * shared_buffers; 53 ms after 96,000 writes), so they are kept that far apart: one every three
 * minutes or so at full write speed on the development machine (~3 MB of WAL a second).
 */
const CHECKPOINTS = { maxWalBytes: 512 * 1024 * 1024, maxIntervalMs: 5 * 60_000, checkEveryMs: 5_000 } as const;

/**
 * initdb makes three databases of ~300 files each: template0, template1 and postgres, the one
 * PGlite connects to. Doppel never creates a database, so a template for new directories keeps
 * only postgres: 408 files to create instead of 1,009, which is most of what unpacking costs.
 */
const TEMPLATE_ONLY_DATABASE = [
  'ALTER DATABASE template0 IS_TEMPLATE false',
  'DROP DATABASE template0',
  'ALTER DATABASE template1 IS_TEMPLATE false',
  'DROP DATABASE template1',
] as const;

/**
 * PGlite in the calling thread (WASM, run synchronously) and one statement at a time; transactions
 * hold it exclusively. The database's thread (pglite-worker.ts) serves the server through one of
 * these; see PgliteClient for durability.
 */
export class LocalPglite implements SqlClient {
  private closing: Promise<void> | undefined;
  private readonly batches = new BatchStatements(asStoreError);
  private readonly checkpointer: WalCheckpointer | undefined;

  /** With `checkpoints`, asks for checkpoints as WAL accumulates (`openLocalPglite` does). */
  constructor(
    private readonly db: PGlite,
    checkpoints?: WalCheckpointerOptions,
  ) {
    if (checkpoints !== undefined) {
      this.checkpointer = new WalCheckpointer({ query: async (text) => (await db.query<Record<string, unknown>>(text)).rows }, checkpoints);
      this.checkpointer.start();
    }
  }

  /**
   * Readies this database to be closed and packed as a template for new ones (store.ts,
   * `writeEmbeddedTemplate`): drops the two template databases (see TEMPLATE_ONLY_DATABASE), and
   * moves on to a new WAL segment with recycling off, so that the old segment, which holds all of
   * initdb's WAL, is removed at the checkpoint: the closed database's WAL is then zeros but for
   * its last checkpoints.
   */
  async prepareAsTemplate(): Promise<void> {
    this.assertOpen();
    // One at a time: DROP DATABASE refuses to run in the implicit transaction of several.
    for (const statement of TEMPLATE_ONLY_DATABASE) await this.db.exec(statement);
    await this.db.exec('SET wal_recycle = off');
    await this.db.query('SELECT pg_switch_wal()');
    await this.db.exec('CHECKPOINT');
  }

  /** Runs the checkpointer's check now (tests): whether it checkpointed; undefined without a checkpointer. */
  checkpointIfDue(): Promise<boolean | undefined> {
    return this.checkpointer?.check() ?? Promise.resolve(undefined);
  }

  async query<T extends SqlRow = SqlRow>(text: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<T[]> {
    this.assertOpen();
    return options?.batch === true ? this.batches.run<T>(this.db, text, params) : runQuery<T>(this.db, text, params);
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.db.transaction((tx) =>
      fn({
        query: <R extends SqlRow = SqlRow>(text: string, params: readonly unknown[] = [], options?: QueryOptions) =>
          options?.batch === true ? this.batches.run<R>(tx, text, params) : runQuery<R>(tx, text, params),
      }),
    );
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.checkpointer?.stop();
      await this.db.close();
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== undefined || this.db.closed) throw new StoreUnavailableError('the embedded database is closed');
  }
}

interface PgliteQueryable {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

async function runQuery<T>(db: PgliteQueryable, text: string, params: readonly unknown[]): Promise<T[]> {
  try {
    return (await db.query<T>(text, [...params])).rows;
  } catch (e) {
    throw asStoreError(e);
  }
}

/** PostgreSQL errors carry a severity; anything else means the WASM instance itself failed. */
function asStoreError(e: unknown): unknown {
  if (typeof e === 'object' && e !== null && 'severity' in e) return e;
  return new StoreUnavailableError(`the embedded database failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeTemplate(db: PGlite, file: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    const dump = await db.dumpDataDir('gzip');
    await writeFile(temp, new Uint8Array(await dump.arrayBuffer()));
    await rename(temp, file); // atomic, so a concurrent reader never sees half a tarball
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

/**
 * Unpacks the template into `pgdata`, which holds no database (no PG_VERSION): into a temporary
 * directory first, renamed when complete, so that a crash midway never leaves a directory that
 * looks like a database. False, logged, when that fails: the caller then runs initdb.
 */
async function unpackInto(templateFile: string, pgdata: string, logger: StoreLogger | undefined): Promise<boolean> {
  const temp = `${pgdata}.unpacking`;
  try {
    await rm(temp, { recursive: true, force: true });
    await rm(pgdata, { recursive: true, force: true });
    await unpackTemplate(templateFile, temp);
    await rename(temp, pgdata);
    return true;
  } catch (e) {
    logger?.warn({ err: e, templateFile }, 'could not unpack the PGlite template; running initdb');
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    return false;
  }
}

/**
 * Starts PGlite; an in-memory one from `template` when given (a directory has had it unpacked by
 * `unpackInto` already). `fromTemplate` says whether that worked.
 */
async function createPglite(pgdata: string | undefined, template: Buffer | undefined, logger: StoreLogger | undefined, sharedBuffers: string | undefined): Promise<{ db: PGlite; fromTemplate: boolean }> {
  const options: PGliteOptions = {};
  if (pgdata !== undefined) options.dataDir = pgdata;
  if (sharedBuffers !== undefined) {
    if (!/^\d+(kB|MB|GB)$/.test(sharedBuffers)) throw new Error(`shared_buffers '${sharedBuffers}' is not a size like 32MB`);
    options.startParams = [...PGLITE_START_PARAMS, '-c', `shared_buffers=${sharedBuffers}`];
  }
  if (template !== undefined) {
    try {
      return { db: await PGlite.create({ ...options, loadDataDir: new Blob([new Uint8Array(template)]) }), fromTemplate: true };
    } catch (e) {
      // A damaged template must not keep the server from starting: initdb instead.
      logger?.warn({ err: e }, 'could not start from the PGlite template; running initdb');
    }
  }
  return { db: await PGlite.create(options), fromTemplate: false };
}

/** What `openLocalPglite` needs: the options of `openPgliteClient` once the directory is locked. */
export interface LocalPgliteOptions {
  /** The locked data directory (PGlite's files go to `<dataDir>/pgdata`); undefined: in memory. */
  readonly dataDir: string | undefined;
  readonly templateDir?: string | undefined;
  readonly logger?: StoreLogger | undefined;
  readonly sharedBuffers?: string | undefined;
}

/**
 * Opens (creating when needed) the embedded database in this thread. The caller holds the data
 * directory's lock (`openPgliteClient` takes it, then runs this in the database's thread).
 */
export async function openLocalPglite(options: LocalPgliteOptions): Promise<LocalPglite> {
  const { dataDir, templateDir, logger, sharedBuffers } = options;
  const pgdata = dataDir === undefined ? undefined : join(dataDir, 'pgdata');
  const initdbTemplate = templateDir === undefined ? undefined : await pgliteTemplateFile(templateDir);
  const withSchema = templateDir === undefined ? undefined : await schemaTemplateFile(templateDir);
  const fresh = pgdata === undefined || !(await exists(join(pgdata, 'PG_VERSION')));
  const templateFile = withSchema !== undefined && fresh && (await exists(withSchema)) ? withSchema : initdbTemplate;
  const haveTemplate = fresh && templateFile !== undefined && (await exists(templateFile));
  // A directory gets the template unpacked on disk (or takes the spare unpacked in advance, see
  // spare-directory.ts), then opened as an existing database; only an in-memory database has
  // PGlite unpack it (which costs the process ~100 MiB it keeps).
  const unpacked = haveTemplate && pgdata !== undefined && ((await takeSpare(templateFile, pgdata)) || (await unpackInto(templateFile, pgdata, logger)));
  const template = haveTemplate && pgdata === undefined ? await readFile(templateFile) : undefined;
  const created = await createPglite(pgdata, template, logger, sharedBuffers);
  const { db } = created;
  const fromTemplate = unpacked || created.fromTemplate;
  // Batch writes write their arguments as SQL literals (batch-statements.ts), which assumes this.
  await db.exec('SET standard_conforming_strings = on');
  for (const [name, value] of Object.entries(SESSION_SETTINGS)) await db.query('SELECT set_config($1, $2, false)', [name, value]);
  if (fresh && !fromTemplate && initdbTemplate !== undefined) {
    await writeTemplate(db, initdbTemplate).catch((e: unknown) => logger?.warn({ err: e, templateFile: initdbTemplate }, 'could not write the PGlite template'));
  }
  logger?.info({ dataDir: dataDir ?? '(memory)', fresh, fromTemplate }, 'embedded database open');
  return new LocalPglite(db, {
    ...CHECKPOINTS,
    onError: (err) => logger?.warn({ err }, 'embedded database checkpoint failed'),
    onCheckpoint: ({ walBytes, ms }) => logger?.info({ walMiB: Math.round(walBytes / 1048576), ms }, 'embedded database checkpoint'),
  });
}
