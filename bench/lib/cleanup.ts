// Everything a run starts (child processes, data directories, PostgreSQL schemas) registers how
// to undo it here, so that a failure, Ctrl-C or SIGTERM still leaves the machine as it was.

type Undo = () => Promise<void> | void;

const undos = new Map<number, { readonly what: string; readonly undo: Undo }>();
let next = 0;

/** Registers an undo; the returned function runs it now (once) and forgets it. */
export function onCleanup(what: string, undo: Undo): () => Promise<void> {
  const key = next++;
  undos.set(key, { what, undo });
  return async () => {
    const entry = undos.get(key);
    if (entry === undefined) return;
    undos.delete(key);
    await entry.undo();
  };
}

/** A point to clean up back to with `cleanupSince`. */
export function cleanupMark(): number {
  return next;
}

// Cleanups run one after another: a caller that finds one in progress (say, the run ending while
// a signal's cleanup still drops a schema) waits for it instead of exiting under it.
let chain: Promise<void> = Promise.resolve();
let interrupted = false;

/** Whether SIGINT/SIGTERM arrived: the runner starts nothing new after that. */
export function isInterrupted(): boolean {
  return interrupted;
}

/** Runs every undo registered since `mark` (all by default), newest first; reports failures and carries on. */
export function cleanupAll(mark = 0): Promise<void> {
  chain = chain.then(() => runUndos(mark));
  return chain;
}

async function runUndos(mark: number): Promise<void> {
  const entries = [...undos.entries()].filter(([key]) => key >= mark).reverse();
  for (const [key] of entries) undos.delete(key);
  for (const [, { what, undo }] of entries) {
    try {
      await undo();
    } catch (e) {
      console.error(`cleanup of ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

let installed = false;

/** On SIGINT/SIGTERM: clean up, then exit with the conventional code. */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      void cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}
