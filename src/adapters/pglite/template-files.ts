import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Where the templates of new embedded databases are cached. Apart from local-pglite.ts (which
// imports PGlite itself, ~50 ms of loading), so that the server's thread can name them without
// loading PGlite: only the database's thread runs it.

/** The installed PGlite version, or undefined when it cannot be read (then no template is used). */
async function pgliteVersion(): Promise<string | undefined> {
  try {
    const main = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const pkg: unknown = JSON.parse(await readFile(join(dirname(main), '..', 'package.json'), 'utf8'));
    const version = typeof pkg === 'object' && pkg !== null ? (pkg as { version?: unknown }).version : undefined;
    return typeof version === 'string' && /^[\w.+-]+$/.test(version) ? version : undefined;
  } catch {
    return undefined;
  }
}

/** Where the template of this PGlite version lives in `templateDir`: a database just initialised. */
export async function pgliteTemplateFile(templateDir: string): Promise<string | undefined> {
  const version = await pgliteVersion();
  return version === undefined ? undefined : join(templateDir, `pglite-${version}-initdb.tar.gz`);
}

/**
 * Where the second template of this PGlite version lives: the first one with Doppel's tables in it
 * too (`npm install` writes it, scripts/make-pglite-template.mjs). A new database starts from this
 * one when it is there: its tables carry the mark of the statements that made them (see
 * `ensureSchema`), so the first start skips them, and runs them all should they have changed since.
 */
export async function schemaTemplateFile(templateDir: string): Promise<string | undefined> {
  const version = await pgliteVersion();
  return version === undefined ? undefined : join(templateDir, `pglite-${version}-doppel.tar.gz`);
}
