export { PgliteClient, openPgliteClient } from './pglite-client.ts';
export type { PgliteClientOptions } from './pglite-client.ts';
export { pgliteTemplateFile, schemaTemplateFile } from './template-files.ts';
export { makeSpare, spareDirectory } from './spare-directory.ts';
export { DataDirInUseError, LOCK_FILE_NAME, acquireDirLock, isProcessAlive } from './lock.ts';
export type { DirLock } from './lock.ts';
