import { ConfigError, loadConfig } from './app/config.ts';
import { startDoppel } from './app/doppel.ts';
import { boundHeapGrowth } from './app/heap-growth.ts';
import { createLogger } from './app/logger.ts';

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
  let doppel;
  try {
    doppel = await startDoppel(config, logger);
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
