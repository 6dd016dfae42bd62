import { mkdir } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import type { QueryOptions, SqlClient, SqlQueryable, SqlRow, StoreLogger } from '../sql/client.ts';
import { StoreUnavailableError } from '../../services/persistence/errors.ts';
import { acquireDirLock, type DirLock } from './lock.ts';
import { startModuleWorker } from './module-worker.ts';
import { fromWire, type Reply, type Request, type WorkerStart } from './worker-protocol.ts';

export interface PgliteClientOptions {
  /**
   * Doppel's data directory: PGlite's files go to `<dataDir>/pgdata`, the lock to
   * `<dataDir>/doppel.lock`. Undefined: an in-memory database (tests).
   */
  readonly dataDir?: string;
  /**
   * A directory caching a freshly initialised database per PGlite version (a 4.5 MB gzipped
   * tarball). A new database is unpacked from it instead of running initdb (~3.5 s): onto the
   * disk by `unpackTemplate` for a data directory, by PGlite for an in-memory one. When the
   * tarball is missing it is written after the first initdb. A second tarball there, with
   * Doppel's tables made (`schemaTemplateFile`), is preferred when present. Undefined: no cache.
   */
  readonly templateDir?: string;
  readonly logger?: StoreLogger;
  /**
   * PostgreSQL's `shared_buffers` inside PGlite (e.g. `32MB`). PGlite's default, 128MB, is WASM
   * memory the process keeps for good; pages beyond the buffers still come from the OS page cache.
   * Undefined: PGlite's default.
   */
  readonly sharedBuffers?: string;
}

/** A request before `send` numbers it (Omit taken over each member of the union). */
type Unnumbered<R> = R extends unknown ? Omit<R, 'id'> : never;
type RequestBody = Unnumbered<Request>;

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The database thread's garbage is short-lived: each statement's messages and rows. With V8's
 * default young generation, the restarted server of the memory benchmark ended at 527 MiB after
 * loading 100,000 things from the store; with this bound, 454 MiB (425 MiB in one thread).
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/** The database's thread (pglite-worker.ts). */
function startWorker(workerData: WorkerStart): Worker {
  return startModuleWorker('pglite-worker', workerData, { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB });
}

/**
 * The embedded database, run in a thread of its own (pglite-worker.ts): PGlite executes each
 * statement synchronously in the thread that calls it, which would stop the server's event loop
 * for the whole of every commit, ANALYZE and checkpoint. Here the server's thread only sends the
 * statement and its parameters and receives the rows. One statement runs at a time; a transaction
 * holds the database until it ends.
 * Durability: PGlite starts PostgreSQL with fsync off and its Node file system layer has no fsync,
 * so a commit reaches the OS page cache, not the disk. It survives a crash of this process (tested
 * with SIGKILL), not a power loss or kernel crash; a deployment that needs that runs on a
 * PostgreSQL server.
 * Close it after the group committer has drained.
 */
export class PgliteClient implements SqlClient {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  /** Set when the thread has gone: every request fails with it. */
  private gone: StoreUnavailableError | undefined;

