/**
 * Public types of the token-auth core: its options and the operations it returns.
 *
 * @module
 */

import type { SettingsChange, TokenAuthStore } from './stores/port.js';

/** HMAC algorithms accepted for access tokens (RFC 8725 allow-list; never `none`). */
export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512';

/** One access-token key: the first of {@link TokenAuthOptions.keys} signs, all verify. */
export interface JwtKey {
  /** Key id written to the JWT header (`kid`); verification picks the key by it. */
  kid: string;
  /** The shared secret: at least 32 bytes (256 bits) for HS256, 48 for HS384, 64 for HS512. */
  secret: string | Uint8Array;
  /**
   * Signing algorithm of this key.
   * @defaultValue `'HS256'`
   */
  algorithm?: JwtAlgorithm;
}

/** The runtime settings: token lifetimes in whole seconds. */
export interface Settings {
  /** Access-token lifetime in whole seconds (default 30). */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime in whole seconds (default 2 592 000, i.e. 30 days). */
  refreshTokenTtlSeconds: number;
}

/** Inclusive bounds of one setting. */
export interface SettingBounds {
  /** Smallest allowed value. */
  min: number;
  /** Largest allowed value. */
  max: number;
}

/** The settings as an administrator sees them. */
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

/** Login throttling limits: failures counted per account and per client key. */
export interface ThrottleOptions {
  /**
   * Failed logins allowed per account (email) in one window before 429s.
   * @defaultValue `10`
   */
  maxFailuresPerAccount?: number;
  /**
   * Failed logins allowed per client key (for example the client IP) in one window.
   * @defaultValue `100`
   */
  maxFailuresPerClient?: number;
  /**
   * Window length in whole seconds.
   * @defaultValue `900` (15 minutes)
   */
  windowSeconds?: number;
}

/** Hashes and verifies passwords. Implementations must be asynchronous and constant-time. */
export interface PasswordHasher {
  /** Hashes `password` into a self-describing string (PHC format, parameters included). */
  hash(password: string): Promise<string>;
  /** Whether `password` matches `hash`; `false` (never a throw) for a malformed hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /** Whether `hash` was made with other parameters than the current ones. */
  needsRehash(hash: string): boolean;
}

/** Options of {@link createTokenAuth}. Only `store` and a key are required. */
export interface TokenAuthOptions {
  /** Where users, refresh tokens, settings and counters live. */
  store: TokenAuthStore;
  /** Shorthand for `keys: [{ kid: 'default', secret }]`. */
  secret?: string | Uint8Array;
  /** Access-token keys: the first signs; every one verifies (rotation without logouts). */
  keys?: readonly JwtKey[];
  /** Expected and issued `iss` claim; unchecked when unset. */
  issuer?: string;
  /** Expected and issued `aud` claim; unchecked when unset. */
  audience?: string;
  /**
   * The clock, in epoch milliseconds. Inject one in tests instead of sleeping.
   * @defaultValue `Date.now`
   */
  now?: () => number;
  /**
   * Password hasher.
   * @defaultValue argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1)
   */
  passwordHasher?: PasswordHasher;
  /**
   * Defaults of the runtime settings (used until an administrator changes them).
   * @defaultValue `{ accessTokenTtlSeconds: 30, refreshTokenTtlSeconds: 2_592_000 }`
   */
  defaults?: Partial<Settings>;
  /**
   * How long, in milliseconds, a process may serve settings from its cache before
   * reading the store again: the bound within which a change made by another process
   * becomes visible. A change made through this instance is visible at once.
   * @defaultValue `1000`
   */
  settingsCacheTtlMs?: number;
  /**
   * Login throttling; `false` turns it off.
   * @defaultValue `{ maxFailuresPerAccount: 10, maxFailuresPerClient: 100, windowSeconds: 900 }`
   */
  throttle?: ThrottleOptions | false;
  /**
   * Size of the cache of already-verified access tokens (keyed by the whole token,
   * expiry re-checked on every hit); `0` turns it off.
   * @defaultValue `1000`
   */
  verifiedTokenCacheSize?: number;
}

/** A user as the API shows it: never the password hash. */
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

/** The pair handed to a client at login and at every refresh. */
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

/** The verified claims of an access token. */
export interface AccessTokenClaims {
  /** The user id (from `sub`). */
  userId: number;
  /** Issued-at, epoch seconds. */
  iat: number;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Unique token id. */
  jti: string;
  /** Refresh-token family the token was issued with (one per login). */
  sid: string;
}

/** One active session (a login's refresh-token family) of a user. */
export interface SessionInfo {
  /** Family id, stable across rotations. */
  sessionId: string;
  /** Epoch ms at which the current refresh token was issued. */
  issuedAt: number;
  /** Epoch ms at which the current refresh token expires. */
  expiresAt: number;
}

/** Per-call context of {@link TokenAuth.login}. */
export interface LoginContext {
  /** Identifies the client for throttling (for example its IP address). */
  clientKey?: string;
}

/** The operations returned by {@link createTokenAuth}. */
export interface TokenAuth {
  /** Registers a user. Input is validated; unknown fields are ignored by the core. */
  register(input: { email: unknown; password: unknown; username?: unknown }): Promise<PublicUser>;
  /** Checks credentials and issues a new token pair (a new session). */
  login(input: { email: unknown; password: unknown }, context?: LoginContext): Promise<TokenPair>;
  /** Rotates a refresh token: the old one stops working, a new pair is issued. */
  refresh(refreshToken: unknown): Promise<TokenPair>;
  /** Revokes one refresh token (access tokens already issued live until they expire). */
  logout(refreshToken: unknown): Promise<void>;
  /** Revokes every refresh token of a user; returns how many were revoked. */
  logoutEverywhere(userId: number): Promise<number>;
  /** The user's active sessions, oldest first. */
  listSessions(userId: number): Promise<SessionInfo[]>;
  /** Verifies an access token without any store call. */
  verifyAccessToken(token: unknown): Promise<AccessTokenClaims>;
  /** The current profile of a user. */
  getProfile(userId: number): Promise<PublicUser>;
  /** Changes `username` and/or `email` of a user. */
  updateProfile(userId: number, patch: { username?: unknown; email?: unknown }): Promise<PublicUser>;
  /** Creates the user, or updates its password and flags when the email exists. */
  ensureUser(input: { email: string; password: string; isStaff?: boolean }): Promise<PublicUser>;
  /** Sets the staff and/or active flags of a user. */
  setUserFlags(userId: number, flags: { isStaff?: boolean; isActive?: boolean }): Promise<PublicUser>;
  /** Throws ForbiddenError unless the user exists, is active and is staff. */
  requireStaff(userId: number): Promise<PublicUser>;
  /** The runtime settings with their defaults and bounds. */
  getSettings(): Promise<SettingsView>;
  /** Validates and applies a partial change of the settings, recording it in the history. */
  updateSettings(patch: Partial<Record<keyof Settings, unknown>>, actor: { userId: number | null }): Promise<SettingsView>;
  /** The settings history, newest first. */
  getSettingsHistory(limit?: number): Promise<SettingsChange[]>;
}
