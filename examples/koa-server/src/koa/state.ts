/**
 * The per-request namespace of the Koa app (`ctx.state`), typed.
 *
 * @module
 */

import type { AccessTokenClaims } from 'token-auth';

/** The log methods a request's code uses: each takes a merge object and a message. */
export interface RequestLog {
  /** Logs at error level. */
  error(object: object, message: string): void;
  /** Logs at warn level. */
  warn(object: object, message: string): void;
  /** Logs at info level. */
  info(object: object, message: string): void;
  /** Logs at debug level. */
  debug(object: object, message: string): void;
}

/** What the app's middleware put on `ctx.state`. */
export interface AppState {
  /** The request id (incoming `X-Request-Id` when sane, else a UUID), echoed in the response. */
  requestId: string;
  /** Logs with the request id (a child logger made on first use). */
  log: RequestLog;
  /** The verified access-token claims, set by the bearer middleware on protected routes. */
  auth?: AccessTokenClaims;
}
