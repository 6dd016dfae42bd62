import type { ServerSource } from '../lib/snapshot.ts';
import type { StoreKind } from '../lib/stores.ts';

export interface BenchOptions {
  /** Length of each measured load phase. */
  readonly seconds: number;
  /** Measured phases per target; the median counts. */
  readonly rounds: number;
  /** An unrecorded phase first, so both servers are past JIT warm-up. */
  readonly warmupSeconds: number;
  /** Things for the read and write scenarios. */
  readonly things: number;
  /** Things for the memory scenario. */
  readonly memoryThings: number;
  /** Memory: seconds each loaded server is left idle before its resident size is read again. */
  readonly memoryIdleSeconds: number;
  /** Stores for the write and memory scenarios. */
  readonly stores: readonly StoreKind[];
  readonly postgresUrl: string;
  /** The Doppel measured: the working tree or an exported revision. */
  readonly server: ServerSource;
  /** When set, the measured Doppel runs under --cpu-prof and its profile is summarised. */
  readonly cpuProfDir: string | undefined;
  /** Writes: also run a server with the search index off, rounds alternating, and report the ratio. */
  readonly compareIndex: boolean;
  /** Startup and writes: a revision started too, alternating with the measured one. */
  readonly against: string | undefined;
  /** Things for the search scenario; undefined: 100,000 on PGlite, 1,000,000 on PostgreSQL. */
  readonly searchThings: number | undefined;
  /** Search: keep the generated data in a named schema/directory and reuse it next time. */
  readonly searchReuse: boolean;
  /** When set, the memory scenario ends with a heap snapshot of the restarted server, summarised. */
  readonly heapSnapshotDir: string | undefined;
}

/** Requests in flight while seeding. */
export const SEED_CONCURRENCY = 64;
