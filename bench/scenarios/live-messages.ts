// Live messages (docs/benchmarks.md "Live messages"): HTTP POST .../inbox/messages/ping →
// Doppel → one of 100 device WebSocket sessions (a separate process) → its response → the HTTP
// caller. First as many round trips per second as 64 connections get through, then paced at half
// that rate for the latency. The load generator is a third process (bench/load.ts).

import { fileURLToPath } from 'node:url';
import { runLoadOn } from '../lib/children.ts';
import { startDoppel } from '../lib/doppel.ts';
import { DITTO_BASIC, forEachBounded, HttpClient, withRetries } from '../lib/http.ts';
import { ready, report, spawnLineChild } from '../lib/line-child.ts';
import type { LoadResult, LoadSpec } from '../lib/load-spec.ts';
import { describeLoad, fmt, machine, median, printGoals, type Goal } from '../lib/report.ts';
import { prepareStore } from '../lib/stores.ts';
import type { DevicesReport, DevicesSpec } from './live-messages-devices.ts';
import type { BenchOptions } from './options.ts';

const DEVICES = fileURLToPath(new URL('./live-messages-devices.ts', import.meta.url));
const SESSIONS = 100;
const CONNECTIONS = 64;
/** Device n is the thing `bench.d<n>:device`, alone in its namespace, so each session gets its own device's messages. */
const PREFIX = 'bench.d';
const SUFFIX = ':device/inbox/messages/ping';

export async function liveMessagesScenario(o: BenchOptions): Promise<object> {
  const started = machine();
  const store = await prepareStore('pglite', o.postgresUrl);
  const doppel = await startDoppel({ store, serverDir: o.server.dir, cpuProfDir: o.cpuProfDir, name: 'doppel-live' });
  const namespaces = Array.from({ length: SESSIONS }, (_, n) => `${PREFIX}${n}`);
  const client = new HttpClient(doppel.origin, 16);
  try {
    await forEachBounded(SESSIONS, 16, async (n) => {
      const path = `/api/2/things/${PREFIX}${n}:device`;
      await withRetries(() => client.call('PUT', path, { authorization: DITTO_BASIC, 'content-type': 'application/json' }, '{}'), (a) => a.status === 201 || a.status === 204, `PUT ${path}`);
    });
  } finally {
    client.close();
  }
  const devices = spawnLineChild(DEVICES, 'devices', { origin: doppel.origin, namespaces } satisfies DevicesSpec);
  await ready(devices);
  console.log(`live-messages: ${SESSIONS} device sessions answering, ${CONNECTIONS} HTTP connections`);

  const spec = (extra: Partial<LoadSpec> = {}): LoadSpec => ({
    mode: 'max',
    origin: doppel.origin,
    method: 'POST',
    idPrefix: PREFIX,
    idCount: SESSIONS,
    suffix: SUFFIX,
    headers: { authorization: DITTO_BASIC, 'content-type': 'application/json' },
    connections: CONNECTIONS,
    durationSeconds: o.seconds,
    ...extra,
  });
  try {
    await runLoadOn(doppel, spec({ durationSeconds: o.warmupSeconds }));
    const maxRounds: LoadResult[] = [];
    for (let i = 0; i < o.rounds; i++) {
      const r = await runLoadOn(doppel, spec());
      maxRounds.push(r);
      console.log(describeLoad(`round trips, round ${i + 1}`, r));
    }
    const perSecond = median(maxRounds.map((r) => r.okPerSecond));
    const rate = Math.max(1, Math.floor(perSecond / 2));
    const paced = await runLoadOn(doppel, spec({ mode: 'paced', rate }));
    console.log(describeLoad(`paced at ${fmt(rate)}/s`, paced));
    const answered = await report<DevicesReport>(devices);
    console.log(`  devices answered ${fmt(answered.answered)} messages, ${answered.closed} sessions closed; machine load average ${machine().loadAverage.join(' ')}`);
    const failures = maxRounds.reduce((a, r) => a + r.non2xx + r.errors, 0) + paced.non2xx + paced.errors;
    const goals: Goal[] = [
      { name: 'live message round trips per second, 100 device sessions', goal: '>= 5,000/s', measured: `${fmt(perSecond)}/s`, met: perSecond >= 5_000 },
      { name: `round trip p99 at half that rate (${fmt(rate)}/s)`, goal: '<= 20 ms', measured: `${paced.latencyMs.p99} ms (p50 ${paced.latencyMs.p50} ms)`, met: paced.latencyMs.p99 <= 20 },
      { name: 'every message answered', goal: 'no failures', measured: failures === 0 ? 'none failed' : `${fmt(failures)} failed`, met: failures === 0 },
    ];
    printGoals(goals);
    return { scenario: 'live-messages', machine: started, loadAverageAtEnd: machine().loadAverage, sessions: SESSIONS, connections: CONNECTIONS, maxRounds, paced, devices: answered, goals };
  } finally {
    await devices.stop();
    await doppel.stop();
    await store.dispose();
  }
}
