/**
 * The contract of the brief's six endpoints, as a suite that runs against any base URL:
 * the Koa app and the plain node:http server both pass it (see contract.test.ts).
 */

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, decodeJwt } from './helpers/http-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

let counter = 0;
const uniqueEmail = () => `user${++counter}-${randomUUID().slice(0, 8)}@example.com`;

/**
 * Defines the contract suite.
 *
 * @param label - Which server (shown in the test names).
 * @param baseUrl - Returns the server's base URL (called inside each test).
 */
export function describeContract(label: string, baseUrl: () => string): void {
  const api = () => createClient(baseUrl());

  describe(`the brief's contract on ${label}`, () => {
    it('register answers 201 with exactly the id and the email', async () => {
      const email = uniqueEmail();
      const response = await api().post('/api/register/', { password: 'password', email });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(['email', 'id']);
      expect(response.body.email).toBe(email);
      expect(Number.isInteger(response.body.id)).toBe(true);
    });

    it('login answers 200 with exactly a JWT access token and a UUID refresh token', async () => {
      const email = uniqueEmail();
      await api().post('/api/register/', { password: 'password', email });
      const response = await api().post('/api/login/', { email, password: 'password' });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['access_token', 'refresh_token']);
      expect(response.body.access_token).toMatch(JWT);
      expect(response.body.refresh_token).toMatch(UUID);
      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it('the access token lives 30 seconds by default', async () => {
      const { access } = await api().signUp(uniqueEmail());
      const claims = decodeJwt(access);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(30);
    });

    it('me answers the id, an empty username and the email', async () => {
      const email = uniqueEmail();
      const { id, access } = await api().signUp(email);
      const response = await api().get('/api/me/', { token: access });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id, username: '', email });
    });

    it('put me changes the username and answers the whole profile', async () => {
      const email = uniqueEmail();
      const { id, access } = await api().signUp(email);
      const response = await api().put('/api/me/', { username: 'John Smith' }, { token: access });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id, username: 'John Smith', email });
    });

    it('put me changes the email, visible at once with the same token', async () => {
      const { id, access } = await api().signUp(uniqueEmail());
      const newEmail = uniqueEmail();
      await api().put('/api/me/', { email: newEmail }, { token: access });
      const response = await api().get('/api/me/', { token: access });
      expect(response.body).toEqual({ id, username: '', email: newEmail });
    });

    it('patch me is the same partial update: the username changes, the email stays', async () => {
      const email = uniqueEmail();
      const { id, access } = await api().signUp(email);
      const response = await api().patch('/api/me/', { username: 'Jane Doe' }, { token: access });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id, username: 'Jane Doe', email });
    });

    it('register stores an optional username and answers only the id and the email', async () => {
      const email = uniqueEmail();
      const registered = await api().post('/api/register/', { password: 'password', email, username: 'Ann' });
      expect(registered.status).toBe(201);
      expect(Object.keys(registered.body).sort()).toEqual(['email', 'id']);
      const { access } = await api().login(email, 'password');
      expect((await api().get('/api/me/', { token: access })).body.username).toBe('Ann');
    });

    it('an email with surrounding whitespace is accepted at registration and stored trimmed', async () => {
      const email = uniqueEmail();
      const response = await api().post('/api/register/', { password: 'password', email: ` ${email} ` });
      expect(response.status).toBe(201);
      expect(response.body.email).toBe(email);
    });

    it('refresh answers a new pair and the old refresh token stops working', async () => {
      const { refresh } = await api().signUp(uniqueEmail());
      const rotated = await api().post('/api/refresh/', { refresh_token: refresh });
      expect(rotated.status).toBe(200);
      expect(Object.keys(rotated.body).sort()).toEqual(['access_token', 'refresh_token']);
      expect(rotated.body.refresh_token).toMatch(UUID);
      expect(rotated.body.refresh_token).not.toBe(refresh);
      const again = await api().post('/api/refresh/', { refresh_token: refresh });
      expect(again.status).toBe(401);
    });

    it('logout answers the success message and the refresh token then fails', async () => {
      const { refresh } = await api().signUp(uniqueEmail());
      const loggedOut = await api().post('/api/logout/', { refresh_token: refresh });
      expect(loggedOut.status).toBe(200);
      expect(loggedOut.body).toEqual({ success: 'User logged out.' });
      const refreshed = await api().post('/api/refresh/', { refresh_token: refresh });
      expect(refreshed.status).toBe(401);
      expect(refreshed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('a duplicate email at registration is a 400 naming the email field', async () => {
      const email = uniqueEmail();
      await api().post('/api/register/', { password: 'password', email });
      const response = await api().post('/api/register/', {
        password: 'password',
        email: email.toUpperCase(),
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: 'email', message: expect.any(String) }]);
    });

    it('a short password is a 400 naming the password field', async () => {
      const response = await api().post('/api/register/', { password: 'short', email: uniqueEmail() });
      expect(response.status).toBe(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['password']);
    });

    it('a wrong password is a 401 problem with a Bearer challenge', async () => {
      const email = uniqueEmail();
      await api().post('/api/register/', { password: 'password', email });
      const response = await api().post('/api/login/', { email, password: 'wrong-password' });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(response.body).toMatchObject({ type: 'about:blank', status: 401, title: 'Unauthorized' });
    });

    it('me without a token is a 401 with a bare Bearer challenge', async () => {
      const response = await api().get('/api/me/');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    });

    it('me with a garbage token is a 401 with error="invalid_token"', async () => {
      const response = await api().get('/api/me/', { token: 'not.a.jwt' });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/);
    });

    it('a path without its trailing slash is a 404 problem that suggests the slash', async () => {
      const response = await api().post('/api/login', { email: 'a@example.com', password: 'x' });
      expect(response.status).toBe(404);
      expect(response.body.detail).toContain('/api/login/');
    });

    it('a wrong method on a known path is a 405 with Allow', async () => {
      const response = await api().request('DELETE', '/api/me/');
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD, PUT, PATCH, OPTIONS');
    });

    it('a non-JSON body is a 415', async () => {
      const response = await api().post('/api/login/', 'email=a@example.com', {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      expect(response.status).toBe(415);
    });

    it('malformed JSON is a 400', async () => {
      const response = await api().post('/api/login/', '{"email": ');
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('malformed_json');
    });

    it('a body over 16 KiB is a 413', async () => {
      const response = await api().post('/api/register/', {
        email: uniqueEmail(),
        password: 'x'.repeat(17 * 1024),
      });
      expect(response.status).toBe(413);
    });

    it('every response carries a request id', async () => {
      const response = await api().get('/api/me/', { headers: { 'X-Request-Id': 'contract-check-1' } });
      expect(response.headers.get('x-request-id')).toBe('contract-check-1');
    });
  });
}
