/**
 * token-auth: a framework-agnostic authentication core. Short-lived JWT access tokens
 * verified without any store call, rotating refresh tokens with reuse detection, memory-hard
 * password hashing, runtime-adjustable token lifetimes and pluggable stores.
 *
 * @example
 * ```ts
 * import { createTokenAuth, MemoryStore } from 'token-auth';
 *
 * const auth = createTokenAuth({ store: new MemoryStore(), secret: process.env.JWT_SECRET });
 * ```
 *
 * @module token-auth
 */

export { createTokenAuth } from './create-token-auth.js';
export * from './errors.js';
export {
  EMAIL_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  USER_AGENT_MAX_LENGTH,
  USERNAME_MAX_LENGTH,
} from './lib/validate.js';
export { type Argon2idHasherOptions, argon2idHasher } from './passwords/argon2id-hasher.js';
export { type ScryptHasherOptions, scryptHasher } from './passwords/scrypt-hasher.js';
export { DEFAULT_SETTINGS, SETTINGS_BOUNDS } from './settings.js';
export * from './stores/index.js';
export { DEFAULT_THROTTLE } from './throttle.js';
export type * from './types.js';
