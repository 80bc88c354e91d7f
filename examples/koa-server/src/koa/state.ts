/**
 * The per-request namespace of the Koa app (`ctx.state`), typed.
 *
 * @module
 */

import type { Logger } from 'pino';
import type { AccessTokenClaims } from 'token-auth';

/** What the app's middleware put on `ctx.state`. */
export interface AppState {
  /** The request id (incoming `X-Request-Id` when sane, else a UUID), echoed in the response. */
  requestId: string;
  /** A child logger carrying the request id. */
  log: Logger;
  /** The verified access-token claims, set by the bearer middleware on protected routes. */
  auth?: AccessTokenClaims;
}
