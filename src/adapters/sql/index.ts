export type { SqlClient, SqlQueryable, SqlRow, StoreLogger } from './client.ts';
export { BATCH_WRITE, CUSTOM_PLAN } from './client.ts';
export { InvalidIdentifierError, quoteIdentifier, schemaIdentifier } from './identifiers.ts';
export { ensureSchema, ensureStoreSchema, storeTables } from './schema.ts';
export type { StoreTables } from './schema.ts';
export { SqlStore } from './sql-store.ts';
export type { CommitHook, SqlStoreOptions } from './sql-store.ts';
export { EMBEDDED_NUMBER_STATISTICS } from './search-schema.ts';
export { SqlSearchIndex } from './search-index.ts';
