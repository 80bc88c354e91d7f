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
  /**
   * Where the store lives (`DATABASE_URL`, default `sqlite://./data/auth.sqlite`; also
   * `postgres://`, `redis://`, `keyv+sqlite://`, `memory://`).
   */
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
   * Checkpoint a `sqlite://` file's write-ahead log from a worker thread, off the event loop
   * (`SQLITE_BACKGROUND_CHECKPOINTS`, default true); token-auth's `backgroundCheckpoints`.
   */
  sqliteBackgroundCheckpoints: boolean;
  /**
   * Milliseconds after a refresh during which the rotated refresh token, presented again, is
   * refused without ending its session (`REFRESH_REUSE_GRACE_MS`, default 0: strict reuse
   * detection). See token-auth's `reuseGraceMs`.
   */
  refreshReuseGraceMs: number;
  /**
   * Apply pending SQL migrations when the store opens (`AUTO_MIGRATE`, default true). Off,
   * a store whose schema is behind refuses to start; migrate it with the `token-auth migrate` bin.
   */
  autoMigrate: boolean;
  /**
   * Failed logins allowed per client IP in one 15-minute window before 429s
   * (`LOGIN_MAX_FAILURES_PER_CLIENT`, default 100); token-auth's `throttle.maxFailuresPerClient`.
   */
  loginMaxFailuresPerClient: number;
}

/** One environment variable the server reads, as `--help` lists it. */
export interface EnvironmentVariable {
  /** The variable, e.g. `"PORT"`. */
  readonly name: string;
  /** Its default, in words (`"none"` when unset means off). */
  readonly defaultValue: string;
  /** What it does, one sentence or two. */
  readonly description: string;
}

/** Every variable the server reads, in the order `--help` lists them. */
export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  { name: 'PORT', defaultValue: '8000', description: 'TCP port to listen on; 0 picks a free one.' },
  {
    name: 'HOST',
    defaultValue: '127.0.0.1',
    description: 'Interface to listen on; 0.0.0.0 accepts connections from other machines.',
  },
  {
    name: 'DATABASE_URL',
    defaultValue: 'sqlite://./data/auth.sqlite',
    description:
      'The store: sqlite://<file> (relative to the working directory; sqlite:///abs/path for an absolute one), postgres://user:password@host[:port]/db, redis://[user:password@]host[:port][/db] (rediss:// for TLS), keyv+sqlite://<file> (the Keyv store) or memory:// (lost on exit). Several processes can share a PostgreSQL or Redis store.',
  },
  {
    name: 'JWT_SECRET',
    defaultValue: 'generated',
    description:
      'Access-token signing secret, at least 32 bytes. Unset: a random one is kept in jwt-secret beside the SQLite file (in memory only with memory://). Required with NODE_ENV=production and with redis://.',
  },
  {
    name: 'JWT_AUDIENCE',
    defaultValue: 'none',
    description: 'The aud claim issued on access tokens and required on the ones presented.',
  },
  { name: 'NODE_ENV', defaultValue: 'none', description: 'production makes JWT_SECRET mandatory.' },
  {
    name: 'ADMIN_EMAIL',
    defaultValue: 'none',
    description: 'With ADMIN_PASSWORD: a staff user created (or reset) at every start, for the admin page.',
  },
  {
    name: 'ADMIN_PASSWORD',
    defaultValue: 'none',
    description: 'The password of ADMIN_EMAIL, at least 8 characters.',
  },
  {
    name: 'LOG_LEVEL',
    defaultValue: 'info',
    description: 'fatal, error, warn, info, debug, trace or silent (JSON lines on stdout).',
  },
  {
    name: 'TRUST_PROXY',
    defaultValue: 'false',
    description:
      'true behind exactly one reverse proxy: the client IP (the login-throttling key) is then the last X-Forwarded-For entry.',
  },
  {
    name: 'SQLITE_PURGE_INTERVAL',
    defaultValue: '3600',
    description: 'Seconds between purges of expired rows from a SQLite store; 0 turns the timer off.',
  },
  {
    name: 'SQLITE_BACKGROUND_CHECKPOINTS',
    defaultValue: 'true',
    description:
      "Copy a sqlite:// file's write-ahead log into the database from a worker thread; false leaves it to SQLite, on the event loop.",
  },
  {
    name: 'REFRESH_REUSE_GRACE_MS',
    defaultValue: '0',
    description:
      'Milliseconds after a refresh during which the rotated refresh token, presented again, is refused without ending its session; 0 is strict reuse detection.',
  },
  {
    name: 'AUTO_MIGRATE',
    defaultValue: 'true',
    description: 'Apply pending SQL migrations at start; false leaves them to `token-auth migrate`.',
  },
  {
    name: 'LOGIN_MAX_FAILURES_PER_CLIENT',
    defaultValue: '100',
    description:
      'Failed logins allowed per client IP in a 15-minute window before 429s (logins in flight count until they succeed).',
  },
];

/** Splits `text` into lines of at most `columns` characters, at spaces. */
function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > columns) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Variables the server reads that belong to the wider ecosystem: an empty value means unset. */
const SHARED_VARIABLES: ReadonlySet<string> = new Set(['NODE_ENV']);

