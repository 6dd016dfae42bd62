import type { Logger } from 'pino';
import { openPgliteClient } from '../adapters/pglite/index.ts';
import { describeUrl, openPostgresClient } from '../adapters/postgres/index.ts';
import { SqlStore, type SqlClient } from '../adapters/sql/index.ts';
import type { Store } from '../ports/store.ts';
import { GroupCommitter } from '../services/persistence/index.ts';
import type { Config } from './config.ts';

export interface OpenedStore {
  readonly store: Store;
  readonly committer: GroupCommitter;
  /** For logs: which store this is, without secrets. */
  readonly description: string;
  close(): Promise<void>;
}

/**
 * PostgreSQL when a URL is configured, the embedded PGlite otherwise (`memory://` keeps it in
 * memory, for tests). Both run the same schema and SQL.
 */
export async function openStore(config: Config, logger: Logger): Promise<OpenedStore> {
  let client: SqlClient;
  let description: string;
  let schema = 'public';
  if (config.postgresUrl !== undefined) {
    schema = config.postgresSchema;
    client = await openPostgresClient({ url: config.postgresUrl, schema, maxConnections: config.postgresPoolSize, logger });
    description = `postgresql ${describeUrl(config.postgresUrl)} schema ${schema}`;
  } else if (config.dataDir === 'memory://') {
    client = await openPgliteClient({ logger });
    description = 'pglite in memory';
  } else {
    client = await openPgliteClient({ dataDir: config.dataDir, logger });
    description = `pglite ${config.dataDir}`;
  }
  const store = await SqlStore.open(client, { schema });
  const committer = new GroupCommitter(store);
  return { store, committer, description, close: () => store.close() };
}
