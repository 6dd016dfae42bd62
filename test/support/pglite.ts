import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgliteClient, type PgliteClient } from '../../src/adapters/pglite/index.ts';

/** Shared by all test processes: a new database is unpacked from it instead of running initdb. */
export const TEST_PGLITE_TEMPLATE_DIR = join(tmpdir(), 'doppel-test-pglite-template');

/** An embedded database for a test: in memory, or in `dataDir`. */
export function openTestPglite(dataDir?: string): Promise<PgliteClient> {
  return openPgliteClient(dataDir === undefined ? { templateDir: TEST_PGLITE_TEMPLATE_DIR } : { dataDir, templateDir: TEST_PGLITE_TEMPLATE_DIR });
}
