/**
 * Small request helpers shared by the Koa app and the node:http server: content type
 * checks, body presence and request ids.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpProblem } from './problem.js';

/** Default request body limit: 16 KiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Whether a `Content-Type` value is JSON (`application/json`, any parameters).
 *
 * @param contentType - The header value, if any.
 * @returns `true` for `application/json` (case-insensitive, e.g. with `; charset=utf-8`).
 * @example
 * ```ts
 * isJsonContentType('application/json; charset=utf-8'); // true
 * ```
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Whether a request carries a body (RFC 9112: `Transfer-Encoding`, or a non-zero
 * `Content-Length`).
 *
 * @param headers - The request headers.
 * @returns `true` when a body follows.
 * @example
 * ```ts
 * hasBody({ 'content-length': '0' }); // false
 * ```
 */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * Rejects a body that is not UTF-8 JSON with a 415.
 *
 * @param headers - The request headers.
 * @throws {@link HttpProblem} 415 when a body is present with another content type or a
 *   charset other than UTF-8.
 * @example
 * ```ts
 * assertJsonBody(req.headers);
 * ```
 */
export function assertJsonBody(headers: IncomingHttpHeaders): void {
  if (!hasBody(headers)) return;
  const contentType = headers['content-type'];
  if (!isJsonContentType(contentType)) {
    throw new HttpProblem(
      415,
      'unsupported_media_type',
      'Send the body as JSON with Content-Type: application/json.',
    );
  }
  const charset = /;\s*charset\s*=\s*"?([^";]+)/i
    .exec(contentType ?? '')?.[1]
    ?.trim()
    .toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpProblem(415, 'unsupported_media_type', 'Send the body as UTF-8 JSON.');
  }
}

/** Incoming request ids are accepted only in this shape (no spaces, no control characters). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id of a request: the incoming `X-Request-Id` when it is sane, else a new UUID.
 *
 * @param incoming - The `X-Request-Id` header value, if any.
 * @returns The id to log and echo.
 * @example
 * ```ts
 * requestIdFrom('abc-123'); // "abc-123"
 * requestIdFrom('bad id\n'); // a fresh UUID
 * ```
 */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Headers sent on every response. */
export const COMMON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Content-Security-Policy of the HTML pages: their own files only. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Content-Security-Policy of every other response (JSON is never rendered). */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The path of a request URL, cut to a loggable length (the query is dropped: it is
 * never logged).
 *
 * @param url - The request URL (path and query).
 * @returns The path, at most 200 characters.
 * @example
 * ```ts
 * loggablePath('/api/me/?x=1'); // "/api/me/"
 * ```
 */
export function loggablePath(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}
