/**
 * The server's configuration, read from the environment and checked up front: a bad
 * value is a {@link ConfigEnvError} naming the variable, never a crash later.
 *
 * @module
 */

import type { LevelWithSilent } from 'pino';

/** The checked configuration of the server. */
export interface ServerConfig {
  /** TCP port (`PORT`, default 8000; 0 picks a free port). */
  port: number;
  /** Interface to listen on (`HOST`, default 127.0.0.1). */
  host: string;
  /** Where the store lives (`DATABASE_URL`, default `sqlite://./data/auth.sqlite`; also `memory://`, `redis://`). */
  databaseUrl: string;
  /** The access-token signing secret (`JWT_SECRET`), when set. */
  jwtSecret: string | undefined;
  /**
   * The `aud` claim issued and required on access tokens (`JWT_AUDIENCE`), when set. Unset
   * by default: tokens then carry no `aud`, so that libraries which reject any `aud` they were
   * not told to expect (PyJWT) can decode them with the secret alone.
   */
  jwtAudience: string | undefined;
  /** `NODE_ENV === 'production'`: a missing `JWT_SECRET` is then fatal. */
  production: boolean;
  /** A staff user ensured at start (`ADMIN_EMAIL` + `ADMIN_PASSWORD`), when set. */
  admin: { email: string; password: string } | undefined;
  /** pino level (`LOG_LEVEL`, default `info`). */
  logLevel: LevelWithSilent;
  /** Honour `X-Forwarded-For` for the client IP (`TRUST_PROXY`, default false). */
  trustProxy: boolean;
  /**
   * Seconds between purges of expired rows from a SQLite store (`SQLITE_PURGE_INTERVAL`,
   * default 3600; 0 turns the timer off). SQLite drops an expired row only when it is read.
   */
  sqlitePurgeIntervalSeconds: number;
  /**
   * Milliseconds after a refresh during which the rotated refresh token, presented again, is
   * refused without ending its session (`REFRESH_REUSE_GRACE_MS`, default 0: strict reuse
   * detection). See token-auth's `reuseGraceMs`.
   */
  refreshReuseGraceMs: number;
}

/** The default `DATABASE_URL`: a SQLite file under `./data`, relative to the working directory. */
export const DEFAULT_DATABASE_URL = 'sqlite://./data/auth.sqlite';

/** Shortest `JWT_SECRET` accepted, in bytes (256 bits, for HS256). */
export const MIN_SECRET_BYTES = 32;

/** Longest `JWT_AUDIENCE` accepted, in characters. */
export const MAX_AUDIENCE_LENGTH = 256;

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A configuration problem: names the environment variable at fault. Its message never
 * contains the variable's value when that value is a secret.
 *
 * @example
 * ```ts
 * try { parseConfig(process.env); } catch (e) { if (e instanceof ConfigEnvError) console.error(e.message); }
 * ```
 */
export class ConfigEnvError extends Error {
  /** The variable at fault, e.g. `"PORT"`. */
  readonly variable: string;

  /**
   * @param variable - The variable at fault.
   * @param message - What is wrong and how to fix it (no secret values).
   */
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigEnvError';
    this.variable = variable;
  }
}

