export { PostgresClient, describeUrl, openPostgresClient } from './postgres-client.ts';
export type { PostgresClientOptions } from './postgres-client.ts';
