/**
 * Public types of the token-auth core: its options and the operations it returns.
 *
 * @module
 */

// Imported for the TSDoc links below.
import type { createTokenAuth } from './create-token-auth.js';
import type {
  EmailTakenError,
  ForbiddenError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  InvalidTokenError,
  RefreshTokenReusedError,
  SessionNotFoundError,
  StoreError,
  TokenAuthError,
  TokenExpiredError,
  TooManyAttemptsError,
  UserNotFoundError,
  ValidationError,
} from './errors.js';
import type { argon2idHasher } from './passwords/argon2id-hasher.js';
import type { scryptHasher } from './passwords/scrypt-hasher.js';
import type { SettingsChange, TokenAuthStore } from './stores/port.js';

/**
 * HMAC algorithms accepted for access tokens (RFC 8725 allow-list; never `none`).
 *
 * @example
 * ```ts
 * const algorithm: JwtAlgorithm = 'HS512'; // needs a secret of at least 64 bytes
 * ```
 */
export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512';

/**
 * One access-token key: the first of {@link TokenAuthOptions.keys} signs, all verify.
 *
 * @example
 * ```ts
 * const keys: JwtKey[] = [
 *   { kid: '2025-06', secret: process.env.JWT_SECRET_NEW },
 *   { kid: '2025-01', secret: process.env.JWT_SECRET_OLD }, // still verifies
 * ];
 * ```
 */
export interface JwtKey {
  /** Key id written to the JWT header (`kid`); verification picks the key by it. */
  kid: string;
  /** The shared secret: at least 32 bytes (256 bits) for HS256, 48 for HS384, 64 for HS512. */
  secret: string | Uint8Array;
  /**
   * Signing algorithm of this key.
   * @defaultValue `'HS256'`
   */
  algorithm?: JwtAlgorithm | undefined;
}

/**
 * The runtime settings: token lifetimes in whole seconds.
 *
 * @example
 * ```ts
 * const settings: Settings = { accessTokenTtlSeconds: 30, refreshTokenTtlSeconds: 2_592_000 };
 * ```
 */
export interface Settings {
  /** Access-token lifetime in whole seconds (default 30). */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime in whole seconds (default 2 592 000, i.e. 30 days). */
  refreshTokenTtlSeconds: number;
}

/**
 * Inclusive bounds of one setting.
 *
 * @example
 * ```ts
 * const { min, max } = (await auth.getSettings()).bounds.accessTokenTtlSeconds; // 1, 86 400
 * ```
 */
export interface SettingBounds {
  /** Smallest allowed value. */
  min: number;
  /** Largest allowed value. */
  max: number;
}

/**
 * The settings as an administrator sees them.
 *
 * @example
 * ```ts
 * const view = await auth.getSettings();
 * if (view.changed.accessTokenTtlSeconds) console.log('default was', view.defaults.accessTokenTtlSeconds);
 * ```
 */
export interface SettingsView {
  /** The values in force. */
  values: Settings;
  /** The defaults the values fall back to. */
  defaults: Settings;
  /** Whether each value differs from its default because someone changed it. */
  changed: Record<keyof Settings, boolean>;
  /** The inclusive bounds of each value. */
  bounds: Record<keyof Settings, SettingBounds>;
}

/**
 * Login throttling limits: failures counted per account and per client key.
 *
 * @example
 * ```ts
 * createTokenAuth({ store, secret, throttle: { maxFailuresPerAccount: 5, windowSeconds: 600 } });
 * ```
 */
export interface ThrottleOptions {
  /**
   * Failed logins allowed per account (email) in one window before 429s.
   * @defaultValue `10`
   */
  maxFailuresPerAccount?: number | undefined;
  /**
   * Failed logins allowed per client key (for example the client IP) in one window.
   * @defaultValue `100`
   */
  maxFailuresPerClient?: number | undefined;
  /**
   * Window length in whole seconds.
   * @defaultValue `900` (15 minutes)
   */
  windowSeconds?: number | undefined;
}

