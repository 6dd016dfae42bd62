import { readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isProcessAlive } from './lock.ts';
import { startModuleWorker } from './module-worker.ts';
import { unpackTemplate } from './template-unpack.ts';

// A database directory ready in advance, which the next start on a new data directory takes by
// renaming it into place instead of unpacking the template (408 files to create: 0.1-0.5 s on the
// development machine, depending on the minute). `npm install` keeps the directory it packed the
// template with Doppel's tables from; after a start on a data directory the server unpacks one in
// the background when none is ready (`replenishSpare`). A data directory on another file system
// cannot take it (the rename fails) and unpacks the template.

/** Inside a spare: which template it belongs to, as that file was then. */
const STAMP = '.doppel-template';

/** Where the spare of `templateFile` lives: next to it. */
export function spareDirectory(templateFile: string): string {
  return `${templateFile.replace(/\.tar\.gz$/, '')}.spare`;
}

async function stampOf(templateFile: string): Promise<string> {
  const s = await stat(templateFile);
  return `${s.size} ${Math.round(s.mtimeMs)}`;
}

/** Where spares of the spare directory `spare` are unpacked by process `pid` before the rename. */
function unpackingDirectory(spare: string, pid: number): string {
  return `${spare}.${pid}.tmp`;
}

/** Removes what processes that are gone left half unpacked (one killed while unpacking). */
async function removeAbandoned(spare: string): Promise<void> {
  const prefix = `${basename(spare)}.`;
  for (const name of await readdir(dirname(spare))) {
    const pid = name.startsWith(prefix) ? /^(\d+)\.tmp$/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (pid !== undefined && Number(pid) !== process.pid && !isProcessAlive(Number(pid))) {
      await rm(join(dirname(spare), name), { recursive: true, force: true });
    }
  }
}

/** Unpacks `templateFile` into its spare directory (replacing one there), atomically. */
export async function makeSpare(templateFile: string): Promise<string> {
  const spare = spareDirectory(templateFile);
  await removeAbandoned(spare);
  const temp = unpackingDirectory(spare, process.pid);
  try {
    await rm(temp, { recursive: true, force: true });
    await unpackTemplate(templateFile, temp);
    return await keepAsSpare(templateFile, temp);
  } catch (e) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * Makes `dir`, a database directory that `templateFile` was just packed from, the spare of that
 * template (replacing one there): it is moved, so it must be on the template's file system.
 */
export async function keepAsSpare(templateFile: string, dir: string): Promise<string> {
  const spare = spareDirectory(templateFile);
  await writeFile(join(dir, STAMP), await stampOf(templateFile));
  await rm(spare, { recursive: true, force: true });
  await rename(dir, spare);
  return spare;
}

/**
 * Moves the spare of `templateFile` to `pgdata`, which holds no database (whatever is there is
 * removed), when the spare was made from that template as it is now. Whether it did; false
 * also when another process took the spare first or it is on another file system.
 */
export async function takeSpare(templateFile: string, pgdata: string): Promise<boolean> {
  const spare = spareDirectory(templateFile);
  try {
    if (!(await hasSpare(templateFile))) return false;
    await rm(pgdata, { recursive: true, force: true });
    await rename(spare, pgdata);
  } catch {
    return false;
  }
  await rm(join(pgdata, STAMP), { force: true });
  return true;
}

/** Whether a spare of `templateFile`, as that file is now, is ready to be taken. */
export async function hasSpare(templateFile: string): Promise<boolean> {
  try {
    return (await readFile(join(spareDirectory(templateFile), STAMP), 'utf8')) === (await stampOf(templateFile));
  } catch {
    return false;
  }
}

/**
 * Unless a spare of `templateFile` is ready (or there is no such file), unpacks one in a thread of
 * its own at the lowest priority (spare-worker.ts), so that it takes only the CPU that the server
 * leaves idle; the thread never keeps the process alive. Resolves with the spare made, or
 * undefined when nothing was to be done; rejects when unpacking failed.
 */
export async function replenishSpare(templateFile: string): Promise<string | undefined> {
  if ((await hasSpare(templateFile)) || !(await stat(templateFile).then(() => true, () => false))) return undefined;
  const worker = startModuleWorker('spare-worker', { templateFile } satisfies SpareWorkerStart);
  worker.unref();
  return new Promise<string>((resolve, reject) => {
    worker.once('message', (m: SpareWorkerReply) => (m.ok ? resolve(m.spare) : reject(new Error(m.message))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the thread unpacking a spare exited with ${code} before it answered`)));
  });
}

/** What spare-worker.ts is started with, and what it answers. */
export interface SpareWorkerStart {
  readonly templateFile: string;
}
export type SpareWorkerReply = { readonly ok: true; readonly spare: string } | { readonly ok: false; readonly message: string };
