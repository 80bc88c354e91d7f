/**
 * The server's entry point (`npm start`): read the environment, start, and shut down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the
 * store, exit 0). A configuration error prints one clear line and exits 1.
 *
 * @module
 */

import type { ServerConfig } from './config.js';
import { ConfigEnvError, parseConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigEnvError) {
      process.stderr.write(`koa-server: invalid configuration: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });

  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer(config, logger);
  } catch (error) {
    if (error instanceof ConfigEnvError) {
      logger.fatal({ variable: error.variable }, `invalid configuration: ${error.message}`);
    } else {
      logger.fatal({ err: error }, 'cannot start');
    }
    process.exitCode = 1;
    return;
  }

  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

void main();
