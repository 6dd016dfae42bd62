import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/** `.ts` when run from the sources, `.js` when compiled: the worker modules beside this one share it. */
const EXTENSION = extname(fileURLToPath(import.meta.url));

/**
 * A thread running the module `name` of this directory (`pglite-worker`, `spare-worker`). Run from
 * the sources (tests, the benchmark's older trees), the thread loads TypeScript through tsx's
 * loader first: a loader registered with `--import` in the server's thread does not reach worker
 * threads on Node 20.
 */
export function startModuleWorker(name: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const url = new URL(`./${name}${EXTENSION}`, import.meta.url);
  const options = resourceLimits === undefined ? { workerData } : { workerData, resourceLimits };
  if (EXTENSION !== '.ts') return new Worker(url, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
