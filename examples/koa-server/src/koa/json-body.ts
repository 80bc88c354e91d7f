/**
 * JSON request bodies for the Koa app, read by the same code as the node:http server's
 * (`readJsonBody` on `ctx.req`): 415 for other content types, 413 over the limit, 400 for
 * bytes that are not UTF-8, malformed JSON or a JSON scalar.
 *
 * @module
 */

import type { Middleware } from 'koa';
import { readJsonBody } from '../http/read-json-body.js';
import type { AppState } from './state.js';

/**
 * Creates the JSON body middleware. The body is decoded strictly as UTF-8 (a body parser
 * that decodes leniently would turn invalid bytes into U+FFFD and let them through) and parsed
 * with `JSON.parse`, so a `__proto__` key stays an ordinary own key that schema validation
 * reports as an unknown field. Nothing merges a body into another object.
 *
 * @param options - `limitBytes`: the largest body accepted.
 * @returns The middleware; the parsed body (or `undefined` without one) is on `ctx.request.body`.
 * @throws RangeError when `limitBytes` is not a positive integer.
 * @example
 * ```ts
 * router.post('/api/login/', jsonBody({ limitBytes: 16 * 1024 }), handler);
 * ```
 */
export function jsonBody(options: { limitBytes: number }): Middleware<AppState> {
  const { limitBytes } = options;
  if (!Number.isInteger(limitBytes) || limitBytes <= 0)
    throw new RangeError('jsonBody: limitBytes must be a positive integer');
  return async function jsonBodyMiddleware(ctx, next) {
    (ctx.request as { body?: unknown }).body = await readJsonBody(ctx.req, { limitBytes });
    await next();
  };
}
