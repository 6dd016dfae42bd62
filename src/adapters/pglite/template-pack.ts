import { createWriteStream, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

// Writes a directory as a gzipped POSIX ustar archive: the templates of new embedded databases
// (store.ts, `writeEmbeddedTemplate`). PGlite's own `dumpDataDir` can only dump a running
// database, whose control file then says it was never shut down, so that every database started
// from it would begin with crash recovery; a template packed here is of a database that PGlite
// has closed. Entry names are as `dumpDataDir` writes them ('/base/5/1259'), which both
// template-unpack.ts and PGlite's `loadDataDir` (in-memory databases) read.

const BLOCK = 512;

export class TemplatePackError extends Error {
  override readonly name = 'TemplatePackError';
}

interface Entry {
  readonly name: string;
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly mode: number;
  readonly mtimeSeconds: number;
}

/** Every directory and regular file below `dir`, each directory before what it holds, sorted. */
function entries(dir: string, below = ''): Entry[] {
  const found: Entry[] = [];
  for (const name of readdirSync(join(dir, below)).sort()) {
    const path = join(dir, below, name);
    const s = lstatSync(path);
    const entry = { name: `${below}/${name}`, path, mode: s.mode & 0o777, mtimeSeconds: Math.floor(s.mtimeMs / 1000) };
    if (s.isDirectory()) found.push({ ...entry, type: 'directory' }, ...entries(dir, `${below}/${name}`));
    else if (s.isFile()) found.push({ ...entry, type: 'file' });
    else throw new TemplatePackError(`${path} is neither a directory nor a regular file`);
  }
  return found;
}

/** A ustar header: names up to 100 bytes, or split into a prefix (up to 155) and a name. */
export function ustarHeader(name: string, type: 'file' | 'directory', size: number, mode: number, mtimeSeconds: number): Buffer {
  // The reader (template-unpack.ts) takes names as latin1: ASCII reads back the same either way.
  if (!/^[\x20-\x7e]+$/.test(name)) throw new TemplatePackError(`'${name}' is not a printable ASCII name`);
  const block = Buffer.alloc(BLOCK);
  let prefix = '';
  let rest = name;
  if (name.length > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, Math.max(cut, 0));
    rest = name.slice(cut + 1);
    if (cut <= 0 || prefix.length > 155 || rest.length > 100) throw new TemplatePackError(`'${name}' is too long for a ustar header`);
  }
  const put = (text: string, offset: number): void => void block.write(text, offset, 'latin1');
  const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;
  put(rest, 0);
  put(octal(mode, 8), 100);
  put(octal(0, 8), 108); // uid
  put(octal(0, 8), 116); // gid
  put(octal(size, 12), 124);
  put(octal(mtimeSeconds, 12), 136);
  put(type === 'directory' ? '5' : '0', 156);
  put('ustar\u000000', 257);
  put(prefix, 345);
  block.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  let sum = 0;
  for (const byte of block) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

function* archive(dir: string): Generator<Buffer> {
  for (const e of entries(dir)) {
    if (e.type === 'directory') {
      yield ustarHeader(e.name, 'directory', 0, e.mode, e.mtimeSeconds);
      continue;
    }
    const data = readFileSync(e.path);
    yield ustarHeader(e.name, 'file', data.length, e.mode, e.mtimeSeconds);
    yield data;
    if (data.length % BLOCK !== 0) yield Buffer.alloc(BLOCK - (data.length % BLOCK));
  }
  yield Buffer.alloc(2 * BLOCK); // the end marker
}

/** Writes `dir` (which nothing writes to meanwhile) to `file` as a gzipped tar, replaced atomically. */
export async function packDirectory(dir: string, file: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await pipeline(Readable.from(archive(dir)), createGzip(), createWriteStream(temp));
    await rename(temp, file); // so that a concurrent reader never sees half an archive
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}
