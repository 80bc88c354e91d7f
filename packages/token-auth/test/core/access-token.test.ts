import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../src/create-token-auth.js';
import { ConfigError, InvalidTokenError, TokenExpiredError } from '../../src/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { JwtKey } from '../../src/types.js';
import {
  decodeSegment,
  EMAIL,
  fastHasher,
  loggedIn,
  manualClock,
  PASSWORD,
  recordingStore,
  rejectionOf,
  SECRET,
  setup,
  T0,
} from './fixtures.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const secretBytes = new TextEncoder().encode(SECRET);

/** Signs a token by hand with our secret, for tests that need a header or claim we never issue. */
function handSigned(
  header: Record<string, unknown>,
  claims: Record<string, unknown> = { sub: '1', sid: 's', jti: 'j' },
  key: Uint8Array = secretBytes,
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'default', ...header } as { alg: string })
    .setIssuedAt(T0 / 1000)
    .setExpirationTime(T0 / 1000 + 30)
    .sign(key);
}

describe('access tokens', () => {
  it('carry typ at+jwt, the key id, HS256, and the sub, user_id, iat, exp, jti and sid claims', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    const header = decodeSegment(pair.accessToken, 0);
    const payload = decodeSegment(pair.accessToken, 1);
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'default' });
    expect(payload).toEqual({
      sub: String(user.id),
      user_id: user.id,
      iat: T0 / 1000,
      exp: T0 / 1000 + 30,
      jti: expect.stringMatching(UUID),
      sid: expect.stringMatching(UUID),
    });
    expect(pair.accessTokenExpiresAt).toBe(T0 / 1000 + 30);
  });

  it('verify to the claims they were issued with', async () => {
    const { auth } = setup();
    const { user, pair } = await loggedIn(auth);
    const payload = decodeSegment(pair.accessToken, 1);
    await expect(auth.verifyAccessToken(pair.accessToken)).resolves.toEqual({
      userId: user.id,
      iat: payload.iat,
      exp: payload.exp,
      jti: payload.jti,
      sid: payload.sid,
    });
  });

  it('get a fresh jti on every issue', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const second = await auth.login({ email: EMAIL, password: PASSWORD });
    expect(decodeSegment(second.accessToken, 1).jti).not.toBe(decodeSegment(pair.accessToken, 1).jti);
  });

  it.each([0, 1000])(
    'are verified without a single store call (cache size %i)',
    async (verifiedTokenCacheSize) => {
      const recorded = recordingStore(new MemoryStore());
      const clock = manualClock();
      const auth = createTokenAuth({
        store: recorded.store,
        secret: SECRET,
        now: clock.now,
        passwordHasher: fastHasher(),
        verifiedTokenCacheSize,
      });
      const { pair } = await loggedIn(auth);
      recorded.calls.length = 0;
      await auth.verifyAccessToken(pair.accessToken);
      await auth.verifyAccessToken(pair.accessToken);
      await expect(auth.verifyAccessToken(`${pair.accessToken}x`)).rejects.toThrow(InvalidTokenError);
      expect(recorded.calls).toEqual([]);
    },
  );

  it('stay valid until the last millisecond before exp and expire at exp', async () => {
    const { auth, clock } = setup({ verifiedTokenCacheSize: 0 });
    const { pair } = await loggedIn(auth);
    clock.advance(30_000 - 1);
    await expect(auth.verifyAccessToken(pair.accessToken)).resolves.toMatchObject({ exp: T0 / 1000 + 30 });
    clock.advance(1);
    await expect(auth.verifyAccessToken(pair.accessToken)).rejects.toThrow(TokenExpiredError);
  });

  it('are re-checked for expiry when served from the verified-token cache', async () => {
    const { auth, clock } = setup();
    const { pair } = await loggedIn(auth);
    await auth.verifyAccessToken(pair.accessToken);
    clock.advance(30_000);
    const error = await rejectionOf<Error>(auth.verifyAccessToken(pair.accessToken));
    expect(error).toBeInstanceOf(TokenExpiredError);
  });

  it('follow an access lifetime changed at run time, from the next issue on', async () => {
    const { auth, clock } = setup({ verifiedTokenCacheSize: 0 });
    const { pair: before } = await loggedIn(auth);
    await auth.updateSettings({ accessTokenTtlSeconds: 5 }, { userId: null });
    const after = await auth.login({ email: EMAIL, password: PASSWORD });
    expect(after.accessTokenExpiresAt).toBe(T0 / 1000 + 5);
    clock.advance(5_000);
    await expect(auth.verifyAccessToken(after.accessToken)).rejects.toThrow(TokenExpiredError);
    await expect(auth.verifyAccessToken(before.accessToken)).resolves.toMatchObject({ exp: T0 / 1000 + 30 });
  });

  it('with a forged signature are rejected', async () => {
    const { auth } = setup();
    const { pair } = await loggedIn(auth);
    const [header, , signature] = pair.accessToken.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...decodeSegment(pair.accessToken, 1), sub: '2' }),
    ).toString('base64url');
    const error = await rejectionOf<Error>(auth.verifyAccessToken(`${header}.${forgedPayload}.${signature}`));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).not.toBeInstanceOf(TokenExpiredError);
    expect((error as Error).message).toMatch(/signature does not verify/);
    expect((error as Error).cause).toBeDefined();
  });

  it('signed with another secret under our key id are rejected', async () => {
    const { auth } = setup();
    const other = new TextEncoder().encode('another-secret-of-more-than-thirty-two-bytes!');
    const token = await handSigned({}, { sub: '1', sid: 's', jti: 'j' }, other);
    await expect(auth.verifyAccessToken(token)).rejects.toThrow(/signature does not verify/);
  });

  it('with alg none are rejected', async () => {
    const { auth } = setup();
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = encode({ alg: 'none', typ: 'at+jwt', kid: 'default' });
    const payload = encode({ sub: '1', sid: 's', jti: 'j', iat: T0 / 1000, exp: T0 / 1000 + 30 });
    await expect(auth.verifyAccessToken(`${header}.${payload}.`)).rejects.toThrow(InvalidTokenError);
  });

  it('whose user_id differs from their subject are rejected', async () => {
    const { auth } = setup();
    const token = await handSigned({}, { sub: '1', user_id: 2, sid: 's', jti: 'j' });
    await expect(auth.verifyAccessToken(token)).rejects.toThrow(/user_id does not match/);
  });

  it('without user_id are accepted on their subject alone', async () => {
    const { auth } = setup();
    await expect(auth.verifyAccessToken(await handSigned({}))).resolves.toMatchObject({ userId: 1 });
  });

  it('signed with RS256 are rejected', async () => {
    const { auth } = setup();
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ sub: '1', sid: 's', jti: 'j' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'default' })
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 30)
      .sign(privateKey);
    await expect(auth.verifyAccessToken(token)).rejects.toThrow(/algorithm is not allowed/);
  });

  it('whose alg differs from the algorithm of the key named by kid are rejected', async () => {
    const long = 'x'.repeat(64);
    const clock = manualClock();
    const auth = createTokenAuth({
      store: new MemoryStore(),
      now: clock.now,
      keys: [
        { kid: 'a', secret: long, algorithm: 'HS256' },
        { kid: 'b', secret: long, algorithm: 'HS512' },
      ],
    });
    const token = await new SignJWT({ sub: '1', sid: 's', jti: 'j' })
      .setProtectedHeader({ alg: 'HS512', typ: 'at+jwt', kid: 'a' })
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 30)
      .sign(new TextEncoder().encode(long));
    await expect(auth.verifyAccessToken(token)).rejects.toThrow(/algorithm does not match its key/);
  });

  it.each([
    ['typ JWT', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
  ])('with %s are rejected', async (_name, header) => {
    const { auth } = setup();
    await expect(auth.verifyAccessToken(await handSigned(header))).rejects.toThrow(/"typ" check failed/);
  });

  it('with the media-type form application/at+jwt are accepted (RFC 9068)', async () => {
    const { auth } = setup();
    await expect(
      auth.verifyAccessToken(await handSigned({ typ: 'application/at+jwt' })),
    ).resolves.toMatchObject({ userId: 1 });
  });

  it('naming an unknown key id are rejected', async () => {
    const { auth } = setup();
    await expect(auth.verifyAccessToken(await handSigned({ kid: 'retired' }))).rejects.toThrow(
      /unknown key id/,
    );
  });

  it('naming no key id are rejected', async () => {
    const { auth } = setup();
    await expect(auth.verifyAccessToken(await handSigned({ kid: undefined }))).rejects.toThrow(/no key id/);
  });

  it.each([
    ['a sub that is not a user id', { sub: 'admin', sid: 's', jti: 'j' }, /subject/],
    ['no sid', { sub: '1', jti: 'j' }, /"sid" check failed/],
    ['no jti', { sub: '1', sid: 's' }, /"jti" check failed/],
    ['a numeric sid', { sub: '1', sid: 5, jti: 'j' }, /no session id/],
    ['a numeric jti', { sub: '1', sid: 's', jti: 5 }, /no token id/],
    ['a sub beyond the safe integers', { sub: '9999999999999999', sid: 's', jti: 'j' }, /subject/],
  ])('with %s are rejected', async (_name, claims, message) => {
    const { auth } = setup();
    await expect(auth.verifyAccessToken(await handSigned({}, claims))).rejects.toThrow(message);
  });

  it.each([
    ['a number', 42],
    ['an empty string', ''],
    ['garbage', 'not-a-jwt'],
    ['a string of 5000 characters', 'a'.repeat(5000)],
  ])('given as %s are rejected as invalid', async (_name, token) => {
    const { auth } = setup();
    await expect(auth.verifyAccessToken(token)).rejects.toThrow(InvalidTokenError);
  });

  it('never echo the token in an error message', async () => {
    const { auth, clock } = setup();
    const { pair } = await loggedIn(auth);
    clock.advance(60_000);
    const expired = await rejectionOf<Error>(auth.verifyAccessToken(pair.accessToken));
    const forged = await rejectionOf<Error>(auth.verifyAccessToken(`${pair.accessToken}A`));
    for (const error of [expired, forged]) {
      expect(error.message).not.toContain(pair.accessToken.split('.')[2]);
      expect(error.message).not.toContain(pair.accessToken.split('.')[1]);
    }
  });
});