/**
 * Hashes and verifies passwords. Implementations must be asynchronous and constant-time.
 * {@link argon2idHasher} and {@link scryptHasher} are bundled.
 *
 * @example
 * ```ts
 * const hasher: PasswordHasher = scryptHasher();
 * const hash = await hasher.hash('correct horse battery');
 * await hasher.verify(hash, 'correct horse battery'); // true
 * ```
 */
export interface PasswordHasher {
  /**
   * Hashes `password` into a self-describing string (PHC format, parameters included).
   * @param password - The plain password, NFKC-normalized and checked by the core (a
   *   non-empty string of at most 128 code points; at least 8 for a new password). Never
   *   log or keep it.
   * @returns The hash, with a fresh random salt: hashing one password twice gives two
   *   different strings.
   */
  hash(password: string): Promise<string>;
  /**
   * Whether `password` matches `hash`; `false` (never a throw) for a malformed hash.
   * @param hash - A stored hash, made by {@link PasswordHasher.hash} possibly with older
   *   parameters; a malformed one, or one of another algorithm, answers `false`. For an
   *   unknown email the core passes a dummy hash, so that both cases take as long.
   * @param password - The password presented at login, NFKC-normalized. Compare in
   *   constant time.
   * @returns `true` only when `password` is the one that was hashed.
   */
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Whether `hash` was made with other parameters than the current ones. The core calls it
   * after a successful login and, when `true`, stores a new hash of the password it has
   * just verified. Synchronous: it only parses the hash.
   * @param hash - A stored hash that {@link PasswordHasher.verify} has just accepted.
   * @returns `true` when the hash should be replaced, also when it cannot be parsed.
   */
  needsRehash(hash: string): boolean;
}

/**
 * Options of {@link createTokenAuth}. Only `store` and a key are required.
 *
 * @example
 * ```ts
 * const options: TokenAuthOptions = {
 *   store: await createSqliteSqlStore({ path: './data/auth.sqlite', migrate: true }), // from token-auth/sql
 *   secret: process.env.JWT_SECRET,
 *   issuer: 'https://auth.example.com',
 *   audience: 'game-api',
 * };
 * ```
 */
export interface TokenAuthOptions {
  /** Where users, refresh tokens, settings and counters live. */
  store: TokenAuthStore;
  /** Shorthand for `keys: [{ kid: 'default', secret }]`. */
  secret?: string | Uint8Array | undefined;
  /** Access-token keys: the first signs; every one verifies (rotation without logouts). */
  keys?: readonly JwtKey[] | undefined;
  /** Expected and issued `iss` claim; unchecked when unset. */
  issuer?: string | undefined;
  /** Expected and issued `aud` claim; unchecked when unset. */
  audience?: string | undefined;
  /**
   * The clock, in epoch milliseconds. Inject one in tests instead of sleeping.
   * @defaultValue `Date.now`
   */
  now?: (() => number) | undefined;
  /**
   * Password hasher.
   * @defaultValue argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1)
   */
  passwordHasher?: PasswordHasher | undefined;
  /**
   * Defaults of the runtime settings (used until an administrator changes them).
   * @defaultValue `{ accessTokenTtlSeconds: 30, refreshTokenTtlSeconds: 2_592_000 }`
   */
  defaults?: { [K in keyof Settings]?: Settings[K] | undefined } | undefined;
  /**
   * How long, in milliseconds, a process may serve settings from its cache before
   * reading the store again: the bound within which a change made by another process
   * becomes visible. A change made through this instance is visible at once.
   * @defaultValue `1000`
   */
  settingsCacheTtlMs?: number | undefined;
  /**
   * Login throttling; `false` turns it off.
   * @defaultValue `{ maxFailuresPerAccount: 10, maxFailuresPerClient: 100, windowSeconds: 900 }`
   */
  throttle?: ThrottleOptions | false | undefined;
  /**
   * Size of the cache of already-verified access tokens (keyed by the whole token,
   * expiry re-checked on every hit); `0` turns it off.
   * @defaultValue `1000`
   */
  verifiedTokenCacheSize?: number | undefined;
  /**
   * How many password hashes (register, login, password upgrades) may run at once; further
   * ones wait their turn. Hashing is CPU- and memory-heavy and runs on libuv's thread pool
   * (shared with file I/O and asynchronous database drivers such as @keyv/sqlite's): the cap
   * keeps a core free for the event loop, so requests that need no hashing stay fast during a
   * burst of logins.
   * @defaultValue `Math.max(1, os.availableParallelism() - 1)`
   */
  maxConcurrentHashes?: number | undefined;
  /**
   * Milliseconds after a session's rotation during which its immediate parent token, presented
   * again, is a retry: it gets the same successor refresh token (derived, never stored) and a
   * new access token, so parallel refreshes from several tabs all end with one working token.
   * The window is anchored at the rotation and never slides. The grandparent, or the parent
   * after the window, is reuse and ends the session. `0`, the default, is strict RFC 9700:
   * any second presentation ends the session, including the losers of concurrent refreshes.
   * @defaultValue `0`
   */
  reuseGraceMs?: number | undefined;
}