/**
 * Reads and checks the configuration.
 *
 * @param env - The environment (usually `process.env`).
 * @returns The configuration.
 * @throws {@link ConfigEnvError} naming the first variable with an invalid value.
 * @example
 * ```ts
 * const config = parseConfig({ PORT: '8080', DATABASE_URL: 'memory://' });
 * config.port; // 8080
 * ```
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const production = value('NODE_ENV') === 'production';

  const port = wholeNumber('PORT', value('PORT') ?? '8000', 65_535, 'an integer');

  const host = value('HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]%-]{1,255}$/.test(host))
    throw new ConfigEnvError('HOST', 'must be a host name or an IP address');

  const databaseUrl = value('DATABASE_URL') ?? DEFAULT_DATABASE_URL;
  checkDatabaseUrl(databaseUrl);

  const jwtSecret = env.JWT_SECRET === undefined || env.JWT_SECRET === '' ? undefined : env.JWT_SECRET;
  if (jwtSecret === undefined && production) {
    throw new ConfigEnvError(
      'JWT_SECRET',
      "is required when NODE_ENV=production. Generate one with: node -e \"console.log(require('node:crypto').randomBytes(48).toString('base64url'))\"",
    );
  }
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigEnvError(
      'JWT_SECRET',
      `is too short: use at least ${MIN_SECRET_BYTES} bytes (256 bits) of random data`,
    );
  }

  const jwtAudience = value('JWT_AUDIENCE');
  if (
    jwtAudience !== undefined &&
    (jwtAudience.length > MAX_AUDIENCE_LENGTH || CONTROL_CHARACTERS.test(jwtAudience))
  ) {
    throw new ConfigEnvError(
      'JWT_AUDIENCE',
      `must be at most ${MAX_AUDIENCE_LENGTH} printable characters, e.g. game-api`,
    );
  }

  // --- redis (scale-out): the processes sharing a Redis must all sign with one secret ---
  if (jwtSecret === undefined && /^rediss?:\/\//i.test(databaseUrl)) {
    throw new ConfigEnvError(
      'JWT_SECRET',
      'is required with a redis:// DATABASE_URL: every process must sign and verify with the same secret',
    );
  }
  // --- end redis ---

  const adminEmail = value('ADMIN_EMAIL');
  const adminPassword =
    env.ADMIN_PASSWORD === undefined || env.ADMIN_PASSWORD === '' ? undefined : env.ADMIN_PASSWORD;
  if (adminEmail !== undefined && adminPassword === undefined) {
    throw new ConfigEnvError('ADMIN_PASSWORD', 'is required when ADMIN_EMAIL is set');
  }
  if (adminPassword !== undefined && adminEmail === undefined) {
    throw new ConfigEnvError('ADMIN_EMAIL', 'is required when ADMIN_PASSWORD is set');
  }

  const logLevel = (value('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LevelWithSilent)) {
    throw new ConfigEnvError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const trustProxyText = (value('TRUST_PROXY') ?? 'false').toLowerCase();
  const trustProxy = ['1', 'true', 'yes', 'on'].includes(trustProxyText);
  if (!trustProxy && !['0', 'false', 'no', 'off'].includes(trustProxyText)) {
    throw new ConfigEnvError('TRUST_PROXY', 'must be true or false');
  }

  const sqlitePurgeIntervalSeconds = wholeNumber(
    'SQLITE_PURGE_INTERVAL',
    value('SQLITE_PURGE_INTERVAL') ?? '3600',
    86_400,
    'whole seconds',
  );
  const refreshReuseGraceMs = wholeNumber(
    'REFRESH_REUSE_GRACE_MS',
    value('REFRESH_REUSE_GRACE_MS') ?? '0',
    3_600_000,
    'whole milliseconds',
  );

  return {
    port,
    host,
    databaseUrl,
    jwtSecret,
    jwtAudience,
    production,
    admin:
      adminEmail !== undefined && adminPassword !== undefined
        ? { email: adminEmail, password: adminPassword }
        : undefined,
    logLevel: logLevel as LevelWithSilent,
    trustProxy,
    sqlitePurgeIntervalSeconds,
    refreshReuseGraceMs,
  };
}

function checkDatabaseUrl(url: string): void {
  if (url === 'memory://') return;
  if (url.startsWith('sqlite://') && url.length > 'sqlite://'.length) return;
  // --- redis (scale-out) ---
  if (/^rediss?:\/\/[^/?#]/i.test(url)) return;
  // --- end redis ---
  throw new ConfigEnvError(
    'DATABASE_URL',
    'must be sqlite://<file> (e.g. sqlite://./data/auth.sqlite, relative to the working directory, or sqlite:///abs/path.sqlite), memory:// or redis://host:port/db',
  );
}

/** Parses a whole number from 0 to `max` written in decimal digits, or throws naming `variable`. */
function wholeNumber(variable: string, text: string, max: number, kind: string): number {
  const parsed = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(parsed <= max)) throw new ConfigEnvError(variable, `must be ${kind} from 0 to ${max}, got "${text}"`);
  return parsed;
}
