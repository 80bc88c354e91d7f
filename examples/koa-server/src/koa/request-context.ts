/**
 * The outermost middleware: request id, security headers, one access-log line per request.
 *
 * @module
 */

import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { API_CSP, COMMON_SECURITY_HEADERS, loggablePath, PAGE_CSP, requestIdFrom } from '../http/request.js';
import type { AppState } from './state.js';

/** A response of HTML pages (a plain test: cheaper than parsing the media type per request). */
const HTML_TYPE = /^text\/html\b/i;

/**
 * Creates the request-context middleware: it sets `ctx.state.requestId` and
 * `ctx.state.log`, echoes `X-Request-Id`, sets the security headers (a page CSP on HTML,
 * a deny-all CSP elsewhere) and logs method, path (never the query), status and duration.
 * It never logs headers or bodies.
 *
 * @param options - `logger`: the root logger.
 * @returns The middleware.
 * @example
 * ```ts
 * app.use(requestContext({ logger }));
 * ```
 */
export function requestContext(options: { logger: Logger }): Middleware<AppState> {
  const { logger } = options;
  return async function requestContextMiddleware(ctx, next) {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(ctx.get('X-Request-Id') || undefined);
    ctx.state.requestId = requestId;
    // The request's child logger is made on first use: most requests log only their access
    // line, which carries the request id itself.
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', {
      get: () => {
        log ??= logger.child({ reqId: requestId });
        return log;
      },
      configurable: true,
      enumerable: true,
    });
    ctx.set('X-Request-Id', requestId);
    ctx.set(COMMON_SECURITY_HEADERS);
    try {
      await next();
    } finally {
      ctx.set(
        'Content-Security-Policy',
        HTML_TYPE.test(ctx.response.get('Content-Type')) ? PAGE_CSP : API_CSP,
      );
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          reqId: requestId,
          method: ctx.method,
          path: loggablePath(ctx.url),
          status: ctx.status,
          durationMs: Math.round(durationMs * 10) / 10,
          ip: ctx.ip,
        },
        'request',
      );
    }
  };
}
