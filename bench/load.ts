// The load generator, run as its own process so that it never shares an event loop (or a core's
// time slice accounting) with the server it measures. Usage: load.ts '<LoadSpec as JSON>'.
// Prints one line: the LoadResult as JSON.

import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { thingPath, type LatencyMs, type LoadResult, type LoadSpec } from './lib/load-spec.ts';

function randomPath(spec: LoadSpec): string {
  return thingPath(spec.idPrefix, Math.floor(Math.random() * spec.idCount), spec.suffix);
}

function randomBody(spec: LoadSpec): string | undefined {
  return spec.method === 'PUT' ? String(Math.floor(Math.random() * 1_000_000_000)) : undefined;
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const limited = spec.mode === 'autocannon-rate' && spec.rate !== undefined;
  const result = await autocannon({
    url: spec.origin,
    connections: spec.connections,
    duration: spec.durationSeconds,
    method: spec.method,
    headers: { ...spec.headers },
    // One request template, rebuilt before every send: a random thing each time.
    requests: [{
      setupRequest: (req) => {
        const body = randomBody(spec);
        return { ...req, path: randomPath(spec), ...(body === undefined ? {} : { body }) };
      },
    }],
    ...(limited ? { overallRate: spec.rate, ignoreCoordinatedOmission: true } : {}),
  });
  // With a rate, autocannon "corrects" latencies with an expected interval of ceil(1/rate) ms,
  // i.e. 1 ms whatever the rate, which invents samples; ignoreCoordinatedOmission turns that off.
  const l = result.latency;
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count ?? 0;
  return {
    mode: spec.mode,
    connections: spec.connections,
    durationSeconds: result.duration,
    okPerSecond: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p99_9, max: l.max, mean: l.mean },
    ...(spec.rate === undefined ? {} : { targetRate: spec.rate }),
  };
}

function percentiles(samples: Float64Array): LatencyMs {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const sum = sorted.reduce((a, b) => a + b, 0);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), p999: round(at(0.999)), max: round(at(1)), mean: round(sorted.length === 0 ? 0 : sum / sorted.length) };
}

/**
 * Open loop: request i is due at start + i/rate and is sent then (from a 1 ms timer), whether or
 * not earlier ones have answered; its latency counts from when it was due, so a stalled server
 * shows up in the figures instead of silently slowing the generator down.
 */
async function runPaced(spec: LoadSpec): Promise<LoadResult> {
  const rate = spec.rate ?? 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const url = new URL(spec.origin);
  const total = Math.floor(rate * spec.durationSeconds);
  const latencies = new Float64Array(total);
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let settled = 0;
  const start = performance.now();
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const settle = (): void => {
    if (++settled === total) finish();
  };
  const fire = (due: number): void => {
    const body = randomBody(spec);
    const headers: Record<string, string> = { ...spec.headers };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request({ agent, host: url.hostname, port: url.port, method: spec.method, path: randomPath(spec), headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        statusCodes[String(status)] = (statusCodes[String(status)] ?? 0) + 1;
        if (status >= 200 && status < 300) latencies[ok++] = performance.now() - due;
        else non2xx++;
        settle();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      errors++;
      settle();
    });
    req.end(body);
  };
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
    while (sent < due) fire(start + (sent++ * 1000) / rate);
    if (sent >= total) clearInterval(timer);
  }, 1);
  // Bounded: whatever has not answered 15 s after the last send counts as lost.
  const cap = setTimeout(finish, spec.durationSeconds * 1000 + 15_000);
  await finished;
  clearTimeout(cap);
  clearInterval(timer);
  const durationSeconds = (performance.now() - start) / 1000;
  agent.destroy();
  return {
    mode: 'paced',
    connections: spec.connections,
    durationSeconds,
    okPerSecond: ok / spec.durationSeconds,
    ok,
    non2xx,
    errors: errors + (total - settled),
    statusCodes,
    latencyMs: percentiles(latencies.subarray(0, ok)),
    targetRate: rate,
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const result = spec.mode === 'paced' ? await runPaced(spec) : await runAutocannon(spec);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
