import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../helpers/clock.js';
import { makeTempDir, startTestServer, type TestServer } from '../helpers/test-server.js';

const temp = makeTempDir();
let second: TestServer;
let before: { id: number; refresh: string };

beforeAll(async () => {
  const clock = createClock();
  const first = await startTestServer({ dir: temp.dir, clock });
  const staff = await first.staffToken('keeper@example.com');
  before = await first.client.signUp('survivor@example.com');
  await first.client.put('/api/admin/settings/', { access_token_lifetime: 90 }, { token: staff });
  await first.close();
  second = await startTestServer({ dir: temp.dir, clock });
});

afterAll(async () => {
  await second?.close();
  temp.remove();
});

describe('after a restart on the same SQLite file', () => {
  it('a user registered before can log in', async () => {
    const login = await second.client.post('/api/login/', {
      email: 'survivor@example.com',
      password: 'password',
    });
    expect(login.status).toBe(200);
  });

  it('a session started before can refresh and read its profile', async () => {
    const refreshed = await second.client.post('/api/refresh/', { refresh_token: before.refresh });
    expect(refreshed.status).toBe(200);
    const me = await second.client.get('/api/me/', { token: refreshed.body.access_token });
    expect(me.body).toEqual({ id: before.id, username: '', email: 'survivor@example.com' });
  });

  it('a setting changed before is still in force', async () => {
    const { access } = await second.client.login('keeper@example.com', 'staff-password');
    const settings = await second.client.get('/api/admin/settings/', { token: access });
    expect(settings.body.access_token_lifetime).toBe(90);
    expect(settings.body.changed.access_token_lifetime).toBe(true);
  });
});
