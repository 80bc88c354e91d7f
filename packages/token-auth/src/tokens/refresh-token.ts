/**
 * Refresh tokens: a random UUID v4 goes to the client; the store only ever sees its
 * SHA-256, so a leaked store cannot be replayed as tokens.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { validate as isUuid, v4 as uuidv4 } from 'uuid';
import { ValidationError } from '../errors.js';

/** The input field name reported by validation errors about a refresh token. */
export const REFRESH_TOKEN_FIELD = 'refresh_token';

/**
 * A fresh refresh token: a UUID v4, 122 random bits from the platform CSPRNG.
 *
 * @returns The token for the client (lowercase canonical UUID form).
 */
export function generateRefreshToken(): string {
  return uuidv4();
}

/**
 * The key under which a refresh token is stored: the lowercase hex SHA-256 of its canonical
 * (lowercase) form. A fast hash is right here: the input is 122 random bits, not a password.
 *
 * @param token - A refresh token already checked by {@link parseRefreshToken}.
 * @returns 64 lowercase hex characters.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token.toLowerCase()).digest('hex');
}

/**
 * Checks that `value` has the shape of a refresh token (a UUID string) and returns it.
 *
 * @param value - The refresh token as received.
 * @returns The token in lowercase.
 * @throws {@link ValidationError} on field `refresh_token` when it is not a UUID string.
 */
export function parseRefreshToken(value: unknown): string {
  if (value === undefined || value === null || value === '') {
    throw new ValidationError([{ field: REFRESH_TOKEN_FIELD, message: 'refresh_token is required' }]);
  }
  if (typeof value !== 'string' || !isUuid(value)) {
    throw new ValidationError([
      { field: REFRESH_TOKEN_FIELD, message: 'refresh_token must be a UUID string' },
    ]);
  }
  return value.toLowerCase();
}
