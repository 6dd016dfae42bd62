export { PgliteClient, openPgliteClient } from './pglite-client.ts';
export type { PgliteClientOptions } from './pglite-client.ts';
export { pgliteTemplateFile, schemaTemplateFile } from './template-files.ts';
export { hasSpare, keepAsSpare, makeSpare, replenishSpare, spareDirectory } from './spare-directory.ts';
export { packDirectory } from './template-pack.ts';
export { DataDirInUseError, LOCK_FILE_NAME, acquireDirLock, isProcessAlive } from './lock.ts';
export type { DirLock } from './lock.ts';
