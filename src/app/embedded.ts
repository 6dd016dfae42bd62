import type { Logger } from 'pino';
import { openPgliteClient } from '../adapters/pglite/index.ts';
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
