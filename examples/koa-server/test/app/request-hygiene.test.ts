/**
 * Requests that are ambiguous or malformed below the JSON level, on both servers: several
 * Authorization headers, and a body that is not valid UTF-8.
 */

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { code?: string; [key: string]: unknown };
}

/** Sends one request with exactly these header lines (an array value sends the header once per entry). */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each([
  ['the Koa app', 'koa'],
  ['the node:http server', 'node'],
] as const)('on %s', (_label, kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ kind });
  });
  afterAll(() => t.close());

  it('refuses two Authorization headers carrying two users’ tokens with 400 invalid_request (RFC 6750 3.1)', async () => {
    const first = await t.client.signUp(`first-${kind}@example.com`);
    const second = await t.client.signUp(`second-${kind}@example.com`);
    const response = await send(t.url, 'GET', '/api/me/', {
      authorization: [`Bearer ${first.access}`, `Bearer ${second.access}`],
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_request"/);
  });

  it('still answers one Authorization header as before', async () => {
    const { access, id } = await t.client.signUp(`single-${kind}@example.com`);
    const response = await send(t.url, 'GET', '/api/me/', { authorization: `Bearer ${access}` });
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(id);
  });
});

describe.each([
  ['the Koa app', 'koa'],
  ['the node:http server', 'node'],
] as const)('a JSON body that is not UTF-8, on %s', (_label, kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ kind });
  });
  afterAll(() => t.close());

  /** `{"email": "...", "password": "pass<FF><FF>word"}` as raw bytes. */
  const withInvalidBytes = (email: string) =>
    Buffer.concat([
      Buffer.from(`{"email": "${email}", "password": "pass`),
      Buffer.from([0xff, 0xff]),
      Buffer.from('word"}'),
    ]);

  it('is refused with a 400 malformed_json problem', async () => {
    const response = await send(
      t.url,
      'POST',
      '/api/register/',
      { 'content-type': 'application/json' },
      withInvalidBytes(`bytes-${kind}@example.com`),
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'malformed_json', detail: expect.stringContaining('UTF-8') });
  });

  it('creates no user: the replacement characters a lenient decoder makes never become a password', async () => {
    const email = `never-${kind}@example.com`;
    await send(
      t.url,
      'POST',
      '/api/register/',
      { 'content-type': 'application/json' },
      withInvalidBytes(email),
    );
    const login = await t.client.post('/api/login/', { email, password: 'pass\ufffd\ufffdword' });
    expect(login.status).toBe(401);
  });

  it('accepts the characters ÿÿ sent as valid UTF-8 (c3 bf c3 bf)', async () => {
    const response = await t.client.post('/api/register/', {
      email: `valid-${kind}@example.com`,
      password: 'pass\u00ff\u00ffword',
    });
    expect(response.status).toBe(201);
  });
});
