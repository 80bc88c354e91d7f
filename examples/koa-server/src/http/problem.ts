/**
 * RFC 9457 problem details: the one error format of the API, and the mapping of every
 * error the server can meet (token-auth errors by `code`, body-parsing errors, HTTP
 * errors) to a status, headers and a problem body. Shared by the Koa app and the
 * node:http server.
 *
 * @module
 */

import type { FieldError } from 'token-auth';
import { isTokenAuthError } from 'token-auth';
import { wireFieldName } from './setting-names.js';

/** The media type of every error body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The realm named in every `WWW-Authenticate: Bearer` challenge. */
export const BEARER_REALM = 'api';

/** One field-level problem: which input field is at fault and why. */
export interface FieldProblem {
  /** The input field at fault, e.g. `"email"`; `"body"` for the body as a whole. */
  field: string;
  /** A sentence that says what is wrong (never echoes a secret). */
  message: string;
}

/** An RFC 9457 problem details object, as sent on every error. */
export interface ProblemBody {
  /** Always `"about:blank"`: the HTTP status says what kind of problem it is. */
  type: string;
  /** The HTTP status phrase, e.g. `"Bad Request"`. */
  title: string;
  /** The HTTP status code. */
  status: number;
  /** A human-readable explanation of this occurrence. */
  detail: string;
  /** A stable machine-readable code, e.g. `"validation_failed"` or `"token_expired"`. */
  code: string;
  /** Per-field errors (400 responses for invalid input only). */
  errors?: FieldProblem[];
}

/** A complete error response: status, extra headers and the problem body. */
export interface ProblemResponse {
  /** The HTTP status code. */
  status: number;
  /** Headers to set besides `Content-Type` (e.g. `WWW-Authenticate`, `Retry-After`, `Allow`). */
  headers: Record<string, string>;
  /** The problem details body. */
  body: ProblemBody;
}

/** Status phrases of every status this server sends as a problem. */
const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The title (status phrase) of an HTTP status.
 *
 * @param status - An HTTP status code.
 * @returns Its standard phrase, or `"Error"` for an unlisted code.
 * @example
 * ```ts
 * statusTitle(413); // "Content Too Large"
 * ```
 */
export function statusTitle(status: number): string {
  return STATUS_TITLES[status] ?? 'Error';
}

/** Options of {@link HttpProblem}. */
export interface HttpProblemOptions {
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Per-field errors. */
  errors?: FieldProblem[];
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error that already knows its HTTP response: thrown by the HTTP layer for
 * conditions that are not token-auth errors (missing bearer token, unknown path,
 * wrong method, oversized or non-JSON body, store down).
 *
 * @example
 * ```ts
 * throw new HttpProblem(404, 'not_found', 'No endpoint at /api/nope/.');
 * ```
 */
export class HttpProblem extends Error {
  /** The HTTP status code. */
  readonly status: number;
  /** Stable machine-readable code, sent as the problem's `code`. */
  readonly code: string;
  /** Extra response headers. */
  readonly headers: Record<string, string>;
  /** Per-field errors, when any. */
  readonly errors: FieldProblem[] | undefined;

