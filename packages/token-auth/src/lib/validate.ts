/**
 * Input checks of the core. Each returns the normalised value or a {@link FieldError};
 * the operations collect the errors and throw one {@link ValidationError}.
 *
 * @module
 */

import type { FieldError } from '../errors.js';
import { ValidationError } from '../errors.js';

/** Longest email accepted (RFC 5321 path limit minus the angle brackets). */
export const EMAIL_MAX_LENGTH = 254;
/** Shortest password accepted, in Unicode code points (OWASP, NIST SP 800-63B). */
export const PASSWORD_MIN_LENGTH = 8;
/** Longest password accepted, in Unicode code points: bounds the hashing work per request. */
export const PASSWORD_MAX_LENGTH = 128;
/** Longest user agent kept with a session, in UTF-16 code units; longer ones are truncated. */
export const USER_AGENT_MAX_LENGTH = 256;
/** Longest display name accepted, in Unicode code points (Django's `first_name` + `last_name`). */
export const USERNAME_MAX_LENGTH = 150;

/**
 * WHATWG HTML's "valid e-mail address" (what `<input type="email">` accepts), plus a dot in
 * the domain: pragmatic, ASCII only, no quoted local parts or IP-literal domains.
 */
const EMAIL_PATTERN =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** The outcome of one check: the normalised value, or what is wrong with it. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: FieldError };

/**
 * Checks an email: a string, trimmed, at most 254 characters, matching {@link EMAIL_PATTERN}.
 *
 * @returns The trimmed email and its canonical key (lowercase).
 */
export function checkEmail(value: unknown): Checked<{ email: string; emailKey: string }> {
  if (value === undefined || value === null || value === '') return fail('email', 'email is required');
  if (typeof value !== 'string') return fail('email', 'email must be a string');
  const email = value.trim();
  if (email.length === 0) return fail('email', 'email is required');
  if (email.length > EMAIL_MAX_LENGTH)
    return fail('email', `email must be at most ${EMAIL_MAX_LENGTH} characters`);
  if (!EMAIL_PATTERN.test(email)) return fail('email', 'email must be a valid email address');
  return { ok: true, value: { email, emailKey: toEmailKey(email) } };
}

/** The canonical form of an email for lookups and uniqueness. */
export function toEmailKey(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Checks a new password: a string of 8 to 128 code points after NFKC normalisation, with no
 * composition rules. Not trimmed: every character counts.
 *
 * @param field - The field named by the error (`new_password` for a password change).
 * @returns The NFKC-normalised password (what gets hashed).
 */
export function checkNewPassword(value: unknown, field = 'password'): Checked<string> {
  if (value === undefined || value === null || value === '') return fail(field, `${field} is required`);
  if (typeof value !== 'string') return fail(field, `${field} must be a string`);
  const password = value.normalize('NFKC');
  const length = codePointLength(password);
  if (length < PASSWORD_MIN_LENGTH) {
    return fail(field, `${field} must be at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  if (length > PASSWORD_MAX_LENGTH)
    return fail(field, `${field} must be at most ${PASSWORD_MAX_LENGTH} characters`);
  return { ok: true, value: password };
}

/**
 * Checks a password presented at login: a non-empty string of at most 128 code points. A
 * short one is not an input error there: it simply does not match.
 *
 * @param field - The field named by the error (`current_password` for a password change).
 * @returns The NFKC-normalised password.
 */
export function checkPresentedPassword(value: unknown, field = 'password'): Checked<string> {
  if (value === undefined || value === null || value === '') return fail(field, `${field} is required`);
  if (typeof value !== 'string') return fail(field, `${field} must be a string`);
  const password = value.normalize('NFKC');
  if (codePointLength(password) > PASSWORD_MAX_LENGTH) {
    return fail(field, `${field} must be at most ${PASSWORD_MAX_LENGTH} characters`);
  }
  return { ok: true, value: password };
}

/**
 * Checks a display name: a string, trimmed, at most 150 code points, no control characters.
 * May be empty.
 *
 * @returns The trimmed name.
 */
export function checkUsername(value: unknown): Checked<string> {
  if (typeof value !== 'string') return fail('username', 'username must be a string');
  const username = value.trim();
  if (codePointLength(username) > USERNAME_MAX_LENGTH) {
    return fail('username', `username must be at most ${USERNAME_MAX_LENGTH} characters`);
  }
  if (CONTROL_CHARACTERS.test(username))
    return fail('username', 'username must not contain control characters');
  return { ok: true, value: username };
}

/**
 * Checks the values and throws one {@link ValidationError} listing every failure.
 *
 * @returns The values, in order, when all are valid.
 * @throws {@link ValidationError} naming each field at fault.
 */
export function collect<T extends readonly Checked<unknown>[]>(
  ...checks: T
): { [K in keyof T]: T[K] extends Checked<infer V> ? V : never } {
  const errors = checks.flatMap((check) => (check.ok ? [] : [check.error]));
  if (errors.length > 0) throw new ValidationError(errors);
  return checks.map((check) => (check as { value: unknown }).value) as {
    [K in keyof T]: T[K] extends Checked<infer V> ? V : never;
  };
}

/**
 * Checks that a user id is a positive safe integer.
 *
 * @throws {@link ValidationError} on field `userId` otherwise.
 */
export function assertUserId(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError([{ field: 'userId', message: 'userId must be a positive integer' }]);
  }
}

/**
 * Checks that an input is a plain object (not `null`, not an array).
 *
 * @throws {@link ValidationError} on field `body` otherwise.
 */
export function assertObject(value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError([{ field: 'body', message: 'the input must be an object' }]);
  }
}

function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length += 1;
  return length;
}

function fail(field: string, message: string): { ok: false; error: FieldError } {
  return { ok: false, error: { field, message } };
}