describe('access tokens with an issuer and an audience', () => {
  const configured = () => setup({ issuer: 'https://auth.example.com', audience: 'game-api' });

  it('carry iss and aud', async () => {
    const { auth } = configured();
    const { pair } = await loggedIn(auth);
    expect(decodeSegment(pair.accessToken, 1)).toMatchObject({
      iss: 'https://auth.example.com',
      aud: 'game-api',
    });
    await expect(auth.verifyAccessToken(pair.accessToken)).resolves.toMatchObject({ userId: 1 });
  });

  it('are rejected when iss is wrong', async () => {
    const { auth } = configured();
    const token = await handSigned(
      {},
      { sub: '1', sid: 's', jti: 'j', iss: 'https://evil.example.com', aud: 'game-api' },
    );
    await expect(auth.verifyAccessToken(token)).rejects.toThrow(/"iss" check failed/);
  });

  it('are rejected when aud is wrong', async () => {
    const { auth } = configured();
    const token = await handSigned(
      {},
      { sub: '1', sid: 's', jti: 'j', iss: 'https://auth.example.com', aud: 'other-api' },
    );
    await expect(auth.verifyAccessToken(token)).rejects.toThrow(/"aud" check failed/);
  });

  it('are rejected when they lack iss and aud', async () => {
    const { auth } = configured();
    await expect(auth.verifyAccessToken(await handSigned({}))).rejects.toThrow(InvalidTokenError);
  });
});

