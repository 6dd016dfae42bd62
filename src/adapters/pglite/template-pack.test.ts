import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { TemplatePackError, packDirectory, ustarHeader } from './template-pack.ts';
import { parseHeader, unpackTemplate } from './template-unpack.ts';
import { tempDirs } from '../../../test/support/temp-dirs.ts';

const tempDir = tempDirs('doppel-pack-');

void describe('packDirectory', () => {
  void it('packs what unpackTemplate unpacks as it was', async () => {
    const work = await tempDir();
    const source = join(work, 'source');
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}`; // with the file's name, over 100 bytes: a ustar prefix
    await mkdir(join(source, deep), { recursive: true });
    await mkdir(join(source, 'empty-dir'));
    const big = Buffer.alloc(3 * 1024 * 1024);
    big.write('start', 0);
    big.write('end', big.length - 3);
    await writeFile(join(source, 'big'), big);
    await writeFile(join(source, 'zeros'), Buffer.alloc(10_000));
    await writeFile(join(source, 'empty'), '');
    await writeFile(join(source, deep, 'f'.repeat(30)), 'x'.repeat(70_001));
    const file = join(work, 'out.tar.gz');
    await packDirectory(source, file);
    assert.deepEqual((await readdir(work)).sort(), ['out.tar.gz', 'source'], 'no temporary file is left');

    const out = join(work, 'out');
    await unpackTemplate(file, out);
    assert.deepEqual(await readFile(join(out, 'big')), big);
    assert.deepEqual(await readFile(join(out, 'zeros')), Buffer.alloc(10_000));
    assert.equal((await readFile(join(out, 'empty'))).length, 0);
    assert.equal(await readFile(join(out, deep, 'f'.repeat(30)), 'utf8'), 'x'.repeat(70_001));
    assert.ok((await stat(join(out, 'empty-dir'))).isDirectory());
  });

  void it('writes headers the reader takes back, and refuses names it would not', () => {
    const header = ustarHeader(`/${'a'.repeat(120)}/b`, 'file', 12345, 0o600, 1_800_000_000);
    assert.deepEqual(parseHeader(header), { path: `/${'a'.repeat(120)}/b`, type: 'file', mode: 0o600, size: 12345 });
    assert.deepEqual(parseHeader(ustarHeader('/base', 'directory', 0, 0o700, 0)), { path: '/base', type: 'directory', mode: 0o700, size: 0 });
    assert.throws(() => ustarHeader(`/${'a'.repeat(101)}`, 'file', 0, 0o600, 0), TemplatePackError);
    assert.throws(() => ustarHeader('/base/é', 'file', 0, 0o600, 0), TemplatePackError, 'the reader would take it back as another name');
  });

  void it('refuses anything but directories and regular files, leaving no file behind', async () => {
    const work = await tempDir();
    const source = join(work, 'source');
    await mkdir(source);
    await symlink('/etc/hostname', join(source, 'link'));
    await assert.rejects(packDirectory(source, join(work, 'out.tar.gz')), TemplatePackError);
    assert.deepEqual(await readdir(work), ['source']);
  });

  void it('packs a closed database that PGlite then loads into memory (its own reader)', async () => {
    const work = await tempDir();
    const pgdata = join(work, 'pgdata');
    const source = await PGlite.create({ dataDir: pgdata });
    await source.exec(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('packed')`);
    await source.close();
    const file = join(work, 'template.tar.gz');
    await packDirectory(pgdata, file);
    const db = await PGlite.create({ loadDataDir: new Blob([new Uint8Array(await readFile(file))]) });
    try {
      assert.deepEqual((await db.query('SELECT v FROM kept')).rows, [{ v: 'packed' }]);
    } finally {
      await db.close();
    }
  });
});
