// The load generator, run as its own process so that it never shares an event loop (or a core's
// time slice accounting) with the server it measures. Usage: load.ts '<LoadSpec as JSON>'.
// Prints one line: the LoadResult as JSON.

import autocannon from 'autocannon';
import { thingPath, type LoadResult, type LoadSpec } from './lib/load-spec.ts';
import { runPacedLoad } from './lib/paced.ts';

function randomPath(spec: LoadSpec): string {
  const paths = spec.paths;
  if (paths !== undefined && paths.length > 0) return paths[Math.floor(Math.random() * paths.length)] as string;
  return thingPath(spec.idPrefix, Math.floor(Math.random() * spec.idCount), spec.suffix);
}

function randomBody(spec: LoadSpec): string | undefined {
  return spec.method === 'PUT' || spec.method === 'POST' ? String(Math.floor(Math.random() * 1_000_000_000)) : undefined;
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

const PACED_WARMUP_SECONDS = 1;

async function runPaced(spec: LoadSpec): Promise<LoadResult> {
  const rate = spec.rate ?? 1000;
  const url = new URL(spec.origin);
  const head = Object.entries(spec.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const build = (): Buffer => {
    const body = randomBody(spec) ?? '';
    return Buffer.from(`${spec.method} ${randomPath(spec)} HTTP/1.1\r\nhost: ${url.host}\r\n${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const out = await runPacedLoad({ host: url.hostname, port: Number(url.port), connections: spec.connections, rate, warmupSeconds: PACED_WARMUP_SECONDS, seconds: spec.durationSeconds, build });
  return {
    mode: 'paced',
    connections: spec.connections,
    durationSeconds: out.elapsedSeconds,
    okPerSecond: out.ok / spec.durationSeconds,
    ok: out.ok,
    warmupOk: out.warmupOk,
    non2xx: out.non2xx,
    errors: out.errors,
    statusCodes: out.statusCodes,
    latencyMs: out.latencyMs,
    sendLatencyMs: out.sendLatencyMs,
    targetRate: rate,
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const before = process.cpuUsage();
  const result = spec.mode === 'paced' ? await runPaced(spec) : await runAutocannon(spec);
  const used = process.cpuUsage(before);
  const loaderCpuSeconds = Math.round((used.user + used.system) / 1e4) / 100;
  process.stdout.write(JSON.stringify({ ...result, loaderCpuSeconds }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