/**
 * A user as the API shows it: never the password hash.
 *
 * @example
 * ```ts
 * const { id, email, username } = await auth.getProfile(userId);
 * ```
 */
export interface PublicUser {
  /** Positive integer id. */
  id: number;
  /** Email as registered (trimmed, case kept). */
  email: string;
  /** Free-text display name, `""` by default. */
  username: string;
  /** Whether the user is staff (may manage the runtime settings). */
  isStaff: boolean;
  /** Whether the user may log in and refresh. */
  isActive: boolean;
}

/**
 * The pair handed to a client at login and at every refresh.
 *
 * @example
 * ```ts
 * const { accessToken, refreshToken } = await auth.login({ email, password });
 * reply({ access_token: accessToken, refresh_token: refreshToken });
 * ```
 */
export interface TokenPair {
  /** The JWT access token. */
  accessToken: string;
  /** The refresh token: a random UUID (v4). */
  refreshToken: string;
  /** Epoch seconds at which the access token expires (its `exp`). */
  accessTokenExpiresAt: number;
  /** Epoch seconds at which the refresh token expires. */
  refreshTokenExpiresAt: number;
}

/**
 * The verified claims of an access token.
 *
 * @example
 * ```ts
 * const { userId, sid } = await auth.verifyAccessToken(token);
 * ```
 */
export interface AccessTokenClaims {
  /** The user id (from `sub`). */
  userId: number;
  /** Issued-at, epoch seconds. */
  iat: number;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Unique token id. */
  jti: string;
  /** The session the token was issued in (one per login; see {@link SessionInfo}). */
  sid: string;
}

/**
 * One live session of a user: the refresh tokens of one login. Its id stays the same across
 * refreshes; it is the `sid` claim of the session's access tokens.
 *
 * @example
 * ```ts
 * for (const session of await auth.listSessions(userId)) console.log(session.id, session.userAgent);
 * ```
 */
export interface SessionInfo {
  /** The session id (a UUID), stable across refreshes. */
  id: string;
  /** Epoch ms of the login. */
  createdAt: number;
  /** Epoch ms of the login or of the last refresh. */
  lastUsedAt: number;
  /** Epoch ms at which the session's current refresh token expires. */
  expiresAt: number;
  /** The user agent given at login (at most 256 characters), or `""`. */
  userAgent: string;
}

/**
 * Per-call context of {@link TokenAuth.login} and {@link TokenAuth.changePassword}.
 *
 * @example
 * ```ts
 * await auth.login(body, { clientKey: request.socket.remoteAddress });
 * ```
 */
export interface LoginContext {
  /** Identifies the client for throttling (for example its IP address). */
  clientKey?: string | undefined;
  /**
   * The client's user agent, kept with the session so that a user can tell their sessions
   * apart; truncated to 256 characters. Not used by
   * {@link TokenAuth.changePassword} for throttling.
   */
  userAgent?: string | undefined;
}

/**
 * The operations returned by {@link createTokenAuth}. Every method is asynchronous, may be
 * called detached from the object, and throws only {@link TokenAuthError} subclasses (store
 * failures arrive as {@link StoreError}).
 *
 * Field names in {@link ValidationError.fields} are those of the inputs: `email`,
 * `password`, `username`, `refresh_token`, `userId`, `isStaff`, `isActive`, `clientKey`,
 * `limit`, `actor`, and the setting keys `accessTokenTtlSeconds` / `refreshTokenTtlSeconds`.
 *
 * @example
 * ```ts
 * const auth: TokenAuth = createTokenAuth({ store, secret });
 * const { accessToken } = await auth.login({ email, password }, { clientKey: ip });
 * ```
 */
