/**
 * `createTokenAuth`: the single entry point that composes tokens, passwords, users,
 * settings and throttling over one store.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { FieldError } from './errors.js';
import {
  ConfigError,
  EmailTakenError,
  ForbiddenError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  RefreshTokenReusedError,
  UserNotFoundError,
  ValidationError,
} from './errors.js';
import { guardStore } from './lib/guard-store.js';
import { limitHasher } from './lib/limit-hasher.js';
import { integerOption } from './lib/options.js';
import {
  assertObject,
  assertUserId,
  checkEmail,
  checkNewPassword,
  checkPresentedPassword,
  checkUsername,
  collect,
  toEmailKey,
} from './lib/validate.js';
import { argon2idHasher } from './passwords/argon2id-hasher.js';
import { RuntimeSettings } from './settings.js';
import type { RefreshTokenRecord, UserPatch, UserRecord } from './stores/port.js';
import { LoginThrottle } from './throttle.js';
import { AccessTokens } from './tokens/access-token.js';
import { generateRefreshToken, hashRefreshToken, parseRefreshToken } from './tokens/refresh-token.js';
import type {
  LoginContext,
  PasswordHasher,
  PublicUser,
  TokenAuth,
  TokenAuthOptions,
  TokenPair,
} from './types.js';

/**
 * Creates the auth core over a store. Options are checked at once, so a misconfiguration
 * fails at start-up rather than at the first request.
 *
 * Every operation is asynchronous and throws only {@link TokenAuthError} subclasses; store
 * failures arrive as `StoreError`. Verifying an access token makes no store call.
 *
 * @param options - The store, a signing key (`secret` or `keys`) and optional tuning; see
 *   {@link TokenAuthOptions}.
 * @returns The operations; see {@link TokenAuth}.
 * @throws {@link ConfigError} when an option is unusable (for example a secret shorter than
 *   32 bytes, or a store missing a method). The message never contains the secret.
 * @example
 * ```ts
 * import { createTokenAuth, MemoryStore } from 'token-auth';
 *
 * const auth = createTokenAuth({ store: new MemoryStore(), secret: process.env.JWT_SECRET });
 * await auth.register({ email: 'user@example.com', password: 'correct horse battery' });
 * const { accessToken, refreshToken } = await auth.login({ email: 'user@example.com', password: 'correct horse battery' });
 * const { userId } = await auth.verifyAccessToken(accessToken);
 * ```
 */
