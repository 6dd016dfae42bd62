// What the runner asks the load process to do, and what it answers. Both sides validate nothing
// beyond parsing: they are the same program, only in two processes.

/**
 * `max`: autocannon as fast as it can (closed loop). `autocannon-rate`: autocannon's `overallRate`,
 * which sends each connection's share at the start of every second, so it arrives in bursts.
 * `paced`: an open loop of our own that spreads the requests evenly over each second and measures
 * every latency from the moment the request was due.
 */
export type LoadMode = 'max' | 'autocannon-rate' | 'paced';

export interface LoadSpec {
  readonly mode: LoadMode;
  /** `http://127.0.0.1:port`, nothing else. */
  readonly origin: string;
  readonly method: 'GET' | 'PUT' | 'POST';
  /** Each request addresses `/api/2/things/<prefix><n><suffix>` with n uniformly random in [0, count). */
  readonly idPrefix: string;
  readonly idCount: number;
  readonly suffix: string;
  /** When given, each request takes one of these paths at random instead (idPrefix etc. unused). */
  readonly paths?: readonly string[];
  /** PUT (and POST) bodies are a random integer (JSON), so every write changes the value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests per second over all connections; for `autocannon-rate` and `paced`. */
  readonly rate?: number;
}

export interface LatencyMs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  readonly mode: LoadMode;
  readonly connections: number;
  readonly durationSeconds: number;
  /** 2xx answers per second: only those count. */
  readonly okPerSecond: number;
  readonly ok: number;
  /** `paced` only: 2xx answers during its unrecorded warm-up second. */
  readonly warmupOk?: number;
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Of 2xx answers. autocannon reports whole milliseconds; `paced` is sub-millisecond. */
  readonly latencyMs: LatencyMs;
  /** `paced` only: from when the request was written, without waiting for the timer or a connection. */
  readonly sendLatencyMs?: LatencyMs;
  /** The rate asked for, when there was one. */
  readonly targetRate?: number;
  /** CPU time of the load generator itself during the phase: near 1 s per second means it was the limit. */
  readonly loaderCpuSeconds?: number;
  /** Filled in by the runner: CPU time the measured server used during the phase (all its threads). */
  readonly serverCpuSeconds?: number;
  /** serverCpuSeconds per answered request, in microseconds: far less noisy than the rates. */
  readonly serverCpuMicrosPerRequest?: number;
  /**
   * Filled in by the runner for a PostgreSQL server on this machine: CPU time of all its processes
   * during the phase, and that per answered request in microseconds.
   */
  readonly databaseCpuSeconds?: number;
  readonly databaseCpuMicrosPerRequest?: number;
  /** How busy all the machine's cores were meanwhile (100 = every core, whoever used it). */
  readonly machineBusyPercent?: number;
}

export function thingPath(prefix: string, n: number, suffix = ''): string {
  return `/api/2/things/${prefix}${n}${suffix}`;
}

export function isLoadResult(v: unknown): v is LoadResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r['okPerSecond'] === 'number' && typeof r['latencyMs'] === 'object' && typeof r['mode'] === 'string';
}
