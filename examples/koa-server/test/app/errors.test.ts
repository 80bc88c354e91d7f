import type { TokenAuth } from 'token-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failingStore } from '../helpers/failing-store.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let t: TestServer;
const outage = { failing: false };
let n = 0;
const email = () => `errors${++n}@example.com`;

beforeAll(async () => {
  t = await startTestServer({ wrapStore: failingStore(outage) });
});
afterAll(() => t.close());

describe('unknown paths and methods', () => {
  it('answers 404 as a problem document for an unknown path', async () => {
    const response = await t.client.get('/api/nothing-here/');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, title: 'Not Found', code: 'not_found' });
  });

  it('answers 404 for a known path without its trailing slash, suggesting the slash', async () => {
    const response = await t.client.get('/api/me');
    expect(response.status).toBe(404);
    expect(response.body.detail).toBe(
      'No endpoint at /api/me. Did you mean /api/me/? API paths end with a slash.',
    );
  });

  it('answers 405 with Allow for a wrong method on a known path', async () => {
    const response = await t.client.put('/api/login/', { email: 'a@example.com' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    expect(response.body.code).toBe('method_not_allowed');
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const response = await t.client.request('OPTIONS', '/api/admin/settings/');
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, HEAD, PUT, OPTIONS');
  });

  it('answers HEAD on a GET endpoint without a body', async () => {
    const response = await t.client.request('HEAD', '/healthz');
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
  });
});

describe('request bodies', () => {
  it('answers 413 for a body over the limit', async () => {
    const response = await t.client.post('/api/login/', {
      email: 'a@example.com',
      password: 'p'.repeat(16 * 1024),
    });
    expect(response.status).toBe(413);
    expect(response.body.detail).toBe('The request body exceeds the limit of 16384 bytes.');
  });

  it('reads a body just under the limit', async () => {
    const response = await t.client.post('/api/login/', {
      email: 'a@example.com',
      password: 'p'.repeat(16 * 1024 - 60),
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'password', message: 'Ensure this field has no more than 128 characters.' },
    ]);
  });

  it('answers 415 for a text/plain body', async () => {
    const response = await t.client.post('/api/login/', '{"email":"a@example.com","password":"password"}', {
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(response.status).toBe(415);
    expect(response.body.code).toBe('unsupported_media_type');
  });

  it('answers 415 for JSON in a charset other than UTF-8', async () => {
    const response = await t.client.post('/api/login/', '{"email":"a@example.com","password":"password"}', {
      headers: { 'Content-Type': 'application/json; charset=latin1' },
    });
    expect(response.status).toBe(415);
  });

  it('answers 415 for a body without a content type', async () => {
    const response = await fetch(new URL('/api/login/', t.url), {
      method: 'POST',
      body: new Uint8Array([123, 125]),
    });
    expect(response.status).toBe(415);
  });

  it('answers 400 malformed_json for broken JSON', async () => {
    const response = await t.client.post('/api/register/', '{"email": "a@example.com",');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('malformed_json');
  });

  it('answers 400 malformed_json for a JSON scalar', async () => {
    const response = await t.client.post('/api/register/', '"just a string"');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('malformed_json');
  });

  it('answers 400 for a __proto__ key instead of polluting anything', async () => {
    const response = await t.client.post(
      '/api/register/',
      '{"__proto__": {"isStaff": true}, "email": "p@example.com", "password": "password"}',
    );
    expect(response.status).toBe(400);
  });

  it('never answers 500 to odd input on any endpoint', async () => {
    const { access } = await t.client.signUp(email());
    const bodies = [
      'null',
      '[]',
      '[1,2]',
      '{}',
      '{"email":{"$gt":""}}',
      '{"email":"a@b.c","password":1e309}',
      `{"x":"${'\u0000'}"}`,
      '{"username":"\\ud800"}',
      '0',
      'true',
    ];
    const targets: [string, string][] = [
      ['POST', '/api/register/'],
      ['POST', '/api/login/'],
      ['POST', '/api/refresh/'],
      ['POST', '/api/logout/'],
      ['PUT', '/api/me/'],
      ['PATCH', '/api/me/'],
    ];
    const serverErrors: string[] = [];
    for (const [method, path] of targets) {
      for (const body of bodies) {
        const response = await t.client.request(method, path, { body, token: access });
        if (response.status >= 500) serverErrors.push(`${method} ${path} ${body} -> ${response.status}`);
      }
    }
    expect(serverErrors).toEqual([]);
  });
});

describe('store failures', () => {
  it('make /healthz answer 503', async () => {
    outage.failing = true;
    try {
      const response = await t.client.get('/healthz');
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('store_unavailable');
    } finally {
      outage.failing = false;
    }
  });

  it('make login answer 503 without disclosing the cause', async () => {
    const address = email();
    await t.client.post('/api/register/', { email: address, password: 'password' });
    outage.failing = true;
    try {
      const response = await t.client.post('/api/login/', { email: address, password: 'password' });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(response.text).not.toContain('SQLITE');
    } finally {
      outage.failing = false;
    }
  });

  it('leave /healthz at 200 when the store answers', async () => {
    const response = await t.client.get('/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });
});

describe('unexpected errors', () => {
  it('answer 500 without details and are logged with their stack', async () => {
    const broken = await startTestServer({
      wrapAuth: (auth): TokenAuth => ({
        ...auth,
        getProfile: async () => {
          throw new TypeError('internal detail that must not leak');
        },
      }),
    });
    try {
      const { access } = await broken.client.signUp('broken@example.com');
      const response = await broken.client.get('/api/me/', { token: access });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'The server failed to handle this request.',
        code: 'internal_error',
      });
      const logged = broken.logs
        .map((line) => JSON.parse(line))
        .find((entry) => entry.msg === 'unhandled error');
      expect(logged?.err?.message).toBe('internal detail that must not leak');
      expect(logged?.level).toBe(50);
    } finally {
      await broken.close();
    }
  });
});
