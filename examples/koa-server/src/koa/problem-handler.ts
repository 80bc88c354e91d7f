/**
 * The top-level error middleware: every error becomes an RFC 9457 problem response.
 *
 * @module
 */

import type { Middleware } from 'koa';
import { PROBLEM_CONTENT_TYPE, problemFromError } from '../http/problem.js';
import type { AppState } from './state.js';

/**
 * Creates the error middleware. token-auth errors are mapped by `code`, HTTP errors by
 * status; anything else is a 500 without details, logged at
 * error level. Store failures (503) are logged as warnings.
 *
 * @returns The middleware.
 * @example
 * ```ts
 * app.use(problemHandler());
 * ```
 */
export function problemHandler(): Middleware<AppState> {
  return async function problemHandlerMiddleware(ctx, next) {
    try {
      await next();
    } catch (error) {
      const { response, unexpected } = problemFromError(error);
      if (unexpected) ctx.state.log.error({ err: error }, 'unhandled error');
      else if (response.status === 503) ctx.state.log.warn({ err: error }, 'store unavailable');
      ctx.status = response.status;
      ctx.set(response.headers);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = PROBLEM_CONTENT_TYPE;
      ctx.body = response.body;
    }
  };
}
