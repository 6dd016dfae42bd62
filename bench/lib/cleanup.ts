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

/** Runs every registered undo, newest first; reports failures and carries on. */
export async function cleanupAll(): Promise<void> {
  const entries = [...undos.entries()].reverse();
  undos.clear();
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
      console.error(`\n${signal}: cleaning up`);
      cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}
