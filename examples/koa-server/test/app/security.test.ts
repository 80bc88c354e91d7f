import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_ISSUER } from '../../src/server.js';
import { decodeJwt } from '../helpers/http-client.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';

let t: TestServer;
let n = 0;
const email = () => `security${++n}@example.com`;

beforeAll(async () => {
  t = await startTestServer({
    throttle: { maxFailuresPerAccount: 1000, maxFailuresPerClient: 2, windowSeconds: 900 },
  });
});
afterAll(() => t.close());

async function sign(
  claims: { sub: string },
  secret: string,
  overrides: { iss?: string; aud?: string } = {},
): Promise<string> {
  const nowSeconds = Math.floor(t.clock.now() / 1000);
  const jwt = new SignJWT({ sid: '00000000-0000-4000-8000-000000000000' })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'default' })
    .setSubject(claims.sub)
    .setIssuer(overrides.iss ?? TOKEN_ISSUER)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 30)
    .setJti('00000000-0000-4000-8000-000000000001');
  if (overrides.aud !== undefined) jwt.setAudience(overrides.aud);
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('access token verification', () => {
  it('rejects a token signed with another secret', async () => {
    const { id } = await t.client.signUp(email());
    const forged = await sign({ sub: String(id) }, 'another-secret-of-at-least-thirty-two-bytes!!');
    const response = await t.client.get('/api/me/', { token: forged });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('rejects an unsigned alg:none token', async () => {
    const { access } = await t.client.signUp(email());
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(decodeJwt(access))}.`;
    const response = await t.client.get('/api/me/', { token: unsigned });
    expect(response.status).toBe(401);
  });

  it('rejects a token with a tampered payload', async () => {
    const { access } = await t.client.signUp(email());
    const [header, , signature] = access.split('.');
    const payload = Buffer.from(JSON.stringify({ ...decodeJwt(access), sub: '1' })).toString('base64url');
    const response = await t.client.get('/api/me/', { token: `${header}.${payload}.${signature}` });
    expect(response.status).toBe(401);
  });

  it('rejects a token from another issuer', async () => {
    const { id } = await t.client.signUp(email());
    const token = await sign({ sub: String(id) }, TEST_SECRET, { iss: 'some-other-issuer' });
    const response = await t.client.get('/api/me/', { token });
    expect(response.status).toBe(401);
  });

  it('rejects a token for another audience when an audience is configured', async () => {
    const withAudience = await startTestServer({ audience: 'game-api', clock: t.clock });
    try {
      const { id } = await withAudience.client.signUp(email());
      const token = await sign({ sub: String(id) }, TEST_SECRET, { aud: 'some-other-api' });
      const response = await withAudience.client.get('/api/me/', { token });
      expect(response.status).toBe(401);
    } finally {
      await withAudience.close();
    }
  });

  it('accepts a token it did not issue but signed with its key and claims (the check is cryptographic)', async () => {
    const { id } = await t.client.signUp(email());
    const token = await sign({ sub: String(id) }, TEST_SECRET);
    const response = await t.client.get('/api/me/', { token });
    expect(response.status).toBe(200);
  });
});

describe('response headers', () => {
  it('send nosniff and a deny-all CSP on API responses', async () => {
    const response = await t.client.get('/healthz');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  });

  it("send a CSP that allows only 'self' on the HTML pages", async () => {
    const response = await t.client.get('/admin/');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('http');
  });

  it('send Cache-Control: no-store with tokens', async () => {
    const address = email();
    await t.client.post('/api/register/', { email: address, password: 'password' });
    const response = await t.client.post('/api/login/', { email: address, password: 'password' });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('echo a sane incoming X-Request-Id', async () => {
    const response = await t.client.get('/healthz', { headers: { 'X-Request-Id': 'req-42.a:b' } });
    expect(response.headers.get('x-request-id')).toBe('req-42.a:b');
  });

  it('replace an unsafe X-Request-Id with a fresh UUID', async () => {
    const response = await t.client.get('/healthz', { headers: { 'X-Request-Id': 'x'.repeat(300) } });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('logs', () => {
  it('carry the request id, method, path and status of each request', async () => {
    await t.client.get('/healthz', { headers: { 'X-Request-Id': 'log-check-1' } });
    const entry = t.logs.map((line) => JSON.parse(line)).find((e) => e.reqId === 'log-check-1');
    expect(entry).toMatchObject({ method: 'GET', path: '/healthz', status: 200, msg: 'request' });
  });

  it('never contain a password, a token or an Authorization header', async () => {
    const password = 'Very-Secret-Password-1';
    const address = email();
    await t.client.post('/api/register/', { email: address, password });
    const login = await t.client.post('/api/login/', { email: address, password });
    const { access_token: access, refresh_token: refresh } = login.body;
    await t.client.get('/api/me/', { token: access });
    await t.client.post('/api/refresh/', { refresh_token: refresh });
    await t.client.post('/api/refresh/', { refresh_token: refresh });
    await t.client.post('/api/login/', `{"email": "${address}", "password": "${password}"`);
    await t.client.get(`/api/me/?token=${access}`, { token: access });
    const all = t.logs.join('\n');
    expect(all).not.toContain(password);
    expect(all).not.toContain(access);
    expect(all).not.toContain(refresh);
    expect(all.toLowerCase()).not.toContain('bearer');
  });
});

describe('login throttling per client', () => {
  it('keys on the socket address, ignoring X-Forwarded-For by default', async () => {
    const address = email();
    await t.client.post('/api/register/', { email: address, password: 'password' });
    for (const ip of ['10.0.0.1', '10.0.0.2']) {
      await t.client.post(
        '/api/login/',
        { email: address, password: 'wrong-password' },
        { headers: { 'X-Forwarded-For': ip } },
      );
    }
    const response = await t.client.post(
      '/api/login/',
      { email: address, password: 'wrong-password' },
      { headers: { 'X-Forwarded-For': '10.0.0.3' } },
    );
    expect(response.status).toBe(429);
  });

  it('keys on X-Forwarded-For when the proxy is trusted', async () => {
    const proxied = await startTestServer({
      trustProxy: true,
      throttle: { maxFailuresPerAccount: 1000, maxFailuresPerClient: 2, windowSeconds: 900 },
    });
    try {
      const address = 'proxied@example.com';
      await proxied.client.post('/api/register/', { email: address, password: 'password' });
      const attempt = (ip: string) =>
        proxied.client.post(
          '/api/login/',
          { email: address, password: 'wrong-password' },
          { headers: { 'X-Forwarded-For': ip } },
        );
      await attempt('10.0.0.1');
      await attempt('10.0.0.1');
      expect((await attempt('10.0.0.1')).status).toBe(429);
      expect((await attempt('10.0.0.2')).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });

  it('keys on the entry the proxy appended, not on one the client wrote before it', async () => {
    const proxied = await startTestServer({
      trustProxy: true,
      throttle: { maxFailuresPerAccount: 1000, maxFailuresPerClient: 2, windowSeconds: 900 },
    });
    try {
      const address = 'spoofer@example.com';
      await proxied.client.post('/api/register/', { email: address, password: 'password' });
      const attempt = (spoofed: string) =>
        proxied.client.post(
          '/api/login/',
          { email: address, password: 'wrong-password' },
          { headers: { 'X-Forwarded-For': `${spoofed}, 10.9.9.9` } },
        );
      await attempt('1.1.1.1');
      await attempt('2.2.2.2');
      expect((await attempt('3.3.3.3')).status).toBe(429);
    } finally {
      await proxied.close();
    }
  });
});
