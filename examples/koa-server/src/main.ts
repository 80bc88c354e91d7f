/**
 * The server's entry point (`npm start`): read the environment, start, and shut down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the
 * store, exit 0). `--help` prints the variables and exits. A start that fails (bad
 * configuration, port in use, database locked...) prints one line saying why on stderr
 * and exits 1.
 *
 * @module
 */

import cluster from 'node:cluster';
import type { ServerConfig } from './config.js';
import { parseConfig, usage, WORKERS_VARIABLE } from './config.js';
import { describeStartupFailure } from './lib/startup-failure.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

function fail(line: string): never {
  // stderr is synchronous for files and pipes: the line is out before the exit.
  process.stderr.write(`koa-server: ${line}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage('node dist/main.js', [WORKERS_VARIABLE]));
    return;
  }
  // WORKERS: this process becomes the cluster's primary, which forks the servers (each of
  // them runs this file again, as a worker, and goes on below).
  if (process.env.WORKERS !== undefined && cluster.isPrimary) {
    await import(import.meta.url.endsWith('.ts') ? './cluster.ts' : './cluster.js');
    return;
  }
  if (args.length > 0) {
    fail(
      `unknown argument "${args[0]}": the server is configured by environment variables (PORT=8080 node dist/main.js); see --help`,
    );
  }

  let config: ServerConfig;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    fail(describeStartupFailure(error, undefined));
  }
  const logger = createLogger({ level: config.logLevel });

  // The signal handlers come first: whoever started the server may stop it as soon as the
  // listening line is out, which is before startServer returns.
  const starting = startServer(config, logger);
  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    starting.then(
      (running) =>
        running.close().then(
          () => {
            logger.info('stopped');
            process.exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        ),
      // A start that fails exits through its own handler below.
      () => undefined,
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  try {
    await starting;
  } catch (error) {
    // Operators get one line; the stack is there for whoever asks for debug logs.
    logger.debug({ err: error }, 'cannot start');
    logger.flush();
    fail(describeStartupFailure(error, config));
  }
}

void main();
