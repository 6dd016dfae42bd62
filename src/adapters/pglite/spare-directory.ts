import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unpackTemplate } from './template-unpack.ts';

// A database directory ready in advance (`npm install` keeps the one it packed the template with
// Doppel's tables from; `makeSpare` unpacks one), which the next start on a new data directory takes by renaming
// it into place instead of unpacking the template (408 files to create: 0.1-0.5 s on the
// development machine, depending on the minute). It is taken once; the new directories
// after it unpack the template as before. A data directory on another file system cannot take it
// (the rename fails) and unpacks the template too.

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

/** Unpacks `templateFile` into its spare directory (replacing one there), atomically. */
export async function makeSpare(templateFile: string): Promise<string> {
  const temp = `${spareDirectory(templateFile)}.${process.pid}.tmp`;
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
    if ((await readFile(join(spare, STAMP), 'utf8')) !== (await stampOf(templateFile))) return false;
    await rm(pgdata, { recursive: true, force: true });
    await rename(spare, pgdata);
  } catch {
    return false;
  }
  await rm(join(pgdata, STAMP), { force: true });
  return true;
}