describe('access-token key rotation', () => {
  const oldKey: JwtKey = { kid: '2024', secret: 'old-secret-of-more-than-thirty-two-bytes!!' };
  const newKey: JwtKey = { kid: '2025', secret: 'new-secret-of-more-than-thirty-two-bytes!!' };

  it('keeps tokens signed with the previous key valid and signs new ones with the first key', async () => {
    const store = new MemoryStore();
    const clock = manualClock();
    const common = { store, now: clock.now, passwordHasher: fastHasher() };
    const before = createTokenAuth({ ...common, keys: [oldKey] });
    const { pair: oldPair } = await loggedIn(before);
    const after = createTokenAuth({ ...common, keys: [newKey, oldKey] });
    await expect(after.verifyAccessToken(oldPair.accessToken)).resolves.toMatchObject({ userId: 1 });
    const newPair = await after.login({ email: EMAIL, password: PASSWORD });
    expect(decodeSegment(newPair.accessToken, 0).kid).toBe('2025');
    await expect(before.verifyAccessToken(newPair.accessToken)).rejects.toThrow(/unknown key id/);
  });

  it('rejects tokens of a key once it is removed', async () => {
    const store = new MemoryStore();
    const clock = manualClock();
    const common = { store, now: clock.now, passwordHasher: fastHasher() };
    const { pair } = await loggedIn(createTokenAuth({ ...common, keys: [oldKey] }));
    const retired = createTokenAuth({ ...common, keys: [newKey] });
    await expect(retired.verifyAccessToken(pair.accessToken)).rejects.toThrow(InvalidTokenError);
  });
});

