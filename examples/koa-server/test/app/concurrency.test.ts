import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('concurrent requests over HTTP', () => {
  it('of one refresh token: exactly one refresh succeeds', async () => {
    const { refresh } = await t.client.signUp('racer@example.com');
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => t.client.post('/api/refresh/', { refresh_token: refresh })),
    );
    const statuses = responses.map((r) => r.status);
    expect(count(statuses, 200)).toBe(1);
    expect(count(statuses, 401)).toBe(11);
  });

  it('registering one email: exactly one registration succeeds, the others name the email', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.client.post('/api/register/', {
          email: i % 2 ? 'twin@example.com' : 'TWIN@example.com',
          password: 'password',
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(count(statuses, 201)).toBe(1);
    expect(count(statuses, 400)).toBe(11);
    for (const response of responses.filter((r) => r.status === 400)) {
      expect(response.body.errors).toEqual([
        { field: 'email', message: 'A user with this email already exists.' },
      ]);
    }
  });
});
