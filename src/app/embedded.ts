import type { Logger } from 'pino';
import { openPgliteClient, replenishSpare, schemaTemplateFile } from '../adapters/pglite/index.ts';
import type { SqlClient } from '../adapters/sql/index.ts';
import type { Config } from './config.ts';

/**
 * Opens the embedded database (PGlite, in its own thread). The command line starts this before it
 * loads the rest of the server, so the two overlap, and hands the promise to `openStore`; this
 * module therefore imports little.
 */
export function openEmbeddedDatabase(config: Config, logger: Logger): Promise<SqlClient> {
  const templateDir = config.pgliteTemplateDir;
  const dataDir = config.dataDir === 'memory://' ? undefined : config.dataDir;
  return openPgliteClient({ templateDir, logger, sharedBuffers: config.pgliteSharedBuffers, ...(dataDir === undefined ? {} : { dataDir }) });
}

/**
 * After a start on a data directory: unless a spare database directory is ready for the template
 * with Doppel's tables, unpacks one in the background at the lowest priority, so that the next new
 * data directory also moves one into place instead of unpacking the template. Logs the outcome;
 * never throws.
 */
export function replenishEmbeddedSpare(config: Config, logger: Logger): void {
  if (!config.pgliteSpare || config.postgresUrl !== undefined || config.dataDir === 'memory://') return;
  const started = Date.now();
  void (async () => {
    const file = await schemaTemplateFile(config.pgliteTemplateDir);
    const spare = file === undefined ? undefined : await replenishSpare(file);
    if (spare !== undefined) logger.info({ spare, ms: Date.now() - started }, 'spare embedded database unpacked for the next new data directory');
  })().catch((err: unknown) => logger.warn({ err }, 'could not unpack a spare embedded database'));
}
