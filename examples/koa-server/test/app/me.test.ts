import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_ISSUER } from '../../src/server.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';

let t: TestServer;
let n = 0;
const email = () => `me${++n}@example.com`;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('GET /api/me/', () => {
  it('answers 401 invalid_token for a valid token of a user that does not exist', async () => {
    const token = await new SignJWT({ sid: '00000000-0000-4000-8000-000000000000' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'default' })
      .setSubject('999999')
      .setIssuer(TOKEN_ISSUER)
      .setIssuedAt(Math.floor(t.clock.now() / 1000))
      .setExpirationTime(Math.floor(t.clock.now() / 1000) + 30)
      .setJti('00000000-0000-4000-8000-000000000001')
      .sign(new TextEncoder().encode(TEST_SECRET));
    const response = await t.client.get('/api/me/', { token });
    expect(response.status).toBe(401);
    expect(response.body.detail).toBe('The user of this token no longer exists.');
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 401 invalid_token once the user is deactivated, even with an unexpired token', async () => {
    const { id, access } = await t.client.signUp(email());
    await t.auth.setUserFlags(id, { isActive: false });
    const response = await t.client.get('/api/me/', { token: access });
    expect(response.status).toBe(401);
    expect(response.body.detail).toBe('The user of this token is inactive.');
  });

  it('answers 401 for another authorization scheme, with a bare challenge', async () => {
    const response = await t.client.get('/api/me/', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});

describe('PUT /api/me/', () => {
  it('rejects id as a read-only field', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.put('/api/me/', { id: 7, username: 'x' }, { token: access });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'id', message: 'This field is read-only.' }]);
  });

  it('rejects password by name', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.put('/api/me/', { password: 'new-password' }, { token: access });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'password', message: 'The password cannot be changed through this endpoint.' },
    ]);
  });

  it('rejects an empty body', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.put('/api/me/', {}, { token: access });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'body', message: 'Provide at least one of: username, email.' },
    ]);
  });

  it('rejects an email another user has, on the email field', async () => {
    const taken = email();
    await t.client.post('/api/register/', { email: taken, password: 'password' });
    const { access } = await t.client.signUp(email());
    const response = await t.client.put('/api/me/', { email: taken.toUpperCase() }, { token: access });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'email', message: 'A user with this email already exists.' },
    ]);
  });

  it('rejects a username that is not a string', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.put('/api/me/', { username: ['John'] }, { token: access });
    expect(response.body.errors).toEqual([{ field: 'username', message: 'Must be a string.' }]);
  });

  it('changes username and email together', async () => {
    const { id, access } = await t.client.signUp(email());
    const next = email();
    const response = await t.client.put('/api/me/', { username: 'Jane', email: next }, { token: access });
    expect(response.body).toEqual({ id, username: 'Jane', email: next });
  });

  it('accepts an email with surrounding whitespace and stores it trimmed', async () => {
    const { id, access } = await t.client.signUp(email());
    const next = email();
    const response = await t.client.put('/api/me/', { email: `\t${next} ` }, { token: access });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id, username: '', email: next });
    expect((await t.client.login(` ${next} `, 'password')).access).toBeTruthy();
  });

  it('lets the user log in with the new email', async () => {
    const { access } = await t.client.signUp(email());
    const next = email();
    await t.client.put('/api/me/', { email: next }, { token: access });
    const login = await t.client.post('/api/login/', { email: next, password: 'password' });
    expect(login.status).toBe(200);
  });

  it('authenticates before reading the body: no token and a bad body is a 401', async () => {
    const response = await t.client.put('/api/me/', '{not json');
    expect(response.status).toBe(401);
  });
});

describe('PATCH /api/me/', () => {
  it('changes only the fields it is given and answers the whole profile', async () => {
    const address = email();
    const { id, access } = await t.client.signUp(address);
    const response = await t.client.patch('/api/me/', { username: 'Jane' }, { token: access });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id, username: 'Jane', email: address });
    const next = email();
    const second = await t.client.patch('/api/me/', { email: ` ${next} ` }, { token: access });
    expect(second.body).toEqual({ id, username: 'Jane', email: next });
  });

  it('applies the same body rules as PUT: read-only fields are a 400 naming them', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.patch('/api/me/', { id: 7, password: 'new-password' }, { token: access });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'id', message: 'This field is read-only.' },
      { field: 'password', message: 'The password cannot be changed through this endpoint.' },
    ]);
  });

  it('rejects an empty body like PUT', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.patch('/api/me/', {}, { token: access });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'body', message: 'Provide at least one of: username, email.' },
    ]);
  });

  it('requires a bearer token', async () => {
    const response = await t.client.patch('/api/me/', { username: 'x' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('is listed in Allow', async () => {
    const response = await t.client.request('OPTIONS', '/api/me/');
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, HEAD, PUT, PATCH, OPTIONS');
  });
});
