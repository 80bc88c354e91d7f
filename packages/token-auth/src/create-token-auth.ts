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
  InvalidTokenError,
  RefreshTokenReusedError,
  SessionNotFoundError,
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
  USER_AGENT_MAX_LENGTH,
} from './lib/validate.js';
import { argon2idHasher } from './passwords/argon2id-hasher.js';
import { RuntimeSettings } from './settings.js';
import type { SessionRecord, UserPatch, UserRecord } from './stores/port.js';
import { LoginThrottle } from './throttle.js';
import { AccessTokens } from './tokens/access-token.js';
import {
  deriveSuccessor,
  generateRefreshToken,
  hashRefreshToken,
  parseRefreshToken,
} from './tokens/refresh-token.js';
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

  /** Signs an access token of `session` and pairs it with `refreshToken`. */
  async function pairFor(
    session: { id: string; userId: number; expiresAt: number },
    refreshToken: string,
    accessTokenTtlSeconds: number,
    nowMs: number,
  ): Promise<TokenPair> {
    const access = await accessTokens.sign({
      userId: session.userId,
      sessionId: session.id,
      ttlSeconds: accessTokenTtlSeconds,
      nowMs,
    });
    return {
      accessToken: access.token,
      refreshToken,
      accessTokenExpiresAt: access.expiresAt,
      refreshTokenExpiresAt: Math.floor(session.expiresAt / 1000),
    };
  }

  /** Opens a new session (a login) with the lifetimes in force now. */
  async function startSession(
    userId: number,
    userAgent: string,
  ): Promise<{ pair: TokenPair; sessionId: string }> {
    const lifetimes = await settings.get();
    const nowMs = now();
    const refreshToken = generateRefreshToken();
    const session = {
      id: randomUUID(),
      userId,
      headHash: hashRefreshToken(refreshToken),
      createdAt: nowMs,
      expiresAt: nowMs + lifetimes.refreshTokenTtlSeconds * 1000,
      userAgent,
    };
    await store.startSession(session);
    return {
      pair: await pairFor(session, refreshToken, lifetimes.accessTokenTtlSeconds, nowMs),
      sessionId: session.id,
    };
  }

  /**
   * Opens a session for a user whose password was just verified against `verifiedHash`, then
   * checks the user again: a password change or a deactivation that ran while the password was
   * being verified has ended every session, but not this one, which it could not see yet.
   * Such a login is refused and its session ended. A hash changed by someone else's rehash
   * still verifies the password, so only a real change refuses the login.
   */
  async function startCheckedSession(
    user: UserRecord,
    verifiedHash: string,
    password: string,
    userAgent: string,
  ): Promise<TokenPair> {
    const { pair, sessionId } = await startSession(user.id, userAgent);
    const current = await store.getUserById(user.id);
    const unchanged =
      current?.isActive === true &&
      (current.passwordHash === verifiedHash || (await hasher.verify(current.passwordHash, password)));
    if (unchanged) return pair;
    await store.endSession(user.id, sessionId);
    throw new InvalidCredentialsError('The email or password is incorrect');
  }

  /** Ends a session in which reuse was seen, then says so (RFC 9700 section 4.14.2). */
  async function endReusedSession(session: SessionRecord): Promise<never> {
    await store.endSession(session.userId, session.id);
    throw new RefreshTokenReusedError('The refresh token was already used; its session has ended');
  }

  /** Whether a `parent` answer is a retry inside the grace window (anchored at the rotation). */
  function withinGrace(session: SessionRecord, nowMs: number): boolean {
    return reuseGraceMs > 0 && session.rotatedAt !== null && nowMs - session.rotatedAt < reuseGraceMs;
  }

  /** The user behind an authenticated call: it must exist and be active. */
  async function activeUser(userId: number): Promise<UserRecord> {
    assertUserId(userId);
    const user = await requireUser(userId);
    if (!user.isActive) throw new InvalidTokenError('The user of this token is inactive');
    return user;
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

    async login(input, context) {
      assertObject(input);
      const [email, password] = collect(checkLoginEmail(input.email), checkPresentedPassword(input.password));
      const { clientKey, userAgent } = checkContext(context);
      const emailKey = toEmailKey(email);
      await throttle?.begin(emailKey, clientKey);

      const user = await store.getUserByEmailKey(emailKey);
      const matches = await hasher.verify(user?.passwordHash ?? (await getDummyHash()), password);
      if (user === undefined || !matches || !user.isActive) {
        throw new InvalidCredentialsError('The email or password is incorrect');
      }
      await throttle?.recordSuccess(emailKey, clientKey);
      let verifiedHash = user.passwordHash;
      if (hasher.needsRehash(user.passwordHash)) {
        verifiedHash = (await updateExisting(user.id, { passwordHash: await hasher.hash(password) }))
          .passwordHash;
      }
      return startCheckedSession(user, verifiedHash, password, userAgent);
    },

    async refresh(refreshToken) {
      const presented = parseRefreshToken(refreshToken);
      const successor = deriveSuccessor(accessTokens.successorKey, presented);
      const successorHash = hashRefreshToken(successor);
      const lifetimes = await settings.get();
      const nowMs = now();
      const result = await store.rotate(
        hashRefreshToken(presented),
        { hash: successorHash, expiresAt: nowMs + lifetimes.refreshTokenTtlSeconds * 1000 },
        nowMs,
      );
      switch (result.status) {
        case 'rotated':
          break;
        case 'parent':
          if (!withinGrace(result.session, nowMs)) return endReusedSession(result.session);
          // A retry: the same successor again. It is the head unless the signing key changed
          // since the rotation; then the retry cannot be served, but it is no attack either.
          if (result.session.headHash !== successorHash) {
            throw new InvalidRefreshTokenError('The refresh token was already rotated');
          }
          break;
        case 'reused':
          return endReusedSession(result.session);
        case 'expired':
          throw new InvalidRefreshTokenError('The refresh token has expired');
        default:
          throw new InvalidRefreshTokenError('The refresh token is not valid');
      }
      const { session } = result;
      const user = await store.getUserById(session.userId);
      if (user === undefined || !user.isActive) {
        // Deactivation ends sessions; this closes the race with a rotation already under way.
        await store.endSession(session.userId, session.id);
        throw new InvalidRefreshTokenError('The refresh token is not valid');
      }
      return pairFor(session, successor, lifetimes.accessTokenTtlSeconds, nowMs);
    },

    async logout(refreshToken) {
      const presented = parseRefreshToken(refreshToken);
      const nowMs = now();
      // The port's one session primitive finds the session by its head: moving the head to a
      // hash nobody holds is atomic, so a concurrent refresh with the same token cannot slip
      // between the check and the end.
      const result = await store.rotate(
        hashRefreshToken(presented),
        { hash: hashRefreshToken(generateRefreshToken()), expiresAt: nowMs + 1 },
        nowMs,
      );
      switch (result.status) {
        case 'rotated':
          await store.endSession(result.session.userId, result.session.id);
          return;
        case 'parent':
          // A logout retried with the token a refresh just replaced still ends the session.
          if (withinGrace(result.session, nowMs)) {
            await store.endSession(result.session.userId, result.session.id);
            return;
          }
          return endReusedSession(result.session);
        case 'reused':
          return endReusedSession(result.session);
        case 'expired':
          throw new InvalidRefreshTokenError('The refresh token has expired');
        default:
          throw new InvalidRefreshTokenError('The refresh token is not valid');
      }
    },

    async logoutEverywhere(userId) {
      await activeUser(userId);
      return store.endUserSessions(userId);
    },

    async listSessions(userId) {
      await activeUser(userId);
      const sessions = await store.listSessions(userId, now());
      return sessions.map((session) => ({
        id: session.id,
        createdAt: session.createdAt,
        lastUsedAt: session.lastUsedAt,
        expiresAt: session.expiresAt,
        userAgent: session.userAgent,
      }));
    },

    async endSession(userId, sessionId) {
      await activeUser(userId);
      const ended =
        typeof sessionId === 'string' &&
        sessionId.length <= 64 &&
        (await store.endSession(userId, sessionId));
      if (!ended) throw new SessionNotFoundError('The user has no such session');
    },

    async changePassword(userId, currentPassword, newPassword, context) {
      const user = await activeUser(userId);
      const [current, next] = collect(
        checkPresentedPassword(currentPassword, CURRENT_PASSWORD_FIELD),
        checkNewPassword(newPassword, NEW_PASSWORD_FIELD),
      );
      const { clientKey, userAgent } = checkContext(context);
      await throttle?.begin(user.emailKey, clientKey);
      if (!(await hasher.verify(user.passwordHash, current))) {
        throw new ValidationError([
          { field: CURRENT_PASSWORD_FIELD, message: 'current_password is incorrect' },
        ]);
      }
      await throttle?.recordSuccess(user.emailKey, clientKey);
      // Every session ends, the caller's too: whoever knew the old password may hold one. Before
      // the change, so that a store failure in between leaves the old password with no session;
      // after it again, for the sessions a login with the old password opened meanwhile (a
      // login still under way then refuses itself; see startCheckedSession).
      await store.endUserSessions(userId);
      const changed = await updateExisting(userId, { passwordHash: await hasher.hash(next) });
      await store.endUserSessions(userId);
      return startCheckedSession(changed, changed.passwordHash, next, userAgent);
    },

    verifyAccessToken: (token) => accessTokens.verify(token),

    async getUser(userId) {
      assertUserId(userId);
      return toPublicUser(await requireUser(userId));
    },

    async getProfile(userId) {
      return toPublicUser(await activeUser(userId));
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
      const user = await activeUser(userId);
      if (Object.keys(change).length === 0) return toPublicUser(user);
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
          if (!same) await store.endUserSessions(existing.id);
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
      if (isActive === false) await store.endUserSessions(userId);
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

/** The input field names of {@link TokenAuth.changePassword}, as the HTTP API spells them. */
const CURRENT_PASSWORD_FIELD = 'current_password';
const NEW_PASSWORD_FIELD = 'new_password';

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

/** The per-call context: a client key for throttling, a user agent kept (truncated) with the session. */
function checkContext(context: LoginContext | undefined): {
  clientKey: string | undefined;
  userAgent: string;
} {
  const clientKey = context?.clientKey;
  const userAgent = context?.userAgent;
  const errors: FieldError[] = [];
  if (clientKey !== undefined && (typeof clientKey !== 'string' || clientKey.length > 512)) {
    errors.push({ field: 'clientKey', message: 'clientKey must be a string of at most 512 characters' });
  }
  if (userAgent !== undefined && typeof userAgent !== 'string') {
    errors.push({ field: 'userAgent', message: 'userAgent must be a string' });
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return {
    clientKey: clientKey === '' ? undefined : clientKey,
    userAgent: userAgent === undefined ? '' : userAgent.slice(0, USER_AGENT_MAX_LENGTH),
  };
}

function checkOptionalBoolean(
  field: string,
  value: unknown,
): { ok: true; value: boolean | undefined } | { ok: false; error: FieldError } {
  if (value === undefined || typeof value === 'boolean') return { ok: true, value };
  return { ok: false, error: { field, message: `${field} must be a boolean` } };
}
