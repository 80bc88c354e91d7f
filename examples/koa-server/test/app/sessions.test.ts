import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let t: TestServer;
let n = 0;
const email = () => `sessions${++n}@example.com`;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  t = await startTestServer({ throttle: { maxFailuresPerAccount: 5, maxFailuresPerClient: 1000 } });
});
afterAll(() => t.close());

const sid = (access: string) => decodeJwt(access).sid as string;
const refresh = (token: string) => t.client.post('/api/refresh/', { refresh_token: token });
const loginAs = (address: string, userAgent: string) =>
  t.client.post(
    '/api/login/',
    { email: address, password: 'password' },
    { headers: { 'User-Agent': userAgent } },
  );

describe('GET /api/sessions/', () => {
  it('lists each session with ISO times, its user agent and the current one marked', async () => {
    const address = email();
    const first = await t.client.signUp(address);
    const phone = await loginAs(address, 'Phone/1.0');
    const response = await t.client.get('/api/sessions/', { token: first.access });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({
      sessions: [
        {
          id: sid(first.access),
          created_at: expect.stringMatching(ISO),
          last_used_at: expect.stringMatching(ISO),
          expires_at: expect.stringMatching(ISO),
          user_agent: expect.any(String),
          current: true,
        },
        {
          id: sid(phone.body.access_token),
          created_at: expect.stringMatching(ISO),
          last_used_at: expect.stringMatching(ISO),
          expires_at: expect.stringMatching(ISO),
          user_agent: 'Phone/1.0',
          current: false,
        },
      ],
    });
    expect(response.body.sessions[0].id).toMatch(UUID);
  });

  it('never shows a refresh token or a hash of one', async () => {
    const user = await t.client.signUp(email());
    const response = await t.client.get('/api/sessions/', { token: user.access });
    expect(response.text).not.toContain(user.refresh);
    expect(response.text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('keeps the session id across refreshes and advances last_used_at', async () => {
    const user = await t.client.signUp(email());
    const before = (await t.client.get('/api/sessions/', { token: user.access })).body.sessions[0];
    t.clock.advance(5_000);
    const next = await refresh(user.refresh);
    const after = (await t.client.get('/api/sessions/', { token: next.body.access_token })).body.sessions[0];
    expect(after.id).toBe(before.id);
    expect(Date.parse(after.last_used_at) - Date.parse(before.last_used_at)).toBe(5_000);
  });

  it('drops a session whose refresh token was reused', async () => {
    const address = email();
    const user = await t.client.signUp(address);
    const other = await loginAs(address, 'Other');
    await refresh(other.body.refresh_token);
    expect((await refresh(other.body.refresh_token)).status).toBe(401);
    const listed = await t.client.get('/api/sessions/', { token: user.access });
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toEqual([sid(user.access)]);
  });

  it('asks for a bearer token', async () => {
    const response = await t.client.get('/api/sessions/');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('DELETE /api/sessions/{id}/', () => {
  it('answers 204 and the refresh token of that session stops working', async () => {
    const address = email();
    const user = await t.client.signUp(address);
    const other = await loginAs(address, 'Other');
    const response = await t.client.request('DELETE', `/api/sessions/${sid(other.body.access_token)}/`, {
      token: user.access,
    });
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect((await refresh(other.body.refresh_token)).status).toBe(401);
    expect((await refresh(user.refresh)).status).toBe(200);
  });

  it("answers 404 for an unknown id and for another user's session, which keeps working", async () => {
    const mine = await t.client.signUp(email());
    const theirs = await t.client.signUp(email());
    for (const id of ['7b0c1d5e-8f2a-4b3c-9d4e-5f6a7b8c9d0e', sid(theirs.access), 'not-an-id']) {
      const response = await t.client.request('DELETE', `/api/sessions/${id}/`, { token: mine.access });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('session_not_found');
    }
    expect((await refresh(theirs.refresh)).status).toBe(200);
  });

  it('gives exactly one of parallel deletes of one session the 204', async () => {
    const user = await t.client.signUp(email());
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.client.request('DELETE', `/api/sessions/${sid(user.access)}/`, { token: user.access }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([204, 404, 404, 404, 404, 404, 404, 404]);
  });

  it('is documented with the other methods of the path: GET is not one', async () => {
    const user = await t.client.signUp(email());
    const response = await t.client.get(`/api/sessions/${sid(user.access)}/`, { token: user.access });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('DELETE, OPTIONS');
  });
});

describe('POST /api/logout/all/', () => {
  it('ends every session of the user and says how many', async () => {
    const address = email();
    const user = await t.client.signUp(address);
    const other = await loginAs(address, 'Other');
    const response = await t.client.post('/api/logout/all/', undefined, { token: user.access });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ success: 'User logged out of every session.', sessions_ended: 2 });
    expect((await refresh(user.refresh)).status).toBe(401);
    expect((await refresh(other.body.refresh_token)).status).toBe(401);
  });
});

describe('POST /api/me/password/', () => {
  it('returns a fresh pair and ends every other session and the caller refresh token', async () => {
    const address = email();
    const user = await t.client.signUp(address);
    const other = await loginAs(address, 'Other');
    const response = await t.client.post(
      '/api/me/password/',
      { current_password: 'password', new_password: 'a much better passphrase' },
      { token: user.access },
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(UUID),
    });
    expect((await refresh(user.refresh)).status).toBe(401);
    expect((await refresh(other.body.refresh_token)).status).toBe(401);
    expect((await refresh(response.body.refresh_token)).status).toBe(200);
    await t.client.login(address, 'a much better passphrase');
  });

  it('refuses a wrong current password with 400 on current_password and changes nothing', async () => {
    const address = email();
    const user = await t.client.signUp(address);
    const response = await t.client.post(
      '/api/me/password/',
      { current_password: 'not the password', new_password: 'a much better passphrase' },
      { token: user.access },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['current_password']);
    expect((await refresh(user.refresh)).status).toBe(200);
    await t.client.login(address, 'password');
  });

  it('refuses a weak new password with 400 on new_password', async () => {
    const user = await t.client.signUp(email());
    const response = await t.client.post(
      '/api/me/password/',
      { current_password: 'password', new_password: 'short' },
      { token: user.access },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['new_password']);
  });
});

describe('POST /api/refresh/ with a grace window (REFRESH_REUSE_GRACE_MS=5000)', () => {
  let g: TestServer;
  beforeAll(async () => {
    g = await startTestServer({ reuseGraceMs: 5_000 });
  });
  afterAll(() => g.close());

  it('gives ten parallel refreshes of one token one identical refresh token, which works', async () => {
    const user = await g.client.signUp('grace@example.com');
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => g.client.post('/api/refresh/', { refresh_token: user.refresh })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(responses.map((r) => r.body.refresh_token)).size).toBe(1);
    const next = await g.client.post('/api/refresh/', { refresh_token: responses[0]?.body.refresh_token });
    expect(next.status).toBe(200);
  });

  it('ends the session when the parent comes back after the window', async () => {
    const user = await g.client.signUp('grace-late@example.com');
    const first = await g.client.post('/api/refresh/', { refresh_token: user.refresh });
    g.clock.advance(5_000);
    expect((await g.client.post('/api/refresh/', { refresh_token: user.refresh })).status).toBe(401);
    expect((await g.client.post('/api/refresh/', { refresh_token: first.body.refresh_token })).status).toBe(
      401,
    );
  });
});