/**
 * The text `--help` prints: how to start the server and every variable with its default.
 *
 * @param program - How the server is started, for the first line.
 * @param extra - Variables of this launcher besides the server's own (e.g. the cluster's `WORKERS`).
 * @returns The usage text, ending with a newline.
 * @example
 * ```ts
 * process.stdout.write(usage('node dist/main.js'));
 * ```
 */
export function usage(program: string, extra: readonly EnvironmentVariable[] = []): string {
  const variables = [...extra, ...ENVIRONMENT_VARIABLES];
  const width = Math.max(...variables.map((v) => v.name.length));
  const lines = [
    `Usage: [VARIABLE=value ...] ${program}`,
    '',
    'The reference auth server. It takes no arguments besides --help: it is configured by',
    'these environment variables (a variable set but empty is an error; unset it for the default):',
    '',
  ];
  for (const variable of variables) {
    const text = wrap(`${variable.description} Default: ${variable.defaultValue}.`, 96 - width);
    text.forEach((line, i) => {
      lines.push(`  ${(i === 0 ? variable.name : '').padEnd(width)}  ${line}`);
    });
  }
  lines.push(
    '',
    'Pages: /api/docs/ (API documentation; / redirects there) and /admin/ (token lifetimes, staff only).',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `WORKERS`, read by the launchers rather than by each server process: when set, `main` (and
 * `cluster`) fork that many server processes sharing one port and one store.
 */
export const WORKERS_VARIABLE: EnvironmentVariable = {
  name: 'WORKERS',
  defaultValue: 'unset: one process (dist/cluster.js: one per CPU)',
  description:
    'Server processes to fork (1 to 256), sharing one port and one store: a sqlite:// file, postgres:// or redis:// (JWT_SECRET required for the last two).',
};

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
  // A variable set but empty (`PORT=`) is a mistake more often than a wish for the default.
  const raw = (name: string): string | undefined => {
    const text = env[name];
    if (text === undefined) return undefined;
    if (text.trim() === '') {
      if (SHARED_VARIABLES.has(name)) return undefined;
      throw new ConfigEnvError(name, `is set but empty; ${emptyHint(name)}`);
    }
    return text;
  };
  const value = (name: string): string | undefined => raw(name)?.trim();
  const production = value('NODE_ENV') === 'production';

  const port = wholeNumber('PORT', value('PORT') ?? '8000', 65_535, 'an integer');

  const host = value('HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]%-]{1,255}$/.test(host))
    throw new ConfigEnvError('HOST', 'must be a host name or an IP address');

  const databaseUrl = value('DATABASE_URL') ?? DEFAULT_DATABASE_URL;
  checkDatabaseUrl(databaseUrl);

  const jwtSecret = raw('JWT_SECRET');
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
  const adminPassword = raw('ADMIN_PASSWORD');
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

  const trustProxy = booleanValue('TRUST_PROXY', value('TRUST_PROXY'), false);
  const autoMigrate = booleanValue('AUTO_MIGRATE', value('AUTO_MIGRATE'), true);
  const sqliteBackgroundCheckpoints = booleanValue(
    'SQLITE_BACKGROUND_CHECKPOINTS',
    value('SQLITE_BACKGROUND_CHECKPOINTS'),
    true,
  );

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
  const loginMaxFailuresPerClient = wholeNumber(
    'LOGIN_MAX_FAILURES_PER_CLIENT',
    value('LOGIN_MAX_FAILURES_PER_CLIENT') ?? '100',
    1_000_000,
    'a whole number',
    1,
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
    sqliteBackgroundCheckpoints,
    refreshReuseGraceMs,
    autoMigrate,
    loginMaxFailuresPerClient,
  };
}

function checkDatabaseUrl(url: string): void {
  if (url === 'memory://') return;
  if (/^(keyv\+)?sqlite:\/\/./i.test(url)) return;
  if (/^(postgres|postgresql|rediss?):\/\/[^/?#]/i.test(url)) return;
  throw new ConfigEnvError(
    'DATABASE_URL',
    'must be sqlite://<file> (e.g. sqlite://./data/auth.sqlite, relative to the working directory, or sqlite:///abs/path.sqlite), postgres://user:password@host:port/db, keyv+sqlite://<file>, memory:// or redis://host:port/db',
  );
}

/** Parses a whole number from `min` to `max` written in decimal digits, or throws naming `variable`. */
function wholeNumber(variable: string, text: string, max: number, kind: string, min = 0): number {
  const parsed = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new ConfigEnvError(variable, `must be ${kind} from ${min} to ${max}, got "${text}"`);
  }
  return parsed;
}

/** Parses true/false (also 1/0, yes/no, on/off), or throws naming `variable`. */
function booleanValue(variable: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  const lower = text.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  throw new ConfigEnvError(variable, `must be true or false, got "${text}"`);
}

/** What to do about an empty variable: unset it for its default, or give it a value. */
function emptyHint(variable: string): string {
  const fallback = ENVIRONMENT_VARIABLES.find((v) => v.name === variable)?.defaultValue;
  return fallback === undefined || fallback === 'none'
    ? 'give it a value or unset it'
    : `unset it to use the default (${fallback}) or give it a value`;
}
