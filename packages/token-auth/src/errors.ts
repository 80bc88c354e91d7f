/**
 * Errors thrown by token-auth. Every error has a stable machine-readable `code`
 * (on the class and on the instance), keeps its `cause`, and never carries a token,
 * a password or a secret in its message.
 *
 * @module
 */

/** The stable codes of every {@link TokenAuthError} subclass, in one list. */
export const TOKEN_AUTH_ERROR_CODES = [
  'validation_failed',
  'email_taken',
  'invalid_credentials',
  'invalid_token',
  'token_expired',
  'invalid_refresh_token',
  'refresh_token_reused',
  'user_not_found',
  'session_not_found',
  'too_many_attempts',
  'forbidden',
  'invalid_config',
  'store_failure',
] as const;

/** The stable code of a {@link TokenAuthError}: one of {@link TOKEN_AUTH_ERROR_CODES}. */
export type TokenAuthErrorCode = (typeof TOKEN_AUTH_ERROR_CODES)[number];

/** One field-level problem of a {@link ValidationError}. */
export interface FieldError {
  /** The input field at fault, e.g. `"email"` or `"access_token_lifetime"`. */
  field: string;
  /** A human-readable sentence that names what is wrong (never echoes a secret). */
  message: string;
}

/**
 * Base class of every error token-auth throws.
 *
 * @example
 * ```ts
 * try {
 *   await auth.login({ email, password });
 * } catch (error) {
 *   if (isTokenAuthError(error)) console.log(error.code); // e.g. "invalid_credentials"
 * }
 * ```
 */
export class TokenAuthError extends Error {
  /** Stable machine-readable code of this error class. */
  static readonly code: TokenAuthErrorCode = 'store_failure';
  /** Stable machine-readable code, the same as the class's. */
  readonly code: TokenAuthErrorCode;

  /**
   * @param message - A message that names what failed, without secrets.
   * @param options - `cause`: the underlying error, kept for debugging.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = (new.target as typeof TokenAuthError).code;
  }
}

/**
 * Input failed validation; {@link ValidationError.fields} lists each field at fault.
 *
 * @example
 * ```ts
 * new ValidationError([{ field: 'email', message: 'email must be a valid email address' }]);
 * ```
 */
export class ValidationError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'validation_failed';
  /** Every field at fault, in input order. */
  readonly fields: readonly FieldError[];

  /**
   * @param fields - The field errors (at least one).
   * @param options - `cause`: the underlying error.
   */
  constructor(fields: readonly FieldError[], options?: { cause?: unknown }) {
    super(fields.map((f) => f.message).join('; ') || 'Invalid input', options);
    this.fields = fields;
  }
}

/**
 * The email is already registered (compared case-insensitively).
 *
 * @example
 * ```ts
 * if (error instanceof EmailTakenError) reply(409);
 * ```
 */
export class EmailTakenError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'email_taken';
}

/**
 * Email or password is wrong, or the account cannot log in. One error for all three
 * so that callers cannot tell which (no user enumeration).
 *
 * @example
 * ```ts
 * if (error instanceof InvalidCredentialsError) reply(401);
 * ```
 */
export class InvalidCredentialsError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'invalid_credentials';
}

/**
 * An access token is malformed, forged, signed with a disallowed algorithm or key,
 * or has the wrong type, issuer or audience.
 *
 * @example
 * ```ts
 * if (error instanceof InvalidTokenError) reply(401);
 * ```
 */
export class InvalidTokenError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'invalid_token';
}

/**
 * An access token was valid but its `exp` has passed.
 *
 * @example
 * ```ts
 * if (error instanceof TokenExpiredError) reply(401); // the client should refresh
 * ```
 */
export class TokenExpiredError extends InvalidTokenError {
  static override readonly code: TokenAuthErrorCode = 'token_expired';
}

/**
 * A refresh token is unknown, expired, revoked, malformed, or belongs to an inactive user.
 *
 * @example
 * ```ts
 * if (error instanceof InvalidRefreshTokenError) reply(401);
 * ```
 */
export class InvalidRefreshTokenError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'invalid_refresh_token';
}

/**
 * An already-rotated refresh token was presented again. Its whole family has been
 * revoked (RFC 9700, section 4.14.2): the legitimate client must log in again.
 *
 * @example
 * ```ts
 * if (error instanceof RefreshTokenReusedError) reply(401);
 * ```
 */
export class RefreshTokenReusedError extends InvalidRefreshTokenError {
  static override readonly code: TokenAuthErrorCode = 'refresh_token_reused';
}

/**
 * No user has the given id.
 *
 * @example
 * ```ts
 * if (error instanceof UserNotFoundError) reply(404);
 * ```
 */
export class UserNotFoundError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'user_not_found';
}

/**
 * No session with the given id belongs to the user (it never existed, belongs to someone
 * else, or has ended).
 *
 * @example
 * ```ts
 * if (error instanceof SessionNotFoundError) reply(404);
 * ```
 */
export class SessionNotFoundError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'session_not_found';
}

/**
 * Too many failed login attempts; retry after {@link TooManyAttemptsError.retryAfterSeconds}.
 *
 * @example
 * ```ts
 * if (error instanceof TooManyAttemptsError) reply(429, { 'Retry-After': String(error.retryAfterSeconds) });
 * ```
 */
export class TooManyAttemptsError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'too_many_attempts';
  /** Whole seconds until another attempt may succeed (at least 1). */
  readonly retryAfterSeconds: number;

  /**
   * @param retryAfterSeconds - Whole seconds until the next attempt is allowed.
   * @param options - `cause`: the underlying error.
   */
  constructor(retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(`Too many failed attempts; retry after ${retryAfterSeconds} s`, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The caller is authenticated but not allowed to do this (for example, not staff).
 *
 * @example
 * ```ts
 * if (error instanceof ForbiddenError) reply(403);
 * ```
 */
export class ForbiddenError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'forbidden';
}

/**
 * The options given to token-auth are unusable (for example a secret shorter than 32 bytes).
 *
 * @example
 * ```ts
 * createTokenAuth({ store, secret: 'short' }); // throws ConfigError
 * ```
 */
export class ConfigError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'invalid_config';
}

/**
 * The store failed (I/O, connection, corrupt record). Never reported as "not found".
 *
 * @example
 * ```ts
 * if (error instanceof StoreError) reply(503);
 * ```
 */
export class StoreError extends TokenAuthError {
  static override readonly code: TokenAuthErrorCode = 'store_failure';
}

/**
 * Whether `value` is a token-auth error, also across realms and duplicate package copies
 * (it checks the shape, not only the prototype chain).
 *
 * @param value - Anything caught.
 * @returns `true` when `value` is an Error with a known token-auth `code`.
 * @example
 * ```ts
 * catch (error) { if (isTokenAuthError(error) && error.code === 'email_taken') … }
 * ```
 */
export function isTokenAuthError(value: unknown): value is TokenAuthError {
  if (value instanceof TokenAuthError) return true;
  return (
    value instanceof Error && 'code' in value && typeof value.code === 'string' && KNOWN_CODES.has(value.code)
  );
}

const KNOWN_CODES: ReadonlySet<string> = new Set<string>(TOKEN_AUTH_ERROR_CODES);
