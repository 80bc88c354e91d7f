/**
 * Bearer authentication and the staff check, as Koa middleware.
 *
 * @module
 */

import type { Middleware } from 'koa';
import type { TokenAuth } from 'token-auth';
import { authenticateBearer, authorizationHeaders } from '../http/bearer.js';
import type { AppState } from './state.js';

/**
 * Creates a middleware that verifies the `Authorization: Bearer` access token without
 * any store call and puts its claims on `ctx.state.auth`.
 *
 * @param options - `auth`: the token-auth instance.
 * @returns The middleware; it throws a 401 problem (RFC 6750 challenge) when the token
 *   is missing or unusable.
 * @throws TypeError when `options.auth` is not a token-auth instance.
 * @example
 * ```ts
 * router.get('/api/me/', bearerAuth({ auth }), (ctx) => { ctx.body = ctx.state.auth; });
 * ```
 */
export function bearerAuth(options: { auth: TokenAuth }): Middleware<AppState> {
  const { auth } = options;
  if (typeof auth?.verifyAccessToken !== 'function')
    throw new TypeError('bearerAuth: options.auth must be a TokenAuth');
  return async function bearerAuthMiddleware(ctx, next) {
    ctx.state.auth = await authenticateBearer(auth, authorizationHeaders(ctx.req.rawHeaders));
    await next();
  };
}

/**
 * Creates a middleware that lets only staff through: it reads the user from the store
 * (`auth.requireStaff`), so a revoked staff flag takes effect at once. Mount it after
 * {@link bearerAuth}.
 *
 * @param options - `auth`: the token-auth instance.
 * @returns The middleware; it throws token-auth's `ForbiddenError` (403) for non-staff.
 * @throws TypeError when `options.auth` is not a token-auth instance.
 * @example
 * ```ts
 * router.get('/api/admin/settings/', bearerAuth({ auth }), staffOnly({ auth }), handler);
 * ```
 */
export function staffOnly(options: { auth: TokenAuth }): Middleware<AppState> {
  const { auth } = options;
  if (typeof auth?.requireStaff !== 'function')
    throw new TypeError('staffOnly: options.auth must be a TokenAuth');
  return async function staffOnlyMiddleware(ctx, next) {
    const claims = ctx.state.auth;
    if (!claims) throw new Error('staffOnly must be mounted after bearerAuth');
    await auth.requireStaff(claims.userId);
    await next();
  };
}
