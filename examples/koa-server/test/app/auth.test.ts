import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let t: TestServer;
let n = 0;
const email = () => `auth${++n}@example.com`;

beforeAll(async () => {
  t = await startTestServer({
    throttle: { maxFailuresPerAccount: 3, maxFailuresPerClient: 1000, windowSeconds: 900 },
  });
});
afterAll(() => t.close());

const fields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

describe('POST /api/register/', () => {
  it('reports every missing field as required', async () => {
    const response = await t.client.post('/api/register/', {});
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'email', message: 'This field is required.' },
      { field: 'password', message: 'This field is required.' },
    ]);
  });

  it('treats a request without a body as one without fields', async () => {
    const response = await t.client.request('POST', '/api/register/');
    expect(response.status).toBe(400);
    expect(fields(response.body)).toEqual(['email', 'password']);
  });

  it('rejects an unknown field by name, listing the allowed ones', async () => {
    const response = await t.client.post('/api/register/', {
      email: email(),
      password: 'password',
      username: 'Jane',
      role: 'admin',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'role', message: 'Unknown field; allowed fields: email, password, username.' },
    ]);
  });

  it('stores an optional username and still answers exactly the id and the email', async () => {
    const address = email();
    const response = await t.client.post('/api/register/', {
      email: address,
      password: 'password',
      username: '  John Smith ',
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: expect.any(Number), email: address });
    const { access } = await t.client.login(address, 'password');
    const me = await t.client.get('/api/me/', { token: access });
    expect(me.body).toEqual({ id: response.body.id, username: 'John Smith', email: address });
  });

  it('rejects a username longer than 150 characters', async () => {
    const response = await t.client.post('/api/register/', {
      email: email(),
      password: 'password',
      username: 'x'.repeat(151),
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'username', message: 'Ensure this field has no more than 150 characters.' },
    ]);
  });

  it('rejects a username that is not a string', async () => {
    const response = await t.client.post('/api/register/', {
      email: email(),
      password: 'password',
      username: 42,
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'username', message: 'Must be a string.' }]);
  });

  it('lets the core reject a username with control characters, naming the field', async () => {
    const response = await t.client.post('/api/register/', {
      email: email(),
      password: 'password',
      username: 'John\u0007Smith',
    });
    expect(response.status).toBe(400);
    expect(fields(response.body)).toEqual(['username']);
  });

  it('accepts an email with surrounding whitespace and stores it trimmed', async () => {
    const address = email();
    const response = await t.client.post('/api/register/', { email: ` ${address}\t`, password: 'password' });
    expect(response.status).toBe(201);
    expect(response.body.email).toBe(address);
    const { access } = await t.client.login(address, 'password');
    expect((await t.client.get('/api/me/', { token: access })).body.email).toBe(address);
  });

  it('rejects a field of the wrong type', async () => {
    const response = await t.client.post('/api/register/', { email: 42, password: 'password' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'email', message: 'Must be a string.' }]);
  });

  it('rejects an invalid email address', async () => {
    const response = await t.client.post('/api/register/', { email: 'not-an-email', password: 'password' });
    expect(response.body.errors).toEqual([{ field: 'email', message: 'Enter a valid email address.' }]);
  });

  it('rejects a JSON array body as not an object', async () => {
    const response = await t.client.post('/api/register/', [{ email: email(), password: 'password' }]);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body', message: 'The body must be a JSON object.' }]);
  });

  it('answers validation problems as RFC 9457 documents', async () => {
    const response = await t.client.post('/api/register/', {});
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: expect.any(String),
      code: 'validation_failed',
    });
  });
});

describe('POST /api/login/', () => {
  it('answers an unknown email exactly like a wrong password', async () => {
    const known = email();
    await t.client.post('/api/register/', { email: known, password: 'password' });
    const wrongPassword = await t.client.post('/api/login/', { email: known, password: 'not-the-password' });
    const unknownEmail = await t.client.post('/api/login/', { email: email(), password: 'not-the-password' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(unknownEmail.body).toEqual(wrongPassword.body);
  });

  it('logs in with the registered email given with surrounding whitespace and another case', async () => {
    const address = email();
    await t.client.post('/api/register/', { email: ` ${address} `, password: 'password' });
    const response = await t.client.post('/api/login/', {
      email: `  ${address.toUpperCase()}\n`,
      password: 'password',
    });
    expect(response.status).toBe(200);
  });

  it('refuses an inactive user with the same 401', async () => {
    const address = email();
    const { id } = await t.client.signUp(address);
    await t.auth.setUserFlags(id, { isActive: false });
    const response = await t.client.post('/api/login/', { email: address, password: 'password' });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_credentials');
  });

  it('answers 429 with Retry-After once an account has too many failures', async () => {
    const address = email();
    await t.client.post('/api/register/', { email: address, password: 'password' });
    for (let i = 0; i < 3; i++)
      await t.client.post('/api/login/', { email: address, password: 'wrong-password' });
    const response = await t.client.post('/api/login/', { email: address, password: 'password' });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.body.code).toBe('too_many_attempts');
  });
});

describe('POST /api/refresh/', () => {
  it('revokes the whole session when a rotated refresh token is reused', async () => {
    const { refresh } = await t.client.signUp(email());
    const rotated = await t.client.post('/api/refresh/', { refresh_token: refresh });
    const reused = await t.client.post('/api/refresh/', { refresh_token: refresh });
    expect(reused.status).toBe(401);
    const successor = await t.client.post('/api/refresh/', { refresh_token: rotated.body.refresh_token });
    expect(successor.status).toBe(401);
  });

  it('answers 401 for a refresh token past its lifetime', async () => {
    const { refresh } = await t.client.signUp(email());
    t.clock.advance(30 * 24 * 3600 * 1000 + 1000);
    const response = await t.client.post('/api/refresh/', { refresh_token: refresh });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_refresh_token');
  });

  it('answers 400 naming refresh_token for a string that is not a UUID', async () => {
    const response = await t.client.post('/api/refresh/', { refresh_token: 'not-a-uuid' });
    expect(response.status).toBe(400);
    expect(fields(response.body)).toEqual(['refresh_token']);
  });

  it('answers 400 naming refresh_token when it is not a string', async () => {
    const response = await t.client.post('/api/refresh/', { refresh_token: 12345 });
    expect(response.status).toBe(400);
    expect(fields(response.body)).toEqual(['refresh_token']);
  });

  it('resets both lifetimes: the new access token lives a full 30 seconds', async () => {
    const { refresh } = await t.client.signUp(email());
    t.clock.advance(20_000);
    const response = await t.client.post('/api/refresh/', { refresh_token: refresh });
    t.clock.advance(20_000);
    const me = await t.client.get('/api/me/', { token: response.body.access_token });
    expect(me.status).toBe(200);
  });
});

describe('POST /api/logout/', () => {
  it('answers 401 for an unknown refresh token', async () => {
    const response = await t.client.post('/api/logout/', {
      refresh_token: '3f1c2a4e-8b7d-4c6e-9a5b-1d2e3f4a5b6c',
    });
    expect(response.status).toBe(401);
  });

  it('reports a missing refresh_token as required', async () => {
    const response = await t.client.post('/api/logout/', {});
    expect(response.body.errors).toEqual([{ field: 'refresh_token', message: 'This field is required.' }]);
  });
});

describe('access tokens', () => {
  it('expire after 30 seconds: me then answers 401 invalid_token, code token_expired', async () => {
    const { access } = await t.client.signUp(email());
    t.clock.advance(31_000);
    const response = await t.client.get('/api/me/', { token: access });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('token_expired');
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token expired."',
    );
  });
});