  /** Settles when the thread's database is open (resolves) or could not be opened (rejects). */
  private readonly opened: Promise<void>;
  private settleOpen: ((err?: Error) => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly lock: DirLock | undefined,
    private readonly logger: StoreLogger | undefined,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.settleOpen = (err) => {
        this.settleOpen = undefined;
        // From now on the thread keeps the process alive only while a request waits for it (`send`).
        worker.unref();
        if (err === undefined) resolve();
        else reject(err);
      };
    });
    // Listening from the start, so that nothing the thread sends while opening is missed.
    worker.on('message', (reply: Reply) => this.receive(reply));
    worker.on('error', (err) => this.lost(new StoreUnavailableError(`the embedded database failed: ${err.message}`, { cause: err })));
    worker.on('exit', () => this.lost(new StoreUnavailableError('the embedded database is closed')));
  }

  /** Starts the thread and waits until its database is open. */
  static async start(start: WorkerStart, lock: DirLock | undefined, logger: StoreLogger | undefined): Promise<PgliteClient> {
    const client = new PgliteClient(startWorker(start), lock, logger);
    try {
      await client.opened;
    } catch (e) {
      await client.worker.terminate();
      throw e;
    }
    return client;
  }

  /** Runs the checkpointer's check now (tests): whether it checkpointed. */
  checkpointIfDue(): Promise<boolean | undefined> {
    return this.send({ op: 'checkpoint' }) as Promise<boolean | undefined>;
  }

  /**
   * Readies the database to be closed and then packed as the template that new databases start
   * from instead of running initdb (see `schemaTemplateFile` and `writeEmbeddedTemplate`): it keeps
   * only the database Doppel uses, and the WAL of its last checkpoints.
   */
  async prepareAsTemplate(): Promise<void> {
    await this.send({ op: 'prepareAsTemplate' });
  }

  query<T extends SqlRow = SqlRow>(text: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<T[]> {
    return this.send({ op: 'query', text, params, ...(options === undefined ? {} : { options }) }) as Promise<T[]>;
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    const tx = this.nextId++;
    await this.send({ op: 'begin' }, tx);
    let result: T;
    try {
      result = await fn({
        query: <R extends SqlRow = SqlRow>(text: string, params: readonly unknown[] = [], options?: QueryOptions) =>
          this.send({ op: 'query', tx, text, params, ...(options === undefined ? {} : { options }) }) as Promise<R[]>,
      });
    } catch (e) {
      await this.send({ op: 'end', tx, commit: false }).catch(() => undefined);
      throw e;
    }
    await this.send({ op: 'end', tx, commit: true });
    return result;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (this.gone === undefined) await this.send({ op: 'close' }, this.nextId++, true);
      } finally {
        await this.worker.terminate();
        await this.lock?.release();
      }
    })();
    return this.closing;
  }

  private send(body: RequestBody, id = this.nextId++, closing = false): Promise<unknown> {
    if (this.gone !== undefined) return Promise.reject(this.gone);
    if (this.closing !== undefined && !closing) return Promise.reject(new StoreUnavailableError('the embedded database is closed'));
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id });
    });
  }

  private receive(reply: Reply): void {
    if (reply.kind === 'log') {
      this.logger?.[reply.level](reply.obj, reply.msg);
      return;
    }
    if (reply.kind === 'ready' || reply.kind === 'failed') {
      this.settleOpen?.(reply.kind === 'failed' ? fromWire(reply.error) : undefined);
      return;
    }
    const w = this.waiting.get(reply.id);
    if (w === undefined) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (reply.kind === 'result') w.resolve(reply.value);
    else w.reject(fromWire(reply.error));
  }

  private lost(err: StoreUnavailableError): void {
    this.gone ??= err;
    this.settleOpen?.(this.gone);
    for (const w of this.waiting.values()) w.reject(this.gone);
    this.waiting.clear();
    this.worker.unref();
  }
}

/**
 * Opens (creating when needed) the embedded database, in its own thread. Refuses with
 * DataDirInUseError when another live process, or this one, holds the directory's lock.
 */
export async function openPgliteClient(options: PgliteClientOptions = {}): Promise<PgliteClient> {
  const { templateDir, logger, sharedBuffers } = options;
  // `memory://` is PGlite's own name for "no directory"; as a path it would create `memory:/pgdata`.
  const dataDir = options.dataDir?.startsWith('memory://') === true ? undefined : options.dataDir;
  let lock: DirLock | undefined;
  if (dataDir !== undefined) {
    await mkdir(dataDir, { recursive: true });
    lock = await acquireDirLock(dataDir);
  }
  try {
    return await PgliteClient.start({ dataDir, templateDir, sharedBuffers }, lock, logger);
  } catch (e) {
    await lock?.release();
    throw e;
  }
}
