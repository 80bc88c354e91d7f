/**
 * JSON request bodies: 415 for other content types, then koa-bodyparser with a small limit.
 *
 * @module
 */

import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import { assertJsonBody } from '../http/request.js';
import type { AppState } from './state.js';

/**
 * Creates the JSON body middleware. Bodies with another content type are a 415;
 * oversized bodies a 413; malformed JSON (or a JSON scalar) a 400 (both raised by
 * koa-bodyparser and mapped by the problem handler).
 *
 * @param options - `limitBytes`: the largest body accepted.
 * @returns The middleware; the parsed body is on `ctx.request.body`.
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
  // A `__proto__` key stays an ordinary own key (as JSON.parse makes it, and as the node:http
  // server reads it), so schema validation reports it as an unknown field like any other,
  // instead of co-body calling valid JSON malformed. Nothing merges a body into another object.
  // (co-body's `onProtoPoisoning`, which koa-bodyparser passes on but does not type.)
  const parserOptions: bodyParser.Options & { onProtoPoisoning: 'ignore' } = {
    enableTypes: ['json'],
    jsonLimit: `${limitBytes}b`,
    strict: true,
    onProtoPoisoning: 'ignore',
  };
  const parse = bodyParser(parserOptions);
  return async function jsonBodyMiddleware(ctx, next) {
    assertJsonBody(ctx.req.headers);
    await parse(ctx, next);
  };
}
