import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { makeSpare, spareDirectory, takeSpare } from './spare-directory.ts';
import { pgliteTemplateFile } from './template-files.ts';
import { openTestPglite, TEST_PGLITE_TEMPLATE_DIR } from '../../../test/support/pglite.ts';
import { tempDirs } from '../../../test/support/temp-dirs.ts';

const tempDir = tempDirs('doppel-spare-');

/** A copy of the plain test template in a directory of its own. */
async function template(): Promise<string> {
  await (await openTestPglite()).close(); // writes the plain template when it is missing
  const plain = await pgliteTemplateFile(TEST_PGLITE_TEMPLATE_DIR);
  assert.ok(plain !== undefined);
  const file = join(await tempDir(), basename(plain));
  await copyFile(plain, file);
  return file;
}

void describe('spare database directory', () => {
  void it('is taken once, by renaming it over what a new data directory holds, without its stamp', async () => {
    const file = await template();
    const spare = await makeSpare(file);
    assert.equal(spare, spareDirectory(file));
    assert.ok((await stat(join(spare, 'PG_VERSION'))).isFile());
    const dataDir = await tempDir();
    const pgdata = join(dataDir, 'pgdata');
    await mkdir(pgdata);
    await writeFile(join(pgdata, 'leftover'), 'from a start that died');
    assert.equal(await takeSpare(file, pgdata), true);
    const entries = await readdir(pgdata);
    assert.ok(entries.includes('PG_VERSION') && !entries.includes('leftover') && !entries.includes('.doppel-template'), entries.join());
    await assert.rejects(stat(spare), { code: 'ENOENT' });
    assert.equal(await takeSpare(file, join(await tempDir(), 'pgdata')), false, 'there is only one');
  });

  void it('is not taken when the template changed since it was made, or is missing', async () => {
    const file = await template();
    const spare = await makeSpare(file);
    await utimes(file, new Date(), new Date(Date.now() + 60_000));
    const pgdata = join(await tempDir(), 'pgdata');
    assert.equal(await takeSpare(file, pgdata), false);
    await assert.rejects(stat(pgdata), { code: 'ENOENT' }, 'nothing moved');
    assert.ok((await stat(spare)).isDirectory());
    assert.equal(await takeSpare(join(await tempDir(), basename(file)), pgdata), false);
  });
});
