import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';

// Unpacks the template of a new embedded database (a gzipped tar, see template-pack.ts) into a
// data directory. PGlite can unpack it itself (`loadDataDir`), but it does so inside the
// process's memory: the whole tarball, unpacked, in JavaScript buffers and in the WASM file
// system on its way to the disk, and the process keeps most of that memory for good (~100 MiB on
// a first start). Unpacked here, PGlite then opens an existing directory.
//
// Only what such a writer produces is read: POSIX ustar headers, directories and regular files.
// Anything else (links, devices, extensions) is refused, as are paths leaving the directory, so a
// damaged or foreign file never writes outside it; the caller then falls back to PGlite's own way.

const BLOCK = 512;
/**
 * Bounds what a damaged file can make us unpack and write: the template unpacks to ~25 MB, its
 * largest file (the WAL segment) 16 MiB.
 */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_TOTAL_BYTES = 128 * 1024 * 1024;
const MAX_ENTRIES = 100_000;

export class TemplateFormatError extends Error {
  override readonly name = 'TemplateFormatError';
}

interface Header {
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly mode: number;
  readonly size: number;
}

/** A NUL-terminated field of a header, as latin1 text. */
function field(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('latin1', offset, end < 0 || end > offset + length ? offset + length : end);
}

function octal(block: Buffer, offset: number, length: number, what: string): number {
  const text = field(block, offset, length).trim();
  if (!/^[0-7]{1,12}$/.test(text)) throw new TemplateFormatError(`tar header: ${what} '${text}' is not an octal number`);
  return parseInt(text, 8);
}

/** The header in `block`, or undefined for an end-of-archive block (all zeros). */
export function parseHeader(block: Buffer): Header | undefined {
  if (block.every((b) => b === 0)) return undefined;
  if (block.toString('latin1', 257, 262) !== 'ustar') throw new TemplateFormatError('tar header: not a ustar header');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  if (sum !== octal(block, 148, 8, 'checksum')) throw new TemplateFormatError('tar header: wrong checksum');
  const typeflag = String.fromCharCode(block[156] as number);
  const type = typeflag === '0' || typeflag === '\0' ? 'file' : typeflag === '5' ? 'directory' : undefined;
  if (type === undefined) throw new TemplateFormatError(`tar header: entry type '${typeflag}' is not supported`);
  const name = field(block, 0, 100);
  const prefix = field(block, 345, 155);
  const size = octal(block, 124, 12, 'size');
  if (size > MAX_FILE_BYTES || (type === 'directory' && size !== 0)) throw new TemplateFormatError(`tar header: size ${size} of '${name}'`);
  return { path: prefix === '' ? name : `${prefix}/${name}`, type, mode: octal(block, 100, 8, 'mode') & 0o777, size };
}

/** Where `path` (as the archive names it, often with a leading '/') goes below `dir`; refuses any way out. */
export function targetPath(dir: string, path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..' || p.includes('\\') || p.includes('\0'))) throw new TemplateFormatError(`tar entry '${path}' is not a path inside the directory`);
  const target = resolve(dir, ...parts);
  const inside = relative(resolve(dir), target);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..') throw new TemplateFormatError(`tar entry '${path}' is not a path inside the directory`);
  return target;
}

/**
 * Unpacks the gzipped tar `file` into `dir` (created, owner-only, when missing), synchronously:
 * the server runs this in the embedded database's thread, which has nothing else to do then, and
 * its main thread is loading modules meanwhile, through the same libuv thread pool that an
 * asynchronous gunzip and asynchronous writes would queue on. Runs of zeros (4 KiB blocks) are not
 * written but left as holes, which read back as zeros: most of a new database's 16 MiB WAL
 * segment, and pages not yet used. Throws TemplateFormatError for anything but directories and
 * regular files inside `dir`, and the file system's or zlib's error otherwise; what was written
 * by then is left for the caller to remove.
 */
export function unpackTemplate(file: string, dir: string): void {
  // The whole archive unpacked in memory (the template: ~25 MB, for a moment), bounded.
  const tar = gunzipSync(readFileSync(file), { maxOutputLength: MAX_TOTAL_BYTES + MAX_ENTRIES * 2 * BLOCK });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  /** Directories known to exist (most files share one: a call per file would cost a system call each). */
  const made = new Set<string>([resolve(dir)]);
  let entries = 0;
  let total = 0;
  for (let at = 0; ; ) {
    if (tar.length - at < BLOCK) throw new TemplateFormatError('tar archive: ends before its end marker');
    const header = parseHeader(tar.subarray(at, at + BLOCK));
    at += BLOCK;
    if (header === undefined) return;
    if (++entries > MAX_ENTRIES || (total += header.size) > MAX_TOTAL_BYTES) throw new TemplateFormatError('tar archive: too many entries or bytes for a template');
    const target = targetPath(dir, header.path);
    if (header.type === 'directory') {
      mkdirSync(target, { recursive: true, mode: header.mode | 0o700 });
      made.add(target);
      continue;
    }
    if (tar.length - at < header.size) throw new TemplateFormatError('tar archive: ends before its end marker');
    const parent = dirname(target);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true, mode: 0o700 });
      made.add(parent);
    }
    const out = openSync(target, 'wx', header.mode | 0o600);
    try {
      writeSparse(out, tar.subarray(at, at + header.size));
    } finally {
      closeSync(out);
    }
    at += header.size + ((BLOCK - (header.size % BLOCK)) % BLOCK);
  }
}

const PAGE = 4096;
const ZEROS = Buffer.alloc(PAGE);

/**
 * Writes `data` to the new file `out`, skipping every 4 KiB block of zeros: the blocks between
 * them are written in one call each, and a file ending in zeros is extended to its length.
 */
function writeSparse(out: number, data: Buffer): void {
  let run = -1; // where the blocks not yet written start, or -1
  for (let block = 0; block < data.length; block += PAGE) {
    const end = Math.min(block + PAGE, data.length);
    const zero = data.subarray(block, end).equals(ZEROS.subarray(0, end - block));
    if (!zero && run < 0) run = block;
    if (zero && run >= 0) {
      writeAll(out, data.subarray(run, block), run);
      run = -1;
    }
  }
  if (run >= 0) writeAll(out, data.subarray(run), run);
  else if (data.length > 0) ftruncateSync(out, data.length);
}

/** Writes all of `data` at `position` (a write may take less than asked in one call). */
function writeAll(out: number, data: Buffer, position: number): void {
  for (let done = 0; done < data.length; ) done += writeSync(out, data, done, data.length - done, position + done);
}
