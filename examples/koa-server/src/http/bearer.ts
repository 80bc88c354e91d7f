/**
 * Bearer authentication from the `Authorization` header (RFC 6750), verified by the
 * token-auth core without any store call. Shared by the Koa middleware and the
 * node:http server.
 *
 * @module
 */

import type { AccessTokenClaims, TokenAuth } from 'token-auth';
import { isTokenAuthError } from 'token-auth';
import { bearerChallenge, HttpProblem } from './problem.js';

/** RFC 6750 `b64token` syntax. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Longest token accepted before parsing (a JWT of this server is far shorter). */
const MAX_TOKEN_LENGTH = 4096;

/**
 * Extracts the bearer token of an `Authorization` header.
 *
 * @param authorization - The header value, if any.
 * @returns The token, or `undefined` when no Bearer credentials were sent (no header,
 *   or another scheme such as Basic).
 * @throws {@link HttpProblem} 401 `invalid_token` when the Bearer value is malformed.
 * @example
 * ```ts
 * readBearerToken('Bearer abc.def.ghi'); // "abc.def.ghi"
 * ```
 */
export function readBearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer(?:\s+(.*))?$/is.exec(authorization.trim());
  if (!match) return undefined;
  const token = (match[1] ?? '').trim();
  if (token === '' || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) {
    throw invalidToken('invalid_token', 'The access token is malformed.');
  }
  return token;
}

/**
 * Every `Authorization` header of a request, read from its raw headers. Node keeps only the
 * first of repeated `Authorization` headers in `req.headers`, so a request carrying two
 * users' tokens would silently act as the first. `req.headersDistinct` has them all, but
 * builds a list for every header of the request on first use; this scan of the raw names
 * is what the hot path needs.
 *
 * @param rawHeaders - `req.rawHeaders`: names and values in turn, as received.
 * @returns The values, in order (empty when there is none).
 * @example
 * ```ts
 * authorizationHeaders(['Host', 'x', 'authorization', 'Bearer a']); // ["Bearer a"]
 * ```
 */
export function authorizationHeaders(rawHeaders: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === AUTHORIZATION.length && name.toLowerCase() === AUTHORIZATION) {
      values.push(rawHeaders[i + 1] as string);
    }
  }
  return values;
}

const AUTHORIZATION = 'authorization';

/**
 * The one `Authorization` header of a request, refusing several.
 *
 * @param values - Every `Authorization` header of the request ({@link authorizationHeaders}).
 * @returns The header value, or `undefined` when there is none.
 * @throws {@link HttpProblem} 400 `invalid_request` (RFC 6750, section 3.1) when there are several.
 * @example
 * ```ts
 * const authorization = singleAuthorization(authorizationHeaders(req.rawHeaders));
 * ```
 */
export function singleAuthorization(values: readonly string[] | undefined): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) {
    const detail = 'The request carries more than one Authorization header; send exactly one.';
    throw new HttpProblem(400, 'invalid_request', detail, {
      headers: { 'WWW-Authenticate': bearerChallenge('invalid_request', detail) },
    });
  }
  return values[0];
}

/**
 * Authenticates a request from its `Authorization` header alone: no store call.
 *
 * @param auth - The token-auth instance.
 * @param authorization - Every `Authorization` header of the request
 *   ({@link authorizationHeaders}), or the one header value.
 * @returns The verified claims of the access token.
 * @throws {@link HttpProblem} 400 `invalid_request` when several `Authorization` headers were
 *   sent; 401 with a bare `Bearer realm="api"` challenge when no token was sent, or with
 *   `error="invalid_token"` when the token is malformed, forged, expired or otherwise unusable.
 * @example
 * ```ts
 * const claims = await authenticateBearer(auth, authorizationHeaders(req.rawHeaders));
 * ```
 */
export async function authenticateBearer(
  auth: TokenAuth,
  authorization: string | readonly string[] | undefined,
): Promise<AccessTokenClaims> {
  const token = readBearerToken(
    typeof authorization === 'string' ? authorization : singleAuthorization(authorization),
  );
  if (token === undefined) {
    throw new HttpProblem(401, 'not_authenticated', 'Authentication credentials were not provided.', {
      headers: { 'WWW-Authenticate': bearerChallenge() },
    });
  }
  try {
    return await auth.verifyAccessToken(token);
  } catch (error) {
    if (isTokenAuthError(error) && error.code === 'token_expired') {
      throw invalidToken('token_expired', 'The access token expired.', error);
    }
    if (isTokenAuthError(error) && error.code === 'invalid_token') {
      throw invalidToken('invalid_token', 'The access token is invalid.', error);
    }
    throw error;
  }
}

/**
 * A 401 `invalid_token` problem (RFC 6750), for a token that was presented but is unusable.
 *
 * @param code - The problem's `code` (`invalid_token` or `token_expired`).
 * @param detail - The explanation, also sent as `error_description`.
 * @param cause - The underlying error.
 * @returns The error to throw.
 * @example
 * ```ts
 * throw invalidToken('invalid_token', 'The user of this token no longer exists.');
 * ```
 */
export function invalidToken(code: string, detail: string, cause?: unknown): HttpProblem {
  return new HttpProblem(401, code, detail, {
    headers: { 'WWW-Authenticate': bearerChallenge('invalid_token', detail) },
    cause,
  });
}
