/**
 * The server's structured logger (pino, JSON lines), with redaction of anything
 * secret as belt and braces: the app never logs headers or bodies in the first place.
 *
 * @module
 */

import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import pino from 'pino';

/** Paths pino redacts from every log line. */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'body',
  '*.body',
  'err.cause.body',
];

/**
 * Creates the logger. By default it writes to stdout asynchronously: lines written while a
 * write is under way are batched into the next one, so a busy server makes one system call
 * per batch rather than one per request; whatever is pending is flushed when the process
 * exits.
 *
 * @param options - `level` (pino level) and an optional destination (stdout by default).
 * @returns The logger.
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info' });
 * ```
 */
export function createLogger(options: { level: LevelWithSilent; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'koa-server' },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
