// The embedded database's own thread. PGlite runs PostgreSQL (WASM) synchronously in the thread
// that calls it; here that thread is not the server's, so the server goes on parsing requests and
// answering reads from its caches while a statement runs (openPgliteClient starts this thread).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { SqlQueryable, StoreLogger } from '../sql/client.ts';
import { openLocalPglite, type LocalPglite } from './local-pglite.ts';
import { loggable, toWire, type Reply, type Request, type WorkerStart } from './worker-protocol.ts';

if (parentPort === null) throw new Error('pglite-worker.ts runs as a worker thread');
const port: MessagePort = parentPort;
const post = (reply: Reply): void => port.postMessage(reply);

const log = (level: keyof StoreLogger) => (obj: object, msg?: string): void => post({ kind: 'log', level, obj: loggable(obj), msg });
const logger: StoreLogger = { warn: log('warn'), info: log('info'), error: log('error') };

/** An open transaction: its queries, and how to end it. */
interface OpenTx {
  readonly tx: SqlQueryable;
  readonly end: (commit: boolean) => void;
  readonly done: Promise<unknown>;
}

const open = new Map<number, OpenTx>();

/** Runs one request and answers it; requests run concurrently, as they would in one thread. */
async function handle(db: LocalPglite, req: Request): Promise<void> {
  try {
    post({ kind: 'result', id: req.id, value: await run(db, req) });
  } catch (e) {
    post({ kind: 'error', id: req.id, error: toWire(e) });
  }
}

async function run(db: LocalPglite, req: Request): Promise<unknown> {
  switch (req.op) {
    case 'query': {
      if (req.tx === undefined) return db.query(req.text, req.params, req.options);
      const t = open.get(req.tx);
      if (t === undefined) throw new Error(`transaction ${req.tx} is not open`);
      return t.tx.query(req.text, req.params, req.options);
    }
    case 'begin':
      return begin(db, req.id);
    case 'end': {
      const t = open.get(req.tx);
      if (t === undefined) throw new Error(`transaction ${req.tx} is not open`);
      open.delete(req.tx);
      t.end(req.commit);
      await t.done.catch((e: unknown) => {
        if (!(e instanceof RolledBack)) throw e;
      });
      return undefined;
    }
    case 'checkpoint':
      return db.checkpointIfDue();
    case 'prepareAsTemplate':
      return db.prepareAsTemplate();
    case 'close':
      await db.close();
      setImmediate(() => port.close());
      return undefined;
  }
}

/** Resolves once the transaction holds the database; it stays open until its `end`. */
function begin(db: LocalPglite, id: number): Promise<void> {
  return new Promise<void>((began, failedToBegin) => {
    let end: (commit: boolean) => void = () => undefined;
    const ended = new Promise<boolean>((resolve) => {
      end = resolve;
    });
    const done = db.transaction(async (tx) => {
      open.set(id, { tx, end, done });
      began();
      // A rejection rolls the transaction back.
      if (!(await ended)) throw new RolledBack();
    });
    done.catch((e: unknown) => {
      if (!open.has(id) && !(e instanceof RolledBack)) failedToBegin(e);
    });
  });
}

class RolledBack extends Error {}

const start = workerData as WorkerStart;
let db: LocalPglite | undefined;
// Listening before the database opens keeps this thread's event loop alive (a port with a listener
// is a live handle) while it waits for PGlite's WASM to compile. Without one, Node waits for that
// compile in NodePlatform::DrainTasks, and PGlite's whole start then runs inside that wait, which
// afterwards goes on until every background job of the process has finished: with V8's optimising
// compiler at work on the database's hot functions, the first request waited 230-340 ms.
port.on('message', (req: Request) => {
  if (db !== undefined) void handle(db, req);
  else post({ kind: 'error', id: req.id, error: toWire(new Error('the embedded database is not open yet')) });
});
/**
 * One full collection of this thread's heap, once the database is open. Opening leaves large
 * buffers behind as garbage: the WASM file as read (8.7 MiB; V8 keeps its own copy of the code),
 * and on a first start the template the data directory was made from. They live outside the
 * heap, and this thread allocates too little afterwards for V8 to collect its old generation, so
 * without this they stayed resident for as long as the server ran. `--expose-gc` set at run time
 * applies to contexts created after it, so a new `node:vm` context hands out `gc`; that context
 * runs only the word `gc` (as src/app/heap-trim.ts does for the server's thread).
 */
function collectStartGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

try {
  db = await openLocalPglite({ dataDir: start.dataDir, templateDir: start.templateDir, sharedBuffers: start.sharedBuffers, logger });
  collectStartGarbage();
  post({ kind: 'ready' });
} catch (e) {
  post({ kind: 'failed', error: toWire(e) });
  port.close();
}
