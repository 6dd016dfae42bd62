import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { TemplateFormatError, targetPath, unpackTemplate } from './template-unpack.ts';
import { tempDirs } from '../../../test/support/temp-dirs.ts';

const tempDir = tempDirs('doppel-unpack-');

/** One ustar header block, with its checksum (or a wrong one). */
function header(name: string, size: number, typeflag: string, options: { prefix?: string; badChecksum?: boolean } = {}): Buffer {
  const block = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number): void => void block.write(text.slice(0, length), offset, 'latin1');
  put(name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124, 12);
  put('00000000000\0', 136, 12);
  put(typeflag, 156, 1);
  put('ustar\u000000', 257, 8);
  if (options.prefix !== undefined) put(options.prefix, 345, 155);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  put(`${(options.badChecksum === true ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

function entry(name: string, content: string | undefined, typeflag = content === undefined ? '5' : '0', options: { prefix?: string; badChecksum?: boolean } = {}): Buffer {
  const data = Buffer.from(content ?? '', 'utf8');
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header(name, data.length, typeflag, options), data, padding]);
}

async function archive(dir: string, parts: readonly Buffer[], end = true): Promise<string> {
  const file = join(dir, 'template.tar.gz');
  await writeFile(file, gzipSync(Buffer.concat([...parts, ...(end ? [Buffer.alloc(1024)] : [])])));
  return file;
}

void describe('unpackTemplate', () => {
  void it('unpacks what PGlite dumped, and PGlite opens the result as an existing database', async () => {
    const source = await PGlite.create();
    await source.exec(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('from the template')`);
    const dump = await source.dumpDataDir('gzip');
    await source.close();
    const work = await tempDir();
    const file = join(work, 'template.tar.gz');
    await writeFile(file, new Uint8Array(await dump.arrayBuffer()));
    const pgdata = join(work, 'pgdata');
    await unpackTemplate(file, pgdata);
    assert.ok((await stat(join(pgdata, 'PG_VERSION'))).isFile());
    const db = await PGlite.create({ dataDir: pgdata });
    try {
      assert.deepEqual((await db.query('SELECT v FROM kept')).rows, [{ v: 'from the template' }]);
    } finally {
      await db.close();
    }
  });

  void it('writes directories and files, with a ustar prefix and data spanning several blocks', async () => {
    const work = await tempDir();
    const big = 'x'.repeat(70_000);
    const file = await archive(work, [entry('/a', undefined), entry('/a/b', undefined), entry('c.txt', big, '0', { prefix: 'a/b' }), entry('/empty', ''), entry('/d/e/f', 'no directory entries before it')]);
    const out = join(work, 'out');
    await unpackTemplate(file, out);
    assert.equal(await readFile(join(out, 'a', 'b', 'c.txt'), 'utf8'), big);
    assert.equal(await readFile(join(out, 'empty'), 'utf8'), '');
    assert.equal(await readFile(join(out, 'd', 'e', 'f'), 'utf8'), 'no directory entries before it');
  });

  void it('refuses links, paths out of the directory, wrong checksums and cut archives, writing nothing outside', async () => {
    const cases: [string, Buffer[], boolean][] = [
      ['a symbolic link', [entry('/link', undefined, '2')], true],
      ['a path up and out', [entry('../escaped', 'no')], true],
      ['a path up and out through a prefix', [entry('escaped', 'no', '0', { prefix: '..' })], true],
      ['a wrong checksum', [entry('/file', 'no', '0', { badChecksum: true })], true],
      ['an archive without its end', [entry('/file', 'yes')], false],
    ];
    for (const [what, parts, end] of cases) {
      const work = await tempDir();
      const out = join(work, 'out');
      const file = await archive(work, parts, end);
      await assert.rejects(unpackTemplate(file, out), TemplateFormatError, what);
      assert.deepEqual((await readdir(work)).sort(), ['out', 'template.tar.gz'], `${what}: nothing next to the directory`);
    }
  });

  void it('maps archive paths below the directory only', () => {
    assert.equal(targetPath('/d', '/base/1/2619'), join('/d', 'base', '1', '2619'));
    assert.equal(targetPath('/d', './global//pg_control'), join('/d', 'global', 'pg_control'));
    for (const bad of ['', '/', '..', '/a/../../b', 'a\\..\\b', 'a\0b']) assert.throws(() => targetPath('/d', bad), TemplateFormatError, JSON.stringify(bad));
  });
});
