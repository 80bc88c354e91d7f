/**
 * The default password hasher: argon2id through `@node-rs/argon2` (native, off the event loop).
 *
 * @module
 */

import { type Algorithm, hash, parseOptions, type Version, verify } from '@node-rs/argon2';
import { ConfigError } from '../errors.js';
import { integerOption } from '../lib/options.js';
import type { PasswordHasher } from '../types.js';

// `Algorithm` and `Version` are const enums that do not exist at run time; these are their values.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

/**
 * Options of {@link argon2idHasher}. Defaults are OWASP's first recommended configuration.
 *
 * @example
 * ```ts
 * argon2idHasher({ memoryCost: 47_104, timeCost: 1 }); // OWASP's alternative: 46 MiB, t = 1
 * ```
 */
export interface Argon2idHasherOptions {
  /**
   * Memory per hash in KiB (`m`).
   * @defaultValue `19456` (19 MiB)
   */
  memoryCost?: number | undefined;
  /**
   * Passes over memory (`t`).
   * @defaultValue `2`
   */
  timeCost?: number | undefined;
  /**
   * Lanes (`p`).
   * @defaultValue `1`
   */
  parallelism?: number | undefined;
  /**
   * Length of the derived hash in bytes.
   * @defaultValue `32`
   */
  outputLength?: number | undefined;
}

/**
 * A {@link PasswordHasher} using argon2id (RFC 9106) with OWASP's recommended minimum
 * parameters by default: m = 19 MiB, t = 2, p = 1. Hashes are PHC strings such as
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, so raising the parameters later only makes
 * {@link PasswordHasher.needsRehash} true for old hashes; token-auth then rehashes them at the
 * next successful login.
 *
 * @param options - Cost parameters; see {@link Argon2idHasherOptions}.
 * @returns The hasher.
 * @throws {@link ConfigError} when a parameter is not a positive integer in argon2's range.
 * @example
 * ```ts
 * import { argon2idHasher, createTokenAuth } from 'token-auth';
 *
 * const auth = createTokenAuth({ store, secret, passwordHasher: argon2idHasher({ memoryCost: 47_104, timeCost: 1 }) });
 * ```
 */
export function argon2idHasher(options: Argon2idHasherOptions = {}): PasswordHasher {
  const memoryCost = integerOption('memoryCost', options.memoryCost, 19_456, 8, 4_194_304);
  const timeCost = integerOption('timeCost', options.timeCost, 2, 1, 100);
  const parallelism = integerOption('parallelism', options.parallelism, 1, 1, 255);
  const outputLen = integerOption('outputLength', options.outputLength, 32, 16, 128);
  if (memoryCost < 8 * parallelism)
    throw new ConfigError('memoryCost must be at least 8 KiB per lane (8 × parallelism)');
  const params = { algorithm: ARGON2ID, version: VERSION_0X13, memoryCost, timeCost, parallelism, outputLen };

  return {
    hash: (password) => hash(password, params),
    async verify(stored, password) {
      try {
        return await verify(stored, password);
      } catch {
        return false; // a malformed hash never matches
      }
    },
    needsRehash(stored) {
      try {
        const used = parseOptions(stored);
        return (
          used.algorithm !== ARGON2ID ||
          used.version !== VERSION_0X13 ||
          used.memoryCost !== memoryCost ||
          used.timeCost !== timeCost ||
          used.parallelism !== parallelism ||
          used.outputLen !== outputLen
        );
      } catch {
        return true;
      }
    },
  };
}
