/**
 * startServer from a parsed environment, in process: what the configuration changes in the
 * tokens the running server issues and accepts.
 */

import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RunningServer, redactDatabaseUrl, startServer, TOKEN_ISSUER } from '../src/server.js';
import { createClient, decodeJwt } from './helpers/http-client.js';

const SECRET = 'server-test-secret-of-at-least-thirty-two-bytes';

async function withServer(
  env: Record<string, string>,
  body: (running: RunningServer) => Promise<void>,
): Promise<void> {
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: 'memory://',
    JWT_SECRET: SECRET,
    ...env,
  });
  const running = await startServer(config, createLogger({ level: 'silent' }));
  try {
    await body(running);
  } finally {
    await running.close();
  }
}

/** A token with this server's claims but no `aud`, signed with its secret. */
async function tokenWithoutAudience(userId: number): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: '00000000-0000-4000-8000-000000000000' })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'default' })
    .setSubject(String(userId))
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 30)
    .setJti('00000000-0000-4000-8000-000000000001')
    .sign(new TextEncoder().encode(SECRET));
}

describe('startServer', () => {
  it('issues access tokens with iss and without aud by default', async () => {
    await withServer({}, async ({ url }) => {
      const { access } = await createClient(url).signUp('plain@example.com');
      const claims = decodeJwt(access);
      expect(claims.iss).toBe(TOKEN_ISSUER);
      expect(claims).not.toHaveProperty('aud');
    });
  });

  it('ends the session when a rotated refresh token comes back, by default', async () => {
    await withServer({}, async ({ url }) => {
      const client = createClient(url);
      const { refresh } = await client.signUp('strict@example.com');
      const next = await client.post<{ refresh_token: string }>('/api/refresh/', { refresh_token: refresh });
      const reuse = await client.post('/api/refresh/', { refresh_token: refresh });
      expect(reuse.status).toBe(401);
      const after = await client.post('/api/refresh/', { refresh_token: next.body.refresh_token });
      expect(after.status).toBe(401);
    });
  });

  it('with REFRESH_REUSE_GRACE_MS answers a retried refresh with the same successor, the session alive', async () => {
    await withServer({ REFRESH_REUSE_GRACE_MS: '60000' }, async ({ url }) => {
      const client = createClient(url);
      const { refresh } = await client.signUp('grace@example.com');
      const next = await client.post<{ refresh_token: string }>('/api/refresh/', { refresh_token: refresh });
      const again = await client.post<{ refresh_token: string }>('/api/refresh/', { refresh_token: refresh });
      expect(again.status).toBe(200);
      expect(again.body.refresh_token).toBe(next.body.refresh_token);
      const after = await client.post('/api/refresh/', { refresh_token: next.body.refresh_token });
      expect(after.status).toBe(200);
    });
  });

  it('with JWT_AUDIENCE issues tokens for that audience, which GET /api/me/ accepts', async () => {
    await withServer({ JWT_AUDIENCE: 'game-api' }, async ({ url }) => {
      const client = createClient(url);
      const { access } = await client.signUp('aud@example.com');
      expect(decodeJwt(access)).toMatchObject({ iss: TOKEN_ISSUER, aud: 'game-api' });
      expect((await client.get('/api/me/', { token: access })).status).toBe(200);
    });
  });

  it('with JWT_AUDIENCE refuses a token that carries no aud', async () => {
    await withServer({ JWT_AUDIENCE: 'game-api' }, async ({ url }) => {
      const client = createClient(url);
      const { id } = await client.signUp('noaud@example.com');
      const response = await client.get('/api/me/', { token: await tokenWithoutAudience(id) });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });
  });

  it('without JWT_AUDIENCE accepts a token without aud signed with its secret', async () => {
    await withServer({}, async ({ url }) => {
      const client = createClient(url);
      const { id } = await client.signUp('signed@example.com');
      const response = await client.get('/api/me/', { token: await tokenWithoutAudience(id) });
      expect(response.status).toBe(200);
    });
  });
});

describe('redactDatabaseUrl', () => {
  it.each([
    ['redis://:p@ss@10.0.0.5:6379/0', 'redis://***@10.0.0.5:6379/0'],
    ['rediss://app:s3cret@cache.internal:6380/2', 'rediss://***@cache.internal:6380/2'],
    ['postgres://app:pa/ss@db.internal:5432/auth', 'postgres://***@db.internal:5432/auth'],
    ['postgresql://app:p?ss#w@rd@db.internal/auth', 'postgresql://***@db.internal/auth'],
    [
      'postgres://app:a@b/c?d#e@db.internal:5432/auth?sslmode=require',
      'postgres://***@db.internal:5432/auth',
    ],
    ['redis://user@cache.internal:6379', 'redis://***@cache.internal:6379'],
  ])('masks the credentials of %s', (url, logged) => {
    expect(redactDatabaseUrl(url)).toBe(logged);
  });

  it('drops the query string, which may carry credentials too', () => {
    expect(redactDatabaseUrl('redis://host:6379/0?password=s3cret')).toBe('redis://host:6379/0');
  });

  it('drops the fragment', () => {
    expect(redactDatabaseUrl('postgres://db.internal/auth#s3cret')).toBe('postgres://db.internal/auth');
  });

  it('leaves a URL without credentials as it is', () => {
    expect(redactDatabaseUrl('postgres://db.internal:5432/auth')).toBe('postgres://db.internal:5432/auth');
  });

  it('leaves a sqlite:// URL as it is: it names a file, and a file name may hold an @', () => {
    expect(redactDatabaseUrl('sqlite:///var/lib/koa-server@2/auth.sqlite')).toBe(
      'sqlite:///var/lib/koa-server@2/auth.sqlite',
    );
  });
});
