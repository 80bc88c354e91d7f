import { describe, expect, it } from 'vitest';
import {
  ConfigEnvError,
  DEFAULT_DATABASE_URL,
  ENVIRONMENT_VARIABLES,
  parseConfig,
  usage,
} from '../src/config.js';

const SECRET = 'a'.repeat(32);

function errorOf(env: Record<string, string>): ConfigEnvError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigEnvError) return error;
    throw error;
  }
  throw new Error('parseConfig accepted the environment');
}

describe('parseConfig', () => {
  it('defaults to 127.0.0.1:8000 with the SQLite file under ./data', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      databaseUrl: DEFAULT_DATABASE_URL,
      logLevel: 'info',
    });
    expect(DEFAULT_DATABASE_URL).toBe('sqlite://./data/auth.sqlite');
  });

  it('reads PORT, HOST, DATABASE_URL, LOG_LEVEL and TRUST_PROXY', () => {
    const config = parseConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'memory://',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'true',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'memory://',
      logLevel: 'warn',
      trustProxy: true,
    });
  });

  it('leaves the proxy untrusted by default', () => {
    expect(parseConfig({}).trustProxy).toBe(false);
  });

  it('rejects a PORT that is not a port number, naming PORT', () => {
    expect(errorOf({ PORT: 'eighty' }).variable).toBe('PORT');
    expect(errorOf({ PORT: '70000' }).variable).toBe('PORT');
  });

  it('rejects an unknown DATABASE_URL scheme, naming DATABASE_URL', () => {
    const error = errorOf({ DATABASE_URL: 'mysql://localhost/db' });
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toContain('sqlite://');
  });

  it('refuses to start in production without JWT_SECRET', () => {
    const error = errorOf({ NODE_ENV: 'production' });
    expect(error.variable).toBe('JWT_SECRET');
    expect(error.message).toContain('required when NODE_ENV=production');
  });

  it('rejects a JWT_SECRET shorter than 32 bytes without echoing it', () => {
    const error = errorOf({ JWT_SECRET: 'short-secret-value' });
    expect(error.variable).toBe('JWT_SECRET');
    expect(error.message).toContain('too short');
    expect(error.message).not.toContain('short-secret-value');
  });

  it('accepts a JWT_SECRET of 32 bytes', () => {
    expect(parseConfig({ JWT_SECRET: SECRET, NODE_ENV: 'production' }).jwtSecret).toBe(SECRET);
  });

  it('issues access tokens without an audience by default', () => {
    expect(parseConfig({}).jwtAudience).toBeUndefined();
  });

  it('reads JWT_AUDIENCE, trimmed', () => {
    expect(parseConfig({ JWT_AUDIENCE: ' game-api ' }).jwtAudience).toBe('game-api');
  });

  it('rejects a JWT_AUDIENCE with control characters, naming it', () => {
    expect(errorOf({ JWT_AUDIENCE: 'game\u0000api' }).variable).toBe('JWT_AUDIENCE');
  });

  it('rejects a JWT_AUDIENCE longer than 256 characters, naming it', () => {
    expect(errorOf({ JWT_AUDIENCE: 'a'.repeat(257) }).variable).toBe('JWT_AUDIENCE');
  });

  it('requires ADMIN_PASSWORD with ADMIN_EMAIL', () => {
    expect(errorOf({ ADMIN_EMAIL: 'admin@example.com' }).variable).toBe('ADMIN_PASSWORD');
  });

  it('requires ADMIN_EMAIL with ADMIN_PASSWORD', () => {
    expect(errorOf({ ADMIN_PASSWORD: 'admin-password' }).variable).toBe('ADMIN_EMAIL');
  });

  it('rejects an unknown LOG_LEVEL, naming it', () => {
    expect(errorOf({ LOG_LEVEL: 'verbose' }).variable).toBe('LOG_LEVEL');
  });

  it('rejects a TRUST_PROXY that is not a boolean', () => {
    expect(errorOf({ TRUST_PROXY: 'sometimes' }).variable).toBe('TRUST_PROXY');
  });

  it('detects refresh-token reuse strictly by default', () => {
    expect(parseConfig({}).refreshReuseGraceMs).toBe(0);
  });

  it('reads REFRESH_REUSE_GRACE_MS in whole milliseconds', () => {
    expect(parseConfig({ REFRESH_REUSE_GRACE_MS: '5000' }).refreshReuseGraceMs).toBe(5000);
  });

  it.each(['-1', '2.5', 'soon', '3600001'])('rejects REFRESH_REUSE_GRACE_MS=%s, naming it', (value) => {
    expect(errorOf({ REFRESH_REUSE_GRACE_MS: value }).variable).toBe('REFRESH_REUSE_GRACE_MS');
  });

  it('purges expired SQLite rows hourly by default', () => {
    expect(parseConfig({}).sqlitePurgeIntervalSeconds).toBe(3600);
  });

  it('reads SQLITE_PURGE_INTERVAL in whole seconds', () => {
    expect(parseConfig({ SQLITE_PURGE_INTERVAL: '30' }).sqlitePurgeIntervalSeconds).toBe(30);
  });

  it.each(['-1', '1.5', 'often', '86401'])('rejects SQLITE_PURGE_INTERVAL=%s, naming it', (value) => {
    expect(errorOf({ SQLITE_PURGE_INTERVAL: value }).variable).toBe('SQLITE_PURGE_INTERVAL');
  });

  it.each([
    'postgres://app:secret@db.internal:5432/auth',
    'postgresql://db/auth',
    'keyv+sqlite://./data/kv.sqlite',
  ])('accepts DATABASE_URL=%s', (url) => {
    expect(parseConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it.each(['PORT', 'HOST', 'DATABASE_URL', 'JWT_SECRET', 'ADMIN_PASSWORD', 'LOG_LEVEL', 'AUTO_MIGRATE'])(
    'rejects %s set but empty, naming it, instead of using the default',
    (name) => {
      const error = errorOf({ [name]: ' ' });
      expect(error.variable).toBe(name);
      expect(error.message).toContain('is set but empty');
    },
  );

  it('names the default an empty PORT would have meant', () => {
    expect(errorOf({ PORT: '' }).message).toBe(
      'PORT: is set but empty; unset it to use the default (8000) or give it a value',
    );
  });

  it('reads an empty NODE_ENV as unset, as the rest of the ecosystem does', () => {
    expect(parseConfig({ NODE_ENV: '' }).production).toBe(false);
  });

  it('applies SQL migrations at start by default', () => {
    expect(parseConfig({}).autoMigrate).toBe(true);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['TRUE', true],
  ])('reads AUTO_MIGRATE=%s as %s', (text, expected) => {
    expect(parseConfig({ AUTO_MIGRATE: text }).autoMigrate).toBe(expected);
  });

  it('rejects an AUTO_MIGRATE that is not a boolean, naming it', () => {
    expect(errorOf({ AUTO_MIGRATE: 'later' }).variable).toBe('AUTO_MIGRATE');
  });

  it('checkpoints SQLite files in the background by default, and reads SQLITE_BACKGROUND_CHECKPOINTS', () => {
    expect(parseConfig({}).sqliteBackgroundCheckpoints).toBe(true);
    expect(parseConfig({ SQLITE_BACKGROUND_CHECKPOINTS: 'false' }).sqliteBackgroundCheckpoints).toBe(false);
    expect(errorOf({ SQLITE_BACKGROUND_CHECKPOINTS: 'sometimes' }).variable).toBe(
      'SQLITE_BACKGROUND_CHECKPOINTS',
    );
  });

  it('allows 100 failed logins per client by default and reads LOGIN_MAX_FAILURES_PER_CLIENT', () => {
    expect(parseConfig({}).loginMaxFailuresPerClient).toBe(100);
    expect(parseConfig({ LOGIN_MAX_FAILURES_PER_CLIENT: '100000' }).loginMaxFailuresPerClient).toBe(100_000);
  });

  it.each(['0', '-5', 'many'])('rejects LOGIN_MAX_FAILURES_PER_CLIENT=%s, naming it', (value) => {
    expect(errorOf({ LOGIN_MAX_FAILURES_PER_CLIENT: value }).variable).toBe('LOGIN_MAX_FAILURES_PER_CLIENT');
  });
});

describe('usage', () => {
  it('lists every variable parseConfig reads, with its default', () => {
    const text = usage('node dist/main.js');
    for (const variable of ENVIRONMENT_VARIABLES) {
      expect(text).toMatch(new RegExp(`^  ${variable.name} `, 'm'));
    }
    expect(text.replace(/\s+/g, ' ')).toContain('Default: sqlite://./data/auth.sqlite.');
  });

  it('keeps every line within 100 columns', () => {
    const widest = Math.max(
      ...usage('node dist/main.js')
        .split('\n')
        .map((line) => line.length),
    );
    expect(widest).toBeLessThanOrEqual(100);
  });
});
