/**
 * Access tokens: short-lived HMAC-signed JWTs, verified without any store call.
 *
 * Header `{ alg, typ: "at+jwt", kid }` (RFC 9068 section 2.1 typing, RFC 8725 section 3.11);
 * claims `sub` (user id as a string), `user_id` (the same id as a number, the claim the brief's
 * example tokens carry, so clients that read it keep working), `iat`, `exp`, `jti` (a UUID), `sid`
 * (the refresh-token family, one per login) and, when configured, `iss` and `aud`.
 *
 * @module
 */

import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { type JWTPayload, type JWTVerifyOptions, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { v4 as uuidv4 } from 'uuid';
import { ConfigError, InvalidTokenError, TokenAuthError, TokenExpiredError } from '../errors.js';
import { LruCache } from '../lib/lru-cache.js';
import type { AccessTokenClaims, JwtAlgorithm, JwtKey } from '../types.js';

/** The `typ` header of every access token (RFC 9068). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Minimum secret length in bytes per algorithm: the hash output size (RFC 7518 section 3.2). */
const MIN_SECRET_BYTES: Readonly<Record<JwtAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };
const ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'HS384', 'HS512'];

/**
 * Tokens longer than this are refused before any parsing. Ours are about 350 characters;
 * the bound only stops a caller from making the verifier chew on megabytes.
 */
const MAX_TOKEN_LENGTH = 4096;
const USER_ID_PATTERN = /^[1-9][0-9]{0,15}$/;

/** A key ready for use: imported once as a `KeyObject`, never re-derived per call. */
interface ImportedKey {
  kid: string;
  algorithm: JwtAlgorithm;
  key: KeyObject;
}

/** Options of {@link AccessTokens}, already resolved by `createTokenAuth`. */
export interface AccessTokensOptions {
  /** `secret` of the public options (mutually exclusive with `keys`). */
  secret?: string | Uint8Array | undefined;
  /** `keys` of the public options. */
  keys?: readonly JwtKey[] | undefined;
  /** Expected and issued `iss`. */
  issuer?: string | undefined;
  /** Expected and issued `aud`. */
  audience?: string | undefined;
  /** The clock, epoch ms. */
  now: () => number;
  /** Size of the verified-token cache; 0 turns it off. */
  cacheSize: number;
}

/** What {@link AccessTokens.sign} needs to know. */
export interface SignInput {
  /** The user id, written as the string `sub`. */
  userId: number;
  /** The refresh-token family id, written as `sid`. */
  sessionId: string;
  /** Lifetime in whole seconds. */
  ttlSeconds: number;
  /** Issue time, epoch ms (from the core's clock). */
  nowMs: number;
}

/**
 * Signs and verifies access tokens. Internal: `createTokenAuth` exposes its operations.
 *
 * Keys are imported once as `KeyObject`s (jose turns a `CryptoKey` into one on every call,
 * and a raw `Uint8Array` costs a fresh import per call). Verified tokens are remembered in a
 * bounded LRU cache keyed by the whole token string, so a forged variant can never hit it;
 * `exp` is re-checked against the clock on every hit.
 */
export class AccessTokens {
  readonly #signingKey: ImportedKey;
  readonly #keysById: ReadonlyMap<string, ImportedKey>;
  readonly #verifyOptions: Omit<JWTVerifyOptions, 'currentDate'>;
  readonly #issuer: string | undefined;
  readonly #audience: string | undefined;
  readonly #now: () => number;
  readonly #cache: LruCache<string, AccessTokenClaims> | undefined;
  /**
   * The key refresh-token successors are derived under: HKDF-SHA-256 of the signing key,
   * so that it is never the signing key itself and changes when the signing key does.
   */
  readonly successorKey: KeyObject;

  /**
   * @param options - Keys, expected issuer and audience, clock and cache size.
   * @throws {@link ConfigError} when the keys are missing, duplicated, too short or use an
   *   algorithm outside the allow-list.
   */
  constructor(options: AccessTokensOptions) {
    const keys = importKeys(options.secret, options.keys);
    this.#signingKey = keys[0] as ImportedKey;
    this.#keysById = new Map(keys.map((key) => [key.kid, key]));
    this.successorKey = createSecretKey(
      Buffer.from(hkdfSync('sha256', this.#signingKey.key, '', 'token-auth refresh-token successor', 32)),
    );
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#now = options.now;
    this.#cache = options.cacheSize > 0 ? new LruCache(options.cacheSize) : undefined;
    this.#verifyOptions = {
      algorithms: [...new Set(keys.map((key) => key.algorithm))],
      typ: ACCESS_TOKEN_TYPE,
      clockTolerance: 0,
      requiredClaims: ['sub', 'iat', 'exp', 'jti', 'sid'],
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    };
  }

  /**
   * Signs a new access token with the first key.
   *
   * @param input - User, session, lifetime and issue time.
   * @returns The compact JWT and its `exp` (epoch seconds).
   */
  async sign(input: SignInput): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(input.nowMs / 1000);
    const exp = iat + input.ttlSeconds;
    const jwt = new SignJWT({ user_id: input.userId, sid: input.sessionId })
      .setProtectedHeader({
        alg: this.#signingKey.algorithm,
        typ: ACCESS_TOKEN_TYPE,
        kid: this.#signingKey.kid,
      })
      .setSubject(String(input.userId))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(uuidv4());
    if (this.#issuer !== undefined) jwt.setIssuer(this.#issuer);
    if (this.#audience !== undefined) jwt.setAudience(this.#audience);
    return { token: await jwt.sign(this.#signingKey.key), expiresAt: exp };
  }

  /**
   * Verifies an access token: signature, allowed algorithm, key id, `typ`, `iss`, `aud`,
   * `exp` (no clock tolerance) and the claims' shapes. No store call.
   *
   * @param token - The compact JWT, as received.
   * @returns Its claims.
   * @throws {@link TokenExpiredError} when it is genuine but expired.
   * @throws {@link InvalidTokenError} for anything else wrong with it.
   */
  async verify(token: unknown): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenError('The access token is missing or not a compact JWT');
    }
    const nowMs = this.#now();
    const cached = this.#cache?.get(token);
    if (cached !== undefined) {
      if (isExpired(cached.exp, nowMs)) {
        this.#cache?.delete(token);
        throw new TokenExpiredError('The access token has expired');
      }
      return cached;
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#resolveKey, {
        ...this.#verifyOptions,
        currentDate: new Date(nowMs),
      }));
    } catch (error) {
      throw toTokenError(error);
    }
    const claims = toClaims(payload);
    this.#cache?.set(token, claims);
    return claims;
  }

  /** Picks the verification key named by the header's `kid`; its algorithm must match. */
  readonly #resolveKey = (header: { kid?: string | undefined; alg?: string | undefined }): KeyObject => {
    if (typeof header.kid !== 'string') throw new InvalidTokenError('The access token names no key id');
    const key = this.#keysById.get(header.kid);
    if (key === undefined) throw new InvalidTokenError('The access token names an unknown key id');
    if (header.alg !== key.algorithm) {
      throw new InvalidTokenError('The access token algorithm does not match its key');
    }
    return key.key;
  };
}