export function createTokenAuth(options: TokenAuthOptions): TokenAuth {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError('createTokenAuth needs an options object');
  const store = guardStore(options.store);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function')
    throw new ConfigError('`now` must be a function returning epoch milliseconds');
  const hasher = limitHasher(
    checkHasher(options.passwordHasher),
    integerOption(
      'maxConcurrentHashes',
      options.maxConcurrentHashes,
      Math.max(1, availableParallelism() - 1),
      1,
      1024,
    ),
  );
  const accessTokens = new AccessTokens({
    secret: options.secret,
    keys: options.keys,
    issuer: optionalString('issuer', options.issuer),
    audience: optionalString('audience', options.audience),
    now,
    cacheSize: integerOption('verifiedTokenCacheSize', options.verifiedTokenCacheSize, 1000, 0, 1_000_000),
  });
  const reuseGraceMs = integerOption('reuseGraceMs', options.reuseGraceMs, 0, 0, 3_600_000);
  const settings = new RuntimeSettings({
    store,
    now,
    defaults: options.defaults,
    cacheTtlMs: integerOption('settingsCacheTtlMs', options.settingsCacheTtlMs, 1000, 0, 86_400_000),
  });
  if (
    options.throttle !== undefined &&
    options.throttle !== false &&
    (typeof options.throttle !== 'object' || options.throttle === null)
  ) {
    throw new ConfigError('`throttle` must be an object or false');
  }
  const throttle = options.throttle === false ? undefined : new LoginThrottle(store, now, options.throttle);

  // Verified against when the email is unknown, so that such a login costs what a wrong
  // password costs (no user enumeration by timing). Made once, on first need.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = (): Promise<string> => {
    dummyHash ??= hasher.hash(randomUUID()).catch((error: unknown) => {
      dummyHash = undefined;
      throw error;
    });
    return dummyHash;
  };

  /** Issues an access token and a stored refresh token of `familyId` with the lifetimes in force now. */
  async function issuePair(
    userId: number,
    familyId: string,
  ): Promise<{ pair: TokenPair; record: RefreshTokenRecord }> {
    const lifetimes = await settings.get();
    const nowMs = now();
    const refreshToken = generateRefreshToken();
    const record: RefreshTokenRecord = {
      tokenHash: hashRefreshToken(refreshToken),
      userId,
      familyId,
      createdAt: nowMs,
      expiresAt: nowMs + lifetimes.refreshTokenTtlSeconds * 1000,
      rotatedAt: null,
    };
    await store.createRefreshToken(record);
    const access = await accessTokens.sign({
      userId,
      sessionId: familyId,
      ttlSeconds: lifetimes.accessTokenTtlSeconds,
      nowMs,
    });
    return {
      pair: {
        accessToken: access.token,
        refreshToken,
        accessTokenExpiresAt: access.expiresAt,
        refreshTokenExpiresAt: Math.floor(record.expiresAt / 1000),
      },
      record,
    };
  }

  async function requireUser(userId: number): Promise<UserRecord> {
    const user = await store.getUserById(userId);
    if (user === undefined) throw new UserNotFoundError(`No user has id ${userId}`);
    return user;
  }

  async function updateExisting(userId: number, patch: UserPatch): Promise<UserRecord> {
    const user = await store.updateUser(userId, { ...patch, updatedAt: now() });
    if (user === undefined) throw new UserNotFoundError(`No user has id ${userId}`);
    return user;
  }

  const auth: TokenAuth = {
    async register(input) {
      assertObject(input);
      const [{ email, emailKey }, password, username] = collect(
        checkEmail(input.email),
        checkNewPassword(input.password),
        input.username === undefined ? { ok: true, value: '' } : checkUsername(input.username),
      );
      // Early exit saves the hashing work; the store's atomic createUser is the real guard.
      if ((await store.getUserByEmailKey(emailKey)) !== undefined) {
        throw new EmailTakenError('This email is already registered');
      }
      const passwordHash = await hasher.hash(password);
      const createdAt = now();
      const user = await store.createUser({
        email,
        emailKey,
        username,
        passwordHash,
        isStaff: false,
        isActive: true,
        createdAt,
        updatedAt: createdAt,
      });
      return toPublicUser(user);
    },

    async login(input, context?: LoginContext) {
      assertObject(input);
      const [email, password] = collect(checkLoginEmail(input.email), checkPresentedPassword(input.password));
      const clientKey = checkClientKey(context);
      const emailKey = toEmailKey(email);
      await throttle?.begin(emailKey, clientKey);

      const user = await store.getUserByEmailKey(emailKey);
      const matches = await hasher.verify(user?.passwordHash ?? (await getDummyHash()), password);
      if (user === undefined || !matches || !user.isActive) {
        throw new InvalidCredentialsError('The email or password is incorrect');
      }
      await throttle?.recordSuccess(emailKey, clientKey);
      if (hasher.needsRehash(user.passwordHash)) {
        await updateExisting(user.id, { passwordHash: await hasher.hash(password) });
      }
      return (await issuePair(user.id, randomUUID())).pair;
    },

    async refresh(refreshToken) {
      const tokenHash = hashRefreshToken(parseRefreshToken(refreshToken));
      const result = await store.consumeRefreshToken(tokenHash, now());
      switch (result.status) {
        case 'consumed': {
          const { familyId, userId } = result.record;
          const user = await store.getUserById(userId);
          if (user === undefined || !user.isActive) {
            await store.deleteRefreshTokenFamily(familyId);
            throw new InvalidRefreshTokenError('The refresh token is not valid');
          }
          const issued = await issuePair(userId, familyId);
          // The family may have been revoked (reuse detected, logout everywhere, user
          // deactivated) between our consume and our create, in which case the revocation
          // missed the new token. The rotated parent is deleted by every such revocation, so
          // its absence tells; the new token is then revoked too. The caller still gets the
          // pair: its refresh happened first, the revocation after (as for any revocation,
          // the access token lives until it expires).
          const parent = await store.consumeRefreshToken(tokenHash, now());
          if (parent.status === 'missing') await store.deleteRefreshToken(issued.record.tokenHash);
          return issued.pair;
        }
        case 'reused':
          if (reuseGraceMs > 0 && now() - (result.record.rotatedAt ?? 0) < reuseGraceMs) {
            throw new InvalidRefreshTokenError('The refresh token was already rotated');
          }
          // RFC 9700 section 4.14.2: a rotated token presented again means it leaked; revoke
          // the whole family, the legitimate client's current token included.
          await store.deleteRefreshTokenFamily(result.record.familyId);
          throw new RefreshTokenReusedError(
            'The refresh token was already used; its session has been revoked',
          );
        case 'expired':
          throw new InvalidRefreshTokenError('The refresh token has expired');
        default:
          throw new InvalidRefreshTokenError('The refresh token is not valid');
      }
    },

    async logout(refreshToken) {
      const tokenHash = hashRefreshToken(parseRefreshToken(refreshToken));
      const record = await store.deleteRefreshToken(tokenHash);
      if (record === undefined) throw new InvalidRefreshTokenError('The refresh token is not valid');
      if (record.rotatedAt !== null) {
        await store.deleteRefreshTokenFamily(record.familyId);
        throw new RefreshTokenReusedError('The refresh token was already used; its session has been revoked');
      }
      if (now() >= record.expiresAt) throw new InvalidRefreshTokenError('The refresh token has expired');
      // Logout ends the session: its rotated ancestors, kept only to detect reuse, go too,
      // so a logged-out session leaves nothing behind in the store.
      await store.deleteRefreshTokenFamily(record.familyId);
    },

    async logoutEverywhere(userId) {
      assertUserId(userId);
      return store.deleteUserRefreshTokens(userId);
    },

    async listSessions(userId) {
      assertUserId(userId);
      const records = await store.listUserRefreshTokens(userId, now());
      return records.map((record) => ({
        sessionId: record.familyId,
        issuedAt: record.createdAt,
        expiresAt: record.expiresAt,
      }));
    },

    verifyAccessToken: (token) => accessTokens.verify(token),

    async getProfile(userId) {
      assertUserId(userId);
      return toPublicUser(await requireUser(userId));
    },

    async updateProfile(userId, patch) {
      assertUserId(userId);
      assertObject(patch);
      const checks = [
        patch.email === undefined ? undefined : checkEmail(patch.email),
        patch.username === undefined ? undefined : checkUsername(patch.username),
      ] as const;
      const errors = checks.flatMap((check) => (check !== undefined && !check.ok ? [check.error] : []));
      if (errors.length > 0) throw new ValidationError(errors);
      const [email, username] = checks;
      const change: UserPatch = {
        ...(email?.ok ? email.value : {}),
        ...(username?.ok ? { username: username.value } : {}),
      };
      if (Object.keys(change).length === 0) return toPublicUser(await requireUser(userId));
      return toPublicUser(await updateExisting(userId, change));
    },

    async ensureUser(input) {
      assertObject(input);
      const [{ email, emailKey }, password, isStaff] = collect(
        checkEmail(input.email),
        checkNewPassword(input.password),
        checkOptionalBoolean('isStaff', input.isStaff),
      );
      const passwordHash = await hasher.hash(password);
      const flags = isStaff === undefined ? {} : { isStaff };
      for (let attempt = 0; ; attempt++) {
        const existing = await store.getUserByEmailKey(emailKey);
        if (existing !== undefined) {
          // The same password (every restart of a server that ensures its admin) keeps the
          // hash, unless its parameters are outdated, and the sessions. A new password ends
          // every session: rotating a leaked password must lock the old holder out.
          const same = await hasher.verify(existing.passwordHash, password);
          const keepHash = same && !hasher.needsRehash(existing.passwordHash);
          const user = await updateExisting(existing.id, keepHash ? flags : { passwordHash, ...flags });
          if (!same) await store.deleteUserRefreshTokens(existing.id);
          return toPublicUser(user);
        }
        try {
          const createdAt = now();
          const user = await store.createUser({
            email,
            emailKey,
            username: '',
            passwordHash,
            isStaff: isStaff ?? false,
            isActive: true,
            createdAt,
            updatedAt: createdAt,
          });
          return toPublicUser(user);
        } catch (error) {
          // Lost a race with a concurrent creation: update the winner instead (once).
          if (!(error instanceof EmailTakenError) || attempt > 0) throw error;
        }
      }
    },

    async setUserFlags(userId, flags) {
      assertUserId(userId);
      assertObject(flags);
      const [isStaff, isActive] = collect(
        checkOptionalBoolean('isStaff', flags.isStaff),
        checkOptionalBoolean('isActive', flags.isActive),
      );
      const change: UserPatch = {
        ...(isStaff === undefined ? {} : { isStaff }),
        ...(isActive === undefined ? {} : { isActive }),
      };
      if (Object.keys(change).length === 0) return toPublicUser(await requireUser(userId));
      const user = await updateExisting(userId, change);
      // A deactivated user's sessions end now, so that reactivation does not revive them.
      if (isActive === false) await store.deleteUserRefreshTokens(userId);
      return toPublicUser(user);
    },

    async requireStaff(userId) {
      const user = Number.isSafeInteger(userId) && userId > 0 ? await store.getUserById(userId) : undefined;
      if (user === undefined || !user.isActive || !user.isStaff)
        throw new ForbiddenError('Staff access is required');
      return toPublicUser(user);
    },

    getSettings: () => settings.view(),
    updateSettings: (patch, actor) => settings.update(patch, actor),
    getSettingsHistory: (limit) => settings.history(limit),
  };
  return Object.freeze(auth);
}

function toPublicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    isStaff: user.isStaff,
    isActive: user.isActive,
  };
}

function checkHasher(hasher: PasswordHasher | undefined): PasswordHasher {
  if (hasher === undefined) return argon2idHasher();
  for (const name of ['hash', 'verify', 'needsRehash'] as const) {
    if (typeof hasher?.[name] !== 'function')
      throw new ConfigError(`passwordHasher.${name} must be a function`);
  }
  return hasher;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0)
    throw new ConfigError(`\`${name}\` must be a non-empty string`);
  return value;
}

/** At login the email is only required to be a string: an invalid one matches no account. */
function checkLoginEmail(value: unknown): ReturnType<typeof checkPresentedPassword> {
  if (value === undefined || value === null || value === '')
    return { ok: false, error: { field: 'email', message: 'email is required' } };
  if (typeof value !== 'string')
    return { ok: false, error: { field: 'email', message: 'email must be a string' } };
  if (value.trim().length > 254)
    return { ok: false, error: { field: 'email', message: 'email must be at most 254 characters' } };
  return { ok: true, value };
}

function checkClientKey(context: LoginContext | undefined): string | undefined {
  const clientKey = context?.clientKey;
  if (clientKey === undefined || clientKey === '') return undefined;
  if (typeof clientKey !== 'string' || clientKey.length > 512) {
    throw new ValidationError([
      { field: 'clientKey', message: 'clientKey must be a string of at most 512 characters' },
    ]);
  }
  return clientKey;
}

function checkOptionalBoolean(
  field: string,
  value: unknown,
): { ok: true; value: boolean | undefined } | { ok: false; error: FieldError } {
  if (value === undefined || typeof value === 'boolean') return { ok: true, value };
  return { ok: false, error: { field, message: `${field} must be a boolean` } };
}
