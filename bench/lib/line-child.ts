// A helper process of a benchmark that talks in lines: it prints `READY` when set up and, after
// `REPORT` on its stdin (or when done), one JSON line. Killed at cleanup.

import { spawn } from 'node:child_process';
import { REPO_ROOT } from './children.ts';
import { onCleanup } from './cleanup.ts';

export interface LineChild {
  /** Resolves with the next stdout line. */
  line(): Promise<string>;
  send(text: string): void;
  stop(): Promise<void>;
}

/** Runs `node --import tsx <script> <role> <spec JSON>`. */
export function spawnLineChild(script: string, role: string, spec: object): LineChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, role, JSON.stringify(spec)], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const l = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiting.shift();
      if (w === undefined) lines.push(l);
      else w(l);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = onCleanup(`${role} child`, async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  return {
    line: () => {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        void exited.then(() => reject(new Error(`${role} child exited: ${stderr.slice(-2000)}`)));
      });
    },
    send: (text) => child.stdin.write(`${text}\n`),
    stop,
  };
}

export async function ready(child: LineChild): Promise<void> {
  const l = await child.line();
  if (l !== 'READY') throw new Error(`expected READY, got ${l}`);
}

export async function report<T>(child: LineChild): Promise<T> {
  child.send('REPORT');
  return JSON.parse(await child.line()) as T;
}
