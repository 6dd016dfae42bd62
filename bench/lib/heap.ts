// Summarises a V8 .heapsnapshot: shallow (self) size per constructor or type, largest first. No
// retained sizes (that needs the dominator tree), but enough to see what a cache entry is made of.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface HeapSnapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: readonly string[]; readonly node_types: readonly [readonly string[], ...unknown[]] } };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

export interface HeapShare {
  readonly name: string;
  readonly count: number;
  readonly selfMiB: number;
}

export interface HeapSummary {
  readonly file: string;
  readonly totalMiB: number;
  readonly top: readonly HeapShare[];
}

const MIB = 1024 * 1024;

export async function summariseHeap(file: string, n = 25): Promise<HeapSummary> {
  const snap = JSON.parse(await readFile(file, 'utf8')) as HeapSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] ?? 0] ?? '?';
    const size = snap.nodes[i + sizeAt] ?? 0;
    total += size;
    // Objects and closures by constructor/function name; strings, arrays, code... by their type.
    const key = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + nameAt] ?? 0] ?? '?'}` : `(${type})`;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
  }
  const top = [...groups.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, n)
    .map(([name, g]) => ({ name, count: g.count, selfMiB: Math.round((g.bytes / MIB) * 10) / 10 }));
  return { file, totalMiB: Math.round((total / MIB) * 10) / 10, top };
}

/** Waits until `pid`'s .heapsnapshot appears in `dir` and stops growing; undefined after `timeoutMs`. */
export async function awaitHeapSnapshot(dir: string, pid: number, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const name = (await readdir(dir)).filter((f) => f.endsWith('.heapsnapshot') && f.includes(`.${pid}.`)).sort().pop();
    if (name === undefined) continue;
    const size = (await stat(join(dir, name))).size;
    if (size > 0 && size === last) return join(dir, name);
    last = size;
  }
  return undefined;
}

export function printHeap(h: HeapSummary, n = 20): void {
  console.log(`  heap snapshot ${h.file}: ${h.totalMiB} MiB of JS heap objects`);
  for (const s of h.top.slice(0, n)) console.log(`    ${String(s.selfMiB).padStart(7)} MiB  ${String(s.count).padStart(9)}  ${s.name}`);
}