describe('access-token key configuration', () => {
  const store = new MemoryStore();

  it('refuses a secret shorter than 32 bytes without echoing it', () => {
    const secret = 'short-secret-31-bytes-long-abcd';
    expect(() => createTokenAuth({ store, secret })).toThrow(ConfigError);
    expect(() => createTokenAuth({ store, secret })).toThrow(/31 bytes; HS256 needs at least 32 bytes/);
    try {
      createTokenAuth({ store, secret });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it('accepts a 32-byte Uint8Array secret', () => {
    expect(() => createTokenAuth({ store, secret: new Uint8Array(32).fill(7) })).not.toThrow();
  });

  it.each([
    ['HS384', 47, 48],
    ['HS512', 63, 64],
  ] as const)('refuses a %s key shorter than its hash (%i bytes)', (algorithm, length, minimum) => {
    const keys = [{ kid: 'k', secret: 'x'.repeat(length), algorithm }];
    expect(() => createTokenAuth({ store, keys })).toThrow(new RegExp(`needs at least ${minimum} bytes`));
  });

  it.each(['RS256', 'none', 'ES256'])('refuses the algorithm %s', (algorithm) => {
    const keys = [{ kid: 'k', secret: 'x'.repeat(64), algorithm } as unknown as JwtKey];
    expect(() => createTokenAuth({ store, keys })).toThrow(/must be one of HS256, HS384, HS512/);
  });

  it('refuses both secret and keys', () => {
    expect(() => createTokenAuth({ store, secret: SECRET, keys: [{ kid: 'k', secret: SECRET }] })).toThrow(
      /either `secret` or `keys`/,
    );
  });

  it('refuses no key at all', () => {
    expect(() => createTokenAuth({ store })).toThrow(/A signing key is required/);
  });

  it('refuses an empty key list', () => {
    expect(() => createTokenAuth({ store, keys: [] })).toThrow(/non-empty array/);
  });

  it('refuses two keys with one kid', () => {
    expect(() =>
      createTokenAuth({
        store,
        keys: [
          { kid: 'k', secret: SECRET },
          { kid: 'k', secret: SECRET },
        ],
      }),
    ).toThrow(/keys\[1\]\.kid repeats/);
  });

  it('refuses a key without a kid', () => {
    expect(() => createTokenAuth({ store, keys: [{ kid: '', secret: SECRET }] })).toThrow(/keys\[0\]\.kid/);
  });

  it('refuses a secret that is neither a string nor bytes', () => {
    expect(() => createTokenAuth({ store, secret: 42 as unknown as string })).toThrow(
      /secret must be a string or a Uint8Array/,
    );
  });
});