  /**
   * @param status - The HTTP status code.
   * @param code - Stable machine-readable code.
   * @param detail - The problem's `detail` (also the error message); no secrets.
   * @param options - Headers, field errors and cause.
   */
  constructor(status: number, code: string, detail: string, options: HttpProblemOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.errors = options.errors;
  }
}

/**
 * A `WWW-Authenticate` value for a Bearer challenge (RFC 6750, section 3).
 *
 * @param error - The RFC 6750 error code, when a token was presented.
 * @param description - A human-readable `error_description` (no token in it).
 * @returns e.g. `Bearer realm="api", error="invalid_token", error_description="The access token expired."`.
 * @example
 * ```ts
 * bearerChallenge(); // 'Bearer realm="api"'
 * ```
 */
export function bearerChallenge(error?: 'invalid_token' | 'invalid_request', description?: string): string {
  let value = `Bearer realm="${BEARER_REALM}"`;
  if (error) value += `, error="${error}"`;
  if (error && description) value += `, error_description="${description.replace(/["\\]/g, '')}"`;
  return value;
}

/** The result of {@link problemFromError}. */
export interface MappedProblem {
  /** The response to send. */
  response: ProblemResponse;
  /**
   * `true` for an error the server did not expect (a bug or a misconfiguration):
   * the caller logs it at error level. Client errors are `false`.
   */
  unexpected: boolean;
}

/**
 * Builds a problem response.
 *
 * @param status - The HTTP status code.
 * @param code - Stable machine-readable code.
 * @param detail - The explanation.
 * @param headers - Extra headers.
 * @param errors - Per-field errors.
 * @returns The response.
 * @example
 * ```ts
 * problemResponse(404, 'not_found', 'No endpoint at /x.');
 * ```
 */
export function problemResponse(
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
  errors?: FieldProblem[],
): ProblemResponse {
  const body: ProblemBody = { type: 'about:blank', title: statusTitle(status), status, detail, code };
  if (errors && errors.length > 0) body.errors = errors;
  return { status, headers, body };
}

/**
 * Maps anything thrown while handling a request to a problem response: token-auth
 * errors by their stable `code`, {@link HttpProblem}s as they are (the body reader throws
 * those), Koa's own exposed 4xx errors by status, and everything else to a 500 without
 * details.
 *
 * @param error - Whatever was thrown.
 * @returns The response and whether the error was unexpected (to be logged).
 * @example
 * ```ts
 * const { response, unexpected } = problemFromError(error);
 * if (unexpected) log.error({ err: error }, 'unhandled error');
 * ```
 */
export function problemFromError(error: unknown): MappedProblem {
  if (error instanceof HttpProblem) {
    return {
      response: problemResponse(error.status, error.code, error.message, error.headers, error.errors),
      unexpected: error.status >= 500 && error.status !== 503,
    };
  }
  if (isTokenAuthError(error)) return fromTokenAuthError(error as Error & { code: string });
  const client = fromHttpError(error);
  if (client) return { response: client, unexpected: false };
  return {
    response: problemResponse(500, 'internal_error', 'The server failed to handle this request.'),
    unexpected: true,
  };
}

function fromTokenAuthError(error: Error & { code: string }): MappedProblem {
  const client = (response: ProblemResponse): MappedProblem => ({ response, unexpected: false });
  switch (error.code) {
    case 'validation_failed': {
      const fields = (error as { fields?: readonly FieldError[] }).fields ?? [];
      const errors = fields.map((f) => ({ field: wireFieldName(f.field), message: f.message }));
      return client(problemResponse(400, 'validation_failed', 'The request body is invalid.', {}, errors));
    }
    case 'email_taken':
      return client(
        problemResponse(400, 'validation_failed', 'The request body is invalid.', {}, [
          { field: 'email', message: 'A user with this email already exists.' },
        ]),
      );
    case 'invalid_credentials':
      return client(
        problemResponse(401, 'invalid_credentials', 'No active account found with the given credentials.', {
          'WWW-Authenticate': bearerChallenge(),
        }),
      );
    case 'token_expired':
      return client(invalidAccessToken('token_expired', 'The access token expired.'));
    case 'invalid_token':
      return client(invalidAccessToken('invalid_token', 'The access token is invalid.'));
    case 'invalid_refresh_token':
    case 'refresh_token_reused':
      return client(
        problemResponse(401, 'invalid_refresh_token', 'The refresh token is invalid, expired or revoked.', {
          'WWW-Authenticate': bearerChallenge(),
        }),
      );
    case 'user_not_found':
      return client(problemResponse(404, 'user_not_found', 'No such user.'));
    case 'session_not_found':
      return client(problemResponse(404, 'session_not_found', 'No such session.'));
    case 'too_many_attempts': {
      const seconds = Math.max(
        1,
        Math.ceil((error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1),
      );
      return client(
        problemResponse(429, 'too_many_attempts', `Too many failed attempts; retry in ${seconds} s.`, {
          'Retry-After': String(seconds),
        }),
      );
    }
    case 'forbidden':
      return client(problemResponse(403, 'forbidden', 'You do not have permission to perform this action.'));
    case 'store_failure':
      return {
        response: problemResponse(
          503,
          'store_unavailable',
          'The service is temporarily unavailable; try again later.',
          {
            'Retry-After': '5',
          },
        ),
        unexpected: false,
      };
    default:
      // invalid_config and any code added later: a server-side problem, never the client's.
      return {
        response: problemResponse(500, 'internal_error', 'The server failed to handle this request.'),
        unexpected: true,
      };
  }
}

/** A 401 for a presented but unusable access token (RFC 6750 `invalid_token`). */
function invalidAccessToken(code: string, detail: string): ProblemResponse {
  return problemResponse(401, code, detail, { 'WWW-Authenticate': bearerChallenge('invalid_token', detail) });
}

/** An http-errors style client error (status 4xx, exposed), as Koa itself throws: keep its status. */
function fromHttpError(error: unknown): ProblemResponse | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status } = error as { status?: unknown };
  if (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    (error as { expose?: unknown }).expose === true
  ) {
    return problemResponse(
      status,
      'bad_request',
      statusTitle(status) === 'Error' ? 'The request is invalid.' : `${statusTitle(status)}.`,
    );
  }
  return undefined;
}
