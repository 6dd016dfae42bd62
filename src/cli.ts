import { ConfigError, loadConfig } from './app/config.ts';
import { boundHeapGrowth } from './app/heap-growth.ts';
import { trimHeapWhenIdle } from './app/heap-trim.ts';
import { createLogger } from './app/logger.ts';
import { openEmbeddedDatabase } from './app/embedded.ts';
import { deferWasmTierUp } from './app/wasm-tiering.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  if (config.heapGrowthPercent > 0) boundHeapGrowth(config.heapGrowthPercent);
  if (config.heapTrim) {
    const MiB = 1024 * 1024;
    trimHeapWhenIdle((before, after, ms) => logger.debug({ heapMiB: Math.round(before / MiB), afterMiB: Math.round(after / MiB), ms: Math.round(ms) }, 'quiet: collected the heap'));
  }
  // The embedded database opens in its own thread (most of a start) while this one loads the
  // rest of the server: the server's modules are imported only now. Its WASM is compiled with the
  // optimising compiler held back until the server listens (wasm-tiering.ts).
  const restoreTierUp = config.postgresUrl === undefined ? deferWasmTierUp(process.execArgv, process.env['NODE_OPTIONS']) : () => undefined;
  const embedded = config.postgresUrl === undefined ? openEmbeddedDatabase(config, logger) : undefined;
  embedded?.catch(() => undefined); // its failure is reported by startDoppel below
  let doppel;
  try {
    const { startDoppel } = await import('./app/doppel.ts');
    doppel = await startDoppel(config, logger, embedded);
    restoreTierUp();
  } catch (e) {
    logger.fatal({ err: e }, `doppel could not start: ${(e as Error).message}`);
    process.exit(1);
  }
  const running = doppel;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
