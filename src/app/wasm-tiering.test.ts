import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { userChoseWasmCompilers } from './wasm-tiering.ts';

const moduleUrl = new URL('./wasm-tiering.ts', import.meta.url).href;

// A WASM module exporting spin(n), the sum of n..1 in a loop:
// (func (param $n i32) (result i32) (local $acc i32)
//   (block (loop (br_if 1 (i32.eqz (local.get $n)))
//     (local.set $acc (i32.add (local.get $acc) (local.get $n)))
//     (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br 0)))
//   (local.get $acc))
const SPIN_MODULE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x08, 0x01, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x0a, 0x23, 0x01, 0x21, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03,
  0x40, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00,
  0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b,
];

/**
 * A child process that compiles the module (after deferring tier-up, when `defer`), runs spin
 * over 2 million iterations in all (past V8's default budget, well short of the raised one),
 * then, when `restore`, puts the default back and runs 20 million more. V8 prints a line for each
 * function it compiles (--trace-wasm-compilation-times); the child's output is returned.
 */
function runChild(defer: boolean, restore: boolean): string {
  const script = `
    import { deferWasmTierUp } from ${JSON.stringify(moduleUrl)};
    import { setTimeout as sleep } from 'node:timers/promises';
    const restore = ${defer} ? deferWasmTierUp([], undefined) : () => undefined;
    const spin = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(${JSON.stringify(SPIN_MODULE)}))).exports.spin;
    if (spin(4) !== 10) throw new Error('the test module computes the wrong sum');
    // Tier-up compiles on a background thread: pauses let it finish while the loop goes on.
    const run = async (n) => { for (let i = 0; i < 20; i++) { spin(n); await sleep(5); } };
    await run(100_000);
    if (${restore}) { restore(); await run(1_000_000); }
  `;
  const r = spawnSync(process.execPath, ['--trace-wasm-compilation-times', '--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /using Liftoff/, 'the function is first compiled by the baseline compiler');
  return r.stdout;
}

test('while tier-up is deferred a warm WASM function stays with the baseline compiler; restored, a hot one tiers up', () => {
  assert.match(runChild(false, false), /using TurboFan/, 'with the default budget the same work tiers up');
  assert.doesNotMatch(runChild(true, false), /using TurboFan/);
  assert.match(runChild(true, true), /using TurboFan/, 'the hot function is optimised once the budget is back');
});

test('a flag of the user for the WASM compilers leaves the budget alone', () => {
  assert.equal(userChoseWasmCompilers([], undefined), false);
  assert.equal(userChoseWasmCompilers(['--max-semi-space-size=8', '--expose-gc'], '--enable-source-maps'), false);
  assert.equal(userChoseWasmCompilers(['--liftoff-only'], undefined), true);
  assert.equal(userChoseWasmCompilers([], '--max-old-space-size=512 --no-wasm-tier-up'), true);
  assert.equal(userChoseWasmCompilers(['--wasm_tiering_budget=100'], undefined), true);
  assert.equal(userChoseWasmCompilers(['--no-liftoff'], undefined), true);
});
