import { setFlagsFromString } from 'node:v8';

/**
 * V8's tiering budget: roughly the bytes of WASM code a function runs before the optimising
 * compiler is asked for it. `default` is V8's own default in Node 20 (V8 11.3).
 */
export const WASM_TIERING_BUDGET = { default: 1_800_000, whileStarting: 180_000_000 } as const;

/** V8 flags that choose WebAssembly's compilers; a user who sets one keeps their choice. */
const WASM_COMPILER_FLAG = /--(?:no-)?(?:liftoff|wasm-tier-up|wasm-dynamic-tiering|wasm-tiering-budget)\b/;

/** Whether the process was started with a flag that picks WebAssembly's compilers itself. */
export function userChoseWasmCompilers(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, nodeOptions ?? ''].some((arg) => WASM_COMPILER_FLAG.test(arg.replace(/_/g, '-')));
}

/**
 * Holds back the optimising compiler (TurboFan) for WebAssembly while the server starts. The
 * embedded database (PostgreSQL compiled to WASM) runs enough code while it opens that ~140 of
 * its functions crossed V8's budget and were recompiled by TurboFan during every start: about a
 * second of a start on two cores, and 430 MB of the compiler's scratch memory allocated and freed
 * (with the allocator setting of `npm start`, scripts/server-env.json, each piece is mapped and
 * unmapped, which made that worse). A hundred times the budget leaves 0-3 functions compiled
 * during a start. Call the returned function once the server listens: it puts the default budget
 * back. A function keeps what is left of its raised budget until it runs out, then goes on with
 * the default, so code that runs hot under load still reaches TurboFan, after about a hundred
 * times more of it has run (the write benchmark's rate was unchanged). V8's flags belong to the
 * whole process (both threads); a function's budget is set when its module is loaded. Does
 * nothing when the process was started with a flag of its own for these compilers.
 */
export function deferWasmTierUp(execArgv: readonly string[], nodeOptions: string | undefined): () => void {
  if (userChoseWasmCompilers(execArgv, nodeOptions)) return () => undefined;
  setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET.whileStarting}`);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET.default}`);
  };
}