export interface TokenAuth {
  /**
   * Registers an active, non-staff user. The email is trimmed and must be unique
   * case-insensitively; the username defaults to `""`. Staff and active flags in `input`
   * are ignored.
   *
   * @param input - `email` (valid, at most 254 characters), `password` (8 to 128 code
   *   points), optional `username` (trimmed, at most 150 code points).
   * @returns The new user.
   * @throws {@link ValidationError} naming every invalid field.
   * @throws {@link EmailTakenError} when the email is already registered.
   * @example
   * ```ts
   * const user = await auth.register({ email: 'user@example.com', password: 'correct horse battery' });
   * user.id; // 1
   * ```
   */
  register(input: { email: unknown; password: unknown; username?: unknown }): Promise<PublicUser>;
  /**
   * Checks credentials and issues a new token pair, opening a new session (refresh-token
   * family). Throttled per account and per `context.clientKey`; a throttled attempt is
   * refused before the password is checked.
   *
   * @param input - `email` and `password` as typed by the user.
   * @param context - `clientKey` (for example the client IP) for per-client throttling.
   * @returns The token pair.
   * @throws {@link InvalidCredentialsError} for a wrong password, an unknown email or an
   *   inactive user alike.
   * @throws {@link TooManyAttemptsError} when a throttling limit is reached.
   * @throws {@link ValidationError} when a field is missing or not a string.
   * @example
   * ```ts
   * const pair = await auth.login({ email, password }, { clientKey: request.ip });
   * ```
   */
  login(input: { email: unknown; password: unknown }, context?: LoginContext | undefined): Promise<TokenPair>;
  /**
   * Rotates a refresh token: it stops working and a new pair is issued in the same session,
   * with the lifetimes in force now. Presenting an already-rotated token ends the session
   * (RFC 9700 reuse detection), except for a retry of the immediate parent within
   * `reuseGraceMs`, which gets the same successor again.
   *
   * @param refreshToken - The refresh token (a UUID string).
   * @returns The new pair.
   * @throws {@link RefreshTokenReusedError} when the token was already rotated (the session ends).
   * @throws {@link InvalidRefreshTokenError} when it is unknown, its session ended, it expired,
   *   or its user is gone or inactive.
   * @throws {@link ValidationError} on field `refresh_token` when it is not a UUID string.
   * @example
   * ```ts
   * const { accessToken, refreshToken } = await auth.refresh(body.refresh_token);
   * ```
   */
  refresh(refreshToken: unknown): Promise<TokenPair>;
  /**
   * Ends the session of a refresh token. Other sessions of the user stay. Access tokens
   * already issued stay valid until their `exp` (30 seconds by default): they are checked
   * without any store call.
   *
   * @param refreshToken - The session's current refresh token.
   * @throws {@link InvalidRefreshTokenError} when it is unknown, its session ended, or it expired.
   * @throws {@link RefreshTokenReusedError} when it was already rotated (the session ends too).
   * @throws {@link ValidationError} on field `refresh_token` when it is not a UUID string.
   * @example
   * ```ts
   * await auth.logout(body.refresh_token);
   * ```
   */
  logout(refreshToken: unknown): Promise<void>;
  /**
   * Ends every session of a user ("log out everywhere").
   *
   * @param userId - The user, typically from verified access-token claims.
   * @returns How many sessions ended.
   * @throws {@link InvalidTokenError} when the user is inactive.
   * @throws {@link UserNotFoundError} when there is no such user.
   * @throws {@link ValidationError} on field `userId` when it is not a positive integer.
   * @example
   * ```ts
   * await auth.logoutEverywhere(claims.userId);
   * ```
   */
  logoutEverywhere(userId: number): Promise<number>;
  /**
   * The user's live sessions, oldest first. No refresh token or hash of one is ever included.
   *
   * @param userId - The user, typically from verified access-token claims.
   * @returns One entry per live session; compare `id` with the `sid` claim to find the caller's.
   * @throws {@link InvalidTokenError} when the user is inactive.
   * @throws {@link UserNotFoundError} when there is no such user.
   * @throws {@link ValidationError} on field `userId` when it is not a positive integer.
   * @example
   * ```ts
   * const sessions = await auth.listSessions(claims.userId);
   * const current = sessions.find((session) => session.id === claims.sid);
   * ```
   */
  listSessions(userId: number): Promise<SessionInfo[]>;
  /**
   * Ends one session of a user: its refresh token stops working at once.
   *
   * @param userId - The user, typically from verified access-token claims.
   * @param sessionId - The session, as listed by {@link TokenAuth.listSessions}.
   * @throws {@link SessionNotFoundError} when the user has no such session (unknown id, another
   *   user's session, or one already ended). Of parallel calls for one session, one succeeds.
   * @throws {@link InvalidTokenError} when the user is inactive.
   * @throws {@link UserNotFoundError} when there is no such user.
   * @example
   * ```ts
   * await auth.endSession(claims.userId, sessionId);
   * ```
   */
  endSession(userId: number, sessionId: unknown): Promise<void>;
  /**
   * Changes a user's password after checking the current one, ends every session of the
   * user (the caller's too) and opens a fresh one for the caller. Throttled like a login on
   * the account and on `context.clientKey`.
   *
   * @param userId - The user, typically from verified access-token claims.
   * @param currentPassword - The password in use now.
   * @param newPassword - The new password (8 to 128 code points).
   * @param context - `clientKey` for throttling, `userAgent` for the new session.
   * @returns The new session's token pair.
   * @throws {@link ValidationError} on field `current_password` when it is wrong or missing
   *   (nothing changes), on `new_password` when it is too short or too long.
   * @throws {@link TooManyAttemptsError} when a throttling limit is reached.
   * @throws {@link InvalidTokenError} when the user is inactive.
   * @throws {@link UserNotFoundError} when there is no such user.
   * @example
   * ```ts
   * const pair = await auth.changePassword(claims.userId, body.current_password, body.new_password);
   * ```
   */
  changePassword(
    userId: number,
    currentPassword: unknown,
    newPassword: unknown,
    context?: LoginContext | undefined,
  ): Promise<TokenPair>;
  /**
   * Verifies an access token without any store call: signature, algorithm allow-list,
   * `kid`, `typ: at+jwt`, `iss`/`aud` when configured, `exp` with no clock tolerance.
   *
   * @param token - The compact JWT (without the `Bearer ` prefix).
   * @returns Its claims.
   * @throws {@link TokenExpiredError} when it is genuine but expired.
   * @throws {@link InvalidTokenError} for anything else wrong with it.
   * @example
   * ```ts
   * const { userId } = await auth.verifyAccessToken(header.slice('Bearer '.length));
   * ```
   */
  verifyAccessToken(token: unknown): Promise<AccessTokenClaims>;
  /**
   * Any user, active or not: an administrative read (for example to show who changed a
   * setting). Unlike {@link TokenAuth.getProfile} it does not refuse an inactive user; do not
   * serve it to the user's own token.
   *
   * @param userId - The user.
   * @returns The user.
   * @throws {@link UserNotFoundError} when there is no such user.
   * @throws {@link ValidationError} on field `userId` when it is not a positive integer.
   * @example
   * ```ts
   * const { email, isActive } = await auth.getUser(change.changedBy);
   * ```
   */
  getUser(userId: number): Promise<PublicUser>;
  /**
   * The current profile of a user, for the user's own token.
   *
   * @param userId - The user, typically from verified access-token claims.
   * @returns The user.
   * @throws {@link UserNotFoundError} when there is no such user.
   * @throws {@link InvalidTokenError} when the user is inactive.
   * @throws {@link ValidationError} on field `userId` when it is not a positive integer.
   * @example
   * ```ts
   * const me = await auth.getProfile(claims.userId);
   * ```
   */
  getProfile(userId: number): Promise<PublicUser>;
  /**
   * Changes `username` and/or `email` of a user; other fields of `patch` are ignored (never
   * the staff or active flags). An empty patch returns the profile unchanged.
   *
   * @param userId - The user.
   * @param patch - `username` and/or `email`, validated as in {@link TokenAuth.register}.
   * @returns The updated user.
   * @throws {@link ValidationError} naming every invalid field.
   * @throws {@link EmailTakenError} when the new email belongs to another user.
   * @throws {@link UserNotFoundError} when there is no such user.
   * @throws {@link InvalidTokenError} when the user is inactive.
   * @example
   * ```ts
   * await auth.updateProfile(claims.userId, { username: 'John Smith' });
   * ```
   */
  updateProfile(userId: number, patch: { username?: unknown; email?: unknown }): Promise<PublicUser>;
  /**
   * Creates the user, or sets the password (and `isStaff` when given) of the existing user
   * with that email. Meant for provisioning, for example an administrator from the
   * environment at start-up. Leaves `isActive` of an existing user alone. When the password
   * differs from the stored one, every session of the user ends (rotating a leaked password
   * locks the old holder out); the same password keeps the sessions and the hash.
   *
   * @param input - `email`, `password`, optional `isStaff`.
   * @returns The user.
   * @throws {@link ValidationError} naming every invalid field.
   * @example
   * ```ts
   * await auth.ensureUser({ email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD, isStaff: true });
   * ```
   */
  ensureUser(input: { email: string; password: string; isStaff?: boolean | undefined }): Promise<PublicUser>;
  /**
   * Sets the staff and/or active flags of a user. Deactivating a user also revokes all of
   * its refresh tokens, so that reactivation does not revive old sessions.
   *
   * @param userId - The user.
   * @param flags - `isStaff` and/or `isActive`.
   * @returns The updated user.
   * @throws {@link ValidationError} when a flag is not a boolean.
   * @throws {@link UserNotFoundError} when there is no such user.
   * @example
   * ```ts
   * await auth.setUserFlags(userId, { isActive: false });
   * ```
   */
  setUserFlags(
    userId: number,
    flags: { isStaff?: boolean | undefined; isActive?: boolean | undefined },
  ): Promise<PublicUser>;
  /**
   * Checks that a user exists, is active and is staff (reads the store, so a revoked staff
   * flag takes effect at once).
   *
   * @param userId - The user, typically from verified access-token claims.
   * @returns The user.
   * @throws {@link ForbiddenError} otherwise (also for an unknown or malformed id).
   * @example
   * ```ts
   * await auth.requireStaff(claims.userId);
   * ```
   */
  requireStaff(userId: number): Promise<PublicUser>;
  /**
   * The runtime settings with their defaults, "changed" flags and bounds. Served from a
   * per-process cache for at most `settingsCacheTtlMs`.
   *
   * @returns The settings view.
   * @example
   * ```ts
   * const { values } = await auth.getSettings();
   * values.accessTokenTtlSeconds; // 30
   * ```
   */
  getSettings(): Promise<SettingsView>;
  /**
   * Validates and applies a partial change of the settings (whole seconds within
   * {@link SettingsView.bounds}), recording one history entry per key whose value actually
   * changed. It applies to tokens issued afterwards; at once in this process, within
   * `settingsCacheTtlMs` in others sharing the store. Nothing is saved when any value is invalid.
   *
   * @param patch - New values by setting key; `undefined` values are skipped.
   * @param actor - Who makes the change (`userId: null` for the system).
   * @returns The settings view after the change.
   * @throws {@link ValidationError} naming each bad key, or `actor`.
   * @example
   * ```ts
   * await auth.updateSettings({ accessTokenTtlSeconds: 60 }, { userId: admin.id });
   * ```
   */
  updateSettings(
    patch: Partial<Record<keyof Settings, unknown>>,
    actor: { userId: number | null },
  ): Promise<SettingsView>;
  /**
   * The settings history, newest first.
   *
   * @param limit - At most this many entries, 1 to 1000.
   * @defaultValue limit `50`
   * @returns The changes.
   * @throws {@link ValidationError} on field `limit` when it is out of range.
   * @example
   * ```ts
   * const [latest] = await auth.getSettingsHistory(1);
   * ```
   */
  getSettingsHistory(limit?: number | undefined): Promise<SettingsChange[]>;
}
