/**
 * The outermost middleware: request id, security headers, one access-log line per request.
 *
 * @module
 */

import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { API_CSP, COMMON_SECURITY_HEADERS, loggablePath, PAGE_CSP, requestIdFrom } from '../http/request.js';
import type { AppState, RequestLog } from './state.js';

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
  // The access line holds method, path, status, duration and address only: it needs none of
  // the root logger's redaction, which would otherwise run on every request.
  const access = logger.child({}, { redact: [] });
  return async function requestContextMiddleware(ctx, next) {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(ctx.req.headers['x-request-id']);
    ctx.state.requestId = requestId;
    ctx.state.log = new LazyChild(logger, requestId);
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
      access.info(
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

/**
 * `ctx.state.log`: the request's child logger (carrying its id), made on first use. Most
 * requests log only their access line, which carries the id itself.
 */
class LazyChild implements RequestLog {
  #child: Logger | undefined;
  readonly #root: Logger;
  readonly #requestId: string;

  constructor(root: Logger, requestId: string) {
    this.#root = root;
    this.#requestId = requestId;
  }

  error(object: object, message: string): void {
    this.#logger().error(object, message);
  }

  warn(object: object, message: string): void {
    this.#logger().warn(object, message);
  }

  info(object: object, message: string): void {
    this.#logger().info(object, message);
  }

  debug(object: object, message: string): void {
    this.#logger().debug(object, message);
  }

  #logger(): Logger {
    this.#child ??= this.#root.child({ reqId: this.#requestId });
    return this.#child;
  }
}