/** Whether a token with this `exp` (epoch s) is expired at `nowMs`, exactly as jose decides. */
function isExpired(exp: number, nowMs: number): boolean {
  return exp <= Math.floor(nowMs / 1000);
}

function importKeys(secret: AccessTokensOptions['secret'], keys: AccessTokensOptions['keys']): ImportedKey[] {
  if (secret !== undefined && keys !== undefined) {
    throw new ConfigError('Pass either `secret` or `keys`, not both');
  }
  if (secret !== undefined) return [importKey({ kid: 'default', secret }, 'secret')];
  if (keys === undefined) throw new ConfigError('A signing key is required: pass `secret` or `keys`');
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigError('`keys` must be a non-empty array');
  const imported = keys.map((key, index) => importKey(key, `keys[${index}]`));
  const seen = new Set<string>();
  for (const [index, key] of imported.entries()) {
    if (seen.has(key.kid)) throw new ConfigError(`keys[${index}].kid repeats an earlier key id`);
    seen.add(key.kid);
  }
  return imported;
}

function importKey(key: JwtKey, path: string): ImportedKey {
  if (typeof key !== 'object' || key === null) throw new ConfigError(`${path} must be an object`);
  if (typeof key.kid !== 'string' || key.kid.length === 0 || key.kid.length > 256) {
    throw new ConfigError(`${path}.kid must be a non-empty string of at most 256 characters`);
  }
  const algorithm = key.algorithm ?? 'HS256';
  if (!ALGORITHMS.includes(algorithm)) {
    throw new ConfigError(`${path}.algorithm must be one of ${ALGORITHMS.join(', ')}`);
  }
  const secretPath = path === 'secret' ? 'secret' : `${path}.secret`;
  let bytes: Uint8Array;
  if (typeof key.secret === 'string') bytes = new TextEncoder().encode(key.secret);
  else if (key.secret instanceof Uint8Array) bytes = key.secret;
  else throw new ConfigError(`${secretPath} must be a string or a Uint8Array`);
  const minimum = MIN_SECRET_BYTES[algorithm];
  if (bytes.byteLength < minimum) {
    // The length is safe to report; the secret itself never appears in a message.
    throw new ConfigError(
      `${secretPath} is ${bytes.byteLength} bytes; ${algorithm} needs at least ${minimum} bytes (${minimum * 8} bits)`,
    );
  }
  return { kid: key.kid, algorithm, key: createSecretKey(Uint8Array.from(bytes)) };
}

function toClaims(payload: JWTPayload): AccessTokenClaims {
  const { sub, iat, exp, jti, sid } = payload;
  if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub) || !Number.isSafeInteger(Number(sub))) {
    throw new InvalidTokenError('The access token subject is not a user id');
  }
  if (payload.user_id !== undefined && payload.user_id !== Number(sub)) {
    throw new InvalidTokenError('The access token user_id does not match its subject');
  }
  if (typeof jti !== 'string' || jti.length === 0)
    throw new InvalidTokenError('The access token has no token id');
  if (typeof sid !== 'string' || sid.length === 0)
    throw new InvalidTokenError('The access token has no session id');
  if (typeof iat !== 'number' || typeof exp !== 'number') {
    throw new InvalidTokenError('The access token has no issue or expiry time');
  }
  return Object.freeze({ userId: Number(sub), iat, exp, jti, sid });
}

/** Maps a jose failure to a token-auth error whose message names the reason, never the token. */
function toTokenError(error: unknown): TokenAuthError {
  if (error instanceof TokenAuthError) return error;
  if (error instanceof joseErrors.JWTExpired)
    return new TokenExpiredError('The access token has expired', { cause: error });
  let reason = 'it is malformed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) reason = 'its signature does not verify';
  else if (error instanceof joseErrors.JOSEAlgNotAllowed) reason = 'its algorithm is not allowed';
  else if (error instanceof joseErrors.JWTClaimValidationFailed) reason = `its "${error.claim}" check failed`;
  return new InvalidTokenError(`The access token is invalid: ${reason}`, { cause: error });
}
