import { describe, expect, it } from 'vitest';
import * as tokenAuth from '../../src/index.js';

describe('the package entry point', () => {
  it('exports the factory, the hashers, the settings and throttle defaults, the errors and the memory store', () => {
    expect(Object.keys(tokenAuth).sort()).toEqual(
      expect.arrayContaining([
        'createTokenAuth',
        'argon2idHasher',
        'scryptHasher',
        'DEFAULT_SETTINGS',
        'SETTINGS_BOUNDS',
        'DEFAULT_THROTTLE',
        'TokenAuthError',
        'ValidationError',
        'isTokenAuthError',
        'MemoryStore',
        'SessionNotFoundError',
        'TOKEN_AUTH_ERROR_CODES',
        'USER_AGENT_MAX_LENGTH',
      ]),
    );
  });

  it('exports no adapter that needs a database driver: those live behind their subpaths', () => {
    for (const name of ['KeyvStore', 'RedisStore', 'createSqliteStore', 'createPostgresStore']) {
      expect(Object.keys(tokenAuth)).not.toContain(name);
    }
  });

  it('composes into a working instance from the exports alone', async () => {
    const auth = tokenAuth.createTokenAuth({
      store: new tokenAuth.MemoryStore(),
      secret: 'x'.repeat(32),
      passwordHasher: tokenAuth.scryptHasher({ cost: 16, blockSize: 1 }),
    });
    await auth.register({ email: 'user@example.com', password: 'password1' });
    const { accessToken } = await auth.login({ email: 'user@example.com', password: 'password1' });
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ userId: 1 });
  });
});
