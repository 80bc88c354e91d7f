/**
 * Refresh tokens: a UUID v4 goes to the client; the store only ever sees its SHA-256, so a
 * leaked store cannot be replayed as tokens. A login's token is random; each successor is
 * derived from its parent under a server key (HMAC-SHA-256 shaped as a UUID v4), so a retry
 * of the parent within the grace window gets the same successor without it being stored.
 *
 * @module
 */

import { createHash, createHmac, type KeyObject, randomUUID } from 'node:crypto';
import { ValidationError } from '../errors.js';

/** The input field name reported by validation errors about a refresh token. */
export const REFRESH_TOKEN_FIELD = 'refresh_token';

/** A canonical UUID, any version and case (RFC 9562 layout). */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A fresh refresh token for a new session: a UUID v4, 122 random bits from the CSPRNG.
 *
 * @returns The token for the client (lowercase canonical UUID form).
 */
export function generateRefreshToken(): string {
  return randomUUID();
}

/**
 * The successor of a refresh token: HMAC-SHA-256 of the parent under `key`, its first 16
 * bytes given the version and variant bits of a UUID v4 (122 bits of HMAC output remain).
 * Without the key it is as unpredictable as a random UUID; with it, the same parent always
 * yields the same successor, which is what lets a retry within the grace window receive the
 * token the first rotation issued.
 *
 * @param key - The server's successor key (derived from the signing secret).
 * @param parent - The parent token, lowercase (as {@link parseRefreshToken} returns it).
 * @returns The successor, lowercase canonical UUID form.
 */
export function deriveSuccessor(key: KeyObject, parent: string): string {
  const bytes = createHmac('sha256', key).update(parent).digest();
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The key under which a refresh token is stored: the lowercase hex SHA-256 of its canonical
 * form. A fast hash is right here: the input is 122 random bits, not a password.
 *
 * @param token - A lowercase refresh token (from {@link parseRefreshToken} or a generator).
 * @returns 64 lowercase hex characters.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Checks that `value` has the shape of a refresh token (a UUID string) and returns it in
 * its canonical lowercase form, the one that is hashed.
 *
 * @param value - The refresh token as received.
 * @returns The token in lowercase.
 * @throws {@link ValidationError} on field `refresh_token` when it is not a UUID string.
 */
export function parseRefreshToken(value: unknown): string {
  if (typeof value === 'string' && UUID_PATTERN.test(value)) return value.toLowerCase();
  if (value === undefined || value === null || value === '') {
    throw new ValidationError([{ field: REFRESH_TOKEN_FIELD, message: 'refresh_token is required' }]);
  }
  throw new ValidationError([{ field: REFRESH_TOKEN_FIELD, message: 'refresh_token must be a UUID string' }]);
}
