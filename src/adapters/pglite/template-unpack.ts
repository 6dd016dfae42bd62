import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';

// Unpacks the template of a new embedded database (a gzipped tar: PGlite's `dumpDataDir` writes
// the plain one, template-pack.ts the one with Doppel's tables) into a data directory, as a
// stream. PGlite can unpack it itself (`loadDataDir`), but it does so inside the process's memory:
// the whole tarball, unpacked, in JavaScript buffers and in the WASM file system on its way to
// the disk, and the process keeps most of that memory for good (~100 MiB on a first start).
// Unpacked here, PGlite then opens an existing directory.
//
// Only what those writers produce is read: POSIX ustar headers, directories and regular files.
// Anything else (links, devices, extensions) is refused, as are paths leaving the directory, so a
// damaged or foreign file never writes outside it; the caller then falls back to PGlite's own way.

const BLOCK = 512;
/** Bounds what a damaged header can make us write: the template holds ~25 MB, its largest file 16 MiB. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
const MAX_ENTRIES = 100_000;
/** Unpacked bytes per chunk: fewer, larger writes than zlib's default 16 KiB. */
const GUNZIP_CHUNK = 1024 * 1024;

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
 * Unpacks the gzipped tar `file` into `dir` (created, owner-only, when missing). The files are
 * written with synchronous calls: the server runs this in the embedded database's thread, which
 * has nothing else to do then, and for a template of ~1,000 files a round trip through libuv's
 * thread pool per call, in 16 KiB pieces, took 1.15 s instead of 0.68 s. Rejects with
 * TemplateFormatError for anything but directories and regular files inside `dir`, and with the
 * file system's or zlib's error otherwise; what was written by then is left for the caller to
 * remove.
 */
export async function unpackTemplate(file: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let pending: Buffer = Buffer.alloc(0);
  let header: Header | undefined;
  let out: number | undefined;
  let remaining = 0;
  let padding = 0;
  let entries = 0;
  let total = 0;
  let ended = false;
  /** Directories known to exist (most files share one: a call per file would cost a system call each). */
  const made = new Set<string>([resolve(dir)]);
  // The compressed file is small (~1 MB); what it unpacks to is streamed to the disk.
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  gunzip.end(await readFile(file));
  try {
    for await (const chunk of gunzip) {
      if (ended) continue; // the zero blocks after the end marker
      pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
      let at = 0;
      for (;;) {
        if (header !== undefined && remaining > 0) {
          const take = Math.min(remaining, pending.length - at);
          if (take === 0) break;
          if (out !== undefined) writeAll(out, pending.subarray(at, at + take));
          at += take;
          remaining -= take;
          if (remaining > 0) break;
        }
        if (header !== undefined) {
          if (out !== undefined) closeSync(out);
          out = undefined;
          header = undefined;
        }
        if (padding > 0) {
          const skip = Math.min(padding, pending.length - at);
          at += skip;
          padding -= skip;
          if (padding > 0) break;
        }
        if (pending.length - at < BLOCK) break;
        const next = parseHeader(pending.subarray(at, at + BLOCK));
        at += BLOCK;
        if (next === undefined) {
          ended = true;
          break;
        }
        if (++entries > MAX_ENTRIES || (total += next.size) > MAX_TOTAL_BYTES) throw new TemplateFormatError('tar archive: too many entries or bytes for a template');
        const target = targetPath(dir, next.path);
        if (next.type === 'directory') {
          mkdirSync(target, { recursive: true, mode: next.mode | 0o700 });
          made.add(target);
          continue;
        }
        const parent = dirname(target);
        if (!made.has(parent)) {
          mkdirSync(parent, { recursive: true, mode: 0o700 });
          made.add(parent);
        }
        out = openSync(target, 'wx', next.mode | 0o600);
        header = next;
        remaining = next.size;
        padding = (BLOCK - (next.size % BLOCK)) % BLOCK;
      }
      pending = pending.subarray(at);
    }
  } finally {
    if (out !== undefined) closeSync(out);
  }
  if (!ended || header !== undefined) throw new TemplateFormatError('tar archive: ends before its end marker');
}

/** Writes all of `data` (a write may take less than asked in one call). */
function writeAll(out: number, data: Buffer): void {
  for (let at = 0; at < data.length; ) at += writeSync(out, data, at, data.length - at);
}
