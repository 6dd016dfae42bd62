import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { makeSpare, type SpareWorkerReply, type SpareWorkerStart } from './spare-directory.ts';

// The thread that unpacks a spare database directory after a start (spare-directory.ts,
// `replenishSpare`). It runs at the lowest priority: creating the files is system time spent in
// this thread (0.1-0.5 s on the development machine), which the server's requests then come before.

/** Lowers this thread's scheduling priority, on Linux, where a thread has a priority of its own. */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, constants.priority.PRIORITY_LOW);
  } catch {
    // Not Linux, or not allowed: the spare is unpacked at the thread's inherited priority.
  }
}

lowerPriority();
const { templateFile } = workerData as SpareWorkerStart;
const reply = (message: SpareWorkerReply): void => parentPort?.postMessage(message);
makeSpare(templateFile).then(
  (spare) => reply({ ok: true, spare }),
  (e: unknown) => reply({ ok: false, message: e instanceof Error ? e.message : String(e) }),
);
