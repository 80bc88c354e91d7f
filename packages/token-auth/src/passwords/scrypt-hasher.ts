/**
 * A password hasher on Node's built-in scrypt, for deployments that avoid native add-ons.
 *
 * @module
 */

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { integerOption } from '../lib/options.js';
import type { PasswordHasher } from '../types.js';

/**
 * Options of {@link scryptHasher}. Defaults are OWASP's recommended minimum.
 *
 * @example
 * ```ts
 * scryptHasher({ cost: 2 ** 16, blockSize: 8, parallelization: 2 }); // OWASP's alternative
 * ```
 */
export interface ScryptHasherOptions {
  /**
   * CPU/memory cost `N`, a power of two. Memory per hash is `128 × N × r` bytes
   * (128 MiB with the defaults).
   * @defaultValue `131072` (2^17)
   */
  cost?: number | undefined;
  /**
   * Block size `r`.
   * @defaultValue `8`
   */
  blockSize?: number | undefined;
  /**
   * Parallelization `p`.
   * @defaultValue `1`
   */
  parallelization?: number | undefined;
  /**
   * Length of the derived hash in bytes.
   * @defaultValue `32`
   */
  keyLength?: number | undefined;
  /**
   * Length of the random salt in bytes.
   * @defaultValue `16`
   */
  saltLength?: number | undefined;
}

/** Refuse to derive with more memory than this, even for a stored hash that asks for it. */
const MAX_MEMORY_BYTES = 1024 ** 3;
const HASH_PATTERN =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{22,})$/;

interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/**
 * A {@link PasswordHasher} using Node's asynchronous `crypto.scrypt` (RFC 7914), with
 * OWASP's recommended minimum by default: N = 2^17, r = 8, p = 1 (128 MiB per hash; Node's
 * `maxmem` is raised to fit). Hashes are PHC-style strings,
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (unpadded base64), compared with `timingSafeEqual`.
 * A change of parameters makes {@link PasswordHasher.needsRehash} true for older hashes.
 *
 * @param options - Cost parameters; see {@link ScryptHasherOptions}.
 * @returns The hasher.
 * @throws {@link ConfigError} when `cost` is not a power of two or a parameter is out of range.
 * @example
 * ```ts
 * import { createTokenAuth, scryptHasher } from 'token-auth';
 *
 * const auth = createTokenAuth({ store, secret, passwordHasher: scryptHasher() });
 * ```
 */
export function scryptHasher(options: ScryptHasherOptions = {}): PasswordHasher {
  const cost = integerOption('cost', options.cost, 2 ** 17, 2, 2 ** 24);
  if ((cost & (cost - 1)) !== 0) throw new ConfigError('cost must be a power of two');
  const params: ScryptParams = {
    ln: Math.log2(cost),
    r: integerOption('blockSize', options.blockSize, 8, 1, 64),
    p: integerOption('parallelization', options.parallelization, 1, 1, 16),
  };
  if (memoryBytes(params) > MAX_MEMORY_BYTES)
    throw new ConfigError('cost × blockSize needs more than 1 GiB of memory');
  const keyLength = integerOption('keyLength', options.keyLength, 32, 16, 128);
  const saltLength = integerOption('saltLength', options.saltLength, 16, 8, 64);

  return {
    async hash(password) {
      const salt = randomBytes(saltLength);
      const derived = await derive(password, salt, params, keyLength);
      return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${toBase64(salt)}$${toBase64(derived)}`;
    },
    async verify(stored, password) {
      const parsed = parseHash(stored);
      if (parsed === undefined) return false;
      try {
        const derived = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
        return timingSafeEqual(derived, parsed.hash);
      } catch {
        return false;
      }
    },
    needsRehash(stored) {
      const parsed = parseHash(stored);
      return (
        parsed === undefined ||
        parsed.params.ln !== params.ln ||
        parsed.params.r !== params.r ||
        parsed.params.p !== params.p ||
        parsed.hash.length !== keyLength ||
        parsed.salt.length !== saltLength
      );
    },
  };
}

function memoryBytes(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r;
}

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const options = { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: 2 * memoryBytes(params) };
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const match = typeof stored === 'string' ? HASH_PATTERN.exec(stored) : null;
  if (match === null) return undefined;
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (params.ln < 1 || params.r < 1 || params.p < 1 || memoryBytes(params) > MAX_MEMORY_BYTES)
    return undefined;
  return {
    params,
    salt: Buffer.from(match[4] as string, 'base64'),
    hash: Buffer.from(match[5] as string, 'base64'),
  };
}

function toBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
