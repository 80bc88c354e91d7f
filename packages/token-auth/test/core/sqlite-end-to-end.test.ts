import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../src/create-token-auth.js';
import {
  EmailTakenError,
  InvalidRefreshTokenError,
  RefreshTokenReusedError,
  TokenExpiredError,
} from '../../src/errors.js';
import { createSqliteSqlStore, type SqlStore } from '../../src/stores/sql/index.js';
import type { TokenAuth } from '../../src/types.js';
import { EMAIL, fastHasher, type ManualClock, manualClock, PASSWORD, SECRET } from './fixtures.js';

let directory: string;
let file: string;
let stores: SqlStore[];
let clock: ManualClock;

async function open(): Promise<TokenAuth> {
  const store = await createSqliteSqlStore({ path: file, migrate: true, purgeIntervalMs: 0 });
  stores.push(store);
  return createTokenAuth({ store, secret: SECRET, now: clock.now, passwordHasher: fastHasher() });
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'token-auth-e2e-'));
  file = join(directory, 'auth.sqlite');
  stores = [];
  clock = manualClock();
});

afterEach(async () => {
  for (const store of stores) await store.close();
  await rm(directory, { recursive: true, force: true });
});

describe('token-auth over a SQLite file (the SQL store, the embedded default)', () => {
  it('runs register, login, verify, refresh, logout end to end', async () => {
    const auth = await open();
    const user = await auth.register({ email: EMAIL, password: PASSWORD, username: 'Jo' });
    const pair = await auth.login({ email: EMAIL, password: PASSWORD });
    await expect(auth.verifyAccessToken(pair.accessToken)).resolves.toMatchObject({ userId: user.id });
    await expect(auth.updateProfile(user.id, { username: 'John Smith' })).resolves.toMatchObject({
      username: 'John Smith',
    });
    const next = await auth.refresh(pair.refreshToken);
    await auth.logout(next.refreshToken);
    await expect(auth.refresh(next.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('keeps users and sessions across a reopening of the file', async () => {
    const first = await open();
    await first.register({ email: EMAIL, password: PASSWORD });
    const pair = await first.login({ email: EMAIL, password: PASSWORD });
    await stores.pop()?.close();
    const second = await open();
    await expect(second.refresh(pair.refreshToken)).resolves.toHaveProperty('accessToken');
  });

  it('ends the session when a rotated token is reused', async () => {
    const auth = await open();
    await auth.register({ email: EMAIL, password: PASSWORD });
    const pair = await auth.login({ email: EMAIL, password: PASSWORD });
    const next = await auth.refresh(pair.refreshToken);
    await expect(auth.refresh(pair.refreshToken)).rejects.toThrow(RefreshTokenReusedError);
    await expect(auth.refresh(next.refreshToken)).rejects.toThrow(InvalidRefreshTokenError);
  });

  it('lets exactly one of 50 concurrent refreshes with one token succeed', async () => {
    const auth = await open();
    await auth.register({ email: EMAIL, password: PASSWORD });
    const pair = await auth.login({ email: EMAIL, password: PASSWORD });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('lets exactly one of concurrent registrations of one email succeed', async () => {
    const auth = await open();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => auth.register({ email: EMAIL, password: PASSWORD })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results)
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(EmailTakenError);
  });

  it('applies a lifetime changed by another instance after the settings cache lifetime', async () => {
    // Two instances on one file stand for two processes sharing a store.
    const admin = await open();
    const server = await open();
    await server.register({ email: EMAIL, password: PASSWORD });
    await server.getSettings();
    await admin.updateSettings({ accessTokenTtlSeconds: 5 }, { userId: null });
    clock.advance(1000);
    const pair = await server.login({ email: EMAIL, password: PASSWORD });
    clock.advance(5000);
    await expect(server.verifyAccessToken(pair.accessToken)).rejects.toThrow(TokenExpiredError);
    await expect(server.getSettingsHistory()).resolves.toMatchObject([
      { key: 'accessTokenTtlSeconds', oldValue: 30, newValue: 5 },
    ]);
  });
});
