import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

// [design: layers] imports point downward only; pure layers do no I/O.
const SRC = resolve(new URL('../src', import.meta.url).pathname);
const PURE = ['model', 'signals', 'protocol', 'rql', 'policy'];
const RANK: Record<string, number> = { model: 0, signals: 1, protocol: 2, rql: 1, policy: 1, ports: 3, services: 4, adapters: 5, transports: 5, app: 6 };

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.includes('test-helper')) out.push(p);
  }
  return out;
}

function layerOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : 'app';
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

test('imports point downward, transports do not import each other, pure layers do no I/O', () => {
  const problems: string[] = [];
  for (const file of files(SRC)) {
    const layer = layerOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] as string;
      if (PURE.includes(layer) && (spec.startsWith('node:') || !spec.startsWith('.'))) {
        // Pure layers may use only other project modules.
        problems.push(`${relative(SRC, file)} (pure) imports ${spec}`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      const targetLayer = layerOf(target);
      const rankFrom = RANK[layer] ?? 99;
      const rankTo = RANK[targetLayer] ?? 99;
      if (rankTo > rankFrom) problems.push(`${relative(SRC, file)} (${layer}) imports upward ${relative(SRC, target)}`);
      if (layer === 'transports' && targetLayer === 'transports') {
        const from = relative(SRC, file).split('/')[1];
        const to = relative(SRC, target).split('/')[1];
        if (from !== to && to !== 'common') problems.push(`${relative(SRC, file)} imports another transport ${relative(SRC, target)}`);
      }
      if (layer === 'transports' && targetLayer === 'adapters') problems.push(`${relative(SRC, file)} imports an adapter`);
    }
    if (layer !== 'app' && /process\.env/.test(text)) problems.push(`${relative(SRC, file)} reads process.env (only app/ may)`);
    if (PURE.includes(layer) && /Date\.now\(\)|Math\.random\(\)|new Date\(\)/.test(text)) problems.push(`${relative(SRC, file)} (pure) reads the clock or randomness`);
    if (/export \*/.test(text)) problems.push(`${relative(SRC, file)} uses export *`);
  }
  assert.deepEqual(problems, []);
});
