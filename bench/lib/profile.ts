// Summarises a V8 .cpuprofile (node --cpu-prof): where the busy samples went, by function (self
// and inclusive) and by area (a src/ folder, a package, node internals, GC).

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

export interface Share {
  readonly name: string;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly samples: number;
  /** Samples that were not (idle), in percent of all. */
  readonly busyPercent: number;
  /** Percentages below are of busy samples. */
  readonly topSelf: readonly Share[];
  readonly topInclusive: readonly Share[];
  readonly byArea: readonly Share[];
}

/** node_modules/... or src/... whichever directory the server ran from; node:... as is. */
function location(url: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  const m = /\/(node_modules\/.*)$/.exec(path) ?? /\/(src\/.*)$/.exec(path);
  return m?.[1] ?? path;
}

function area(frame: CallFrame): string {
  const where = location(frame.url);
  if (where === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8 builtins)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (pkg !== null) return `package ${pkg[1] ?? ''}`;
  if (where.startsWith('node:')) return 'node internals';
  const src = /^(src\/(?:[^/]+\/)?)/.exec(where);
  return src?.[1] ?? where;
}

function label(frame: CallFrame): string {
  const where = location(frame.url);
  const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  // tsx-compiled sources report line 0 for everything; a line is shown only when it means something.
  return where === '' ? fn : frame.lineNumber > 0 ? `${fn}  ${where}:${frame.lineNumber + 1}` : `${fn}  ${where}`;
}

function top(counts: Map<string, number>, busy: number, n: number): Share[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, c]) => ({ name, percent: Math.round((c / busy) * 1000) / 10 }));
}

const bump = (m: Map<string, number>, k: string): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};

export async function summariseProfile(file: string, n = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    busy++;
    bump(self, label(node.callFrame));
    bump(areas, area(node.callFrame));
    // Each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame === undefined || frame.functionName === '(root)') continue;
      const key = label(frame);
      if (!seen.has(key)) {
        seen.add(key);
        bump(inclusive, key);
      }
    }
  }
  const samples = profile.samples.length;
  return {
    file,
    samples,
    busyPercent: samples === 0 ? 0 : Math.round((busy / samples) * 1000) / 10,
    topSelf: top(self, busy, n),
    topInclusive: top(inclusive, busy, n),
    byArea: top(areas, busy, n),
  };
}

export function printProfile(p: ProfileSummary, n = 15): void {
  console.log(`  profile ${p.file}: ${p.samples} samples, ${p.busyPercent}% busy`);
  const show = (title: string, shares: readonly Share[]): void => {
    console.log(`  ${title}`);
    for (const s of shares.slice(0, n)) console.log(`    ${s.percent.toFixed(1).padStart(5)}%  ${s.name}`);
  };
  show('by area (self):', p.byArea);
  show('functions by self time:', p.topSelf);
  show('functions by inclusive time:', p.topInclusive);
}

/**
 * The profile of `pid`'s main thread in `dir`. Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile;
 * with `--import tsx` thread 1 is the module loader's worker, which is not what we want.
 */
export async function findProfile(dir: string, pid: number): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const name = names.filter((n) => n.endsWith('.cpuprofile') && n.includes(`.${pid}.0.`)).sort().pop();
  return name === undefined ? undefined : join(dir, name);
}
