import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let t: TestServer;
let staff: string;
let n = 0;
const email = () => `admin-test${++n}@example.com`;
const DEFAULTS = { access_token_lifetime: 30, refresh_token_lifetime: 2_592_000 };

beforeAll(async () => {
  t = await startTestServer();
  staff = await t.staffToken('root@example.com');
});
afterAll(() => t.close());
beforeEach(async () => {
  // Every test starts from the defaults (a reset is itself a recorded change).
  const current = await t.client.get('/api/admin/settings/', {
    token: await t.staffToken('root@example.com'),
  });
  if (current.body.changed.access_token_lifetime || current.body.changed.refresh_token_lifetime) {
    await t.auth.updateSettings(
      { accessTokenTtlSeconds: 30, refreshTokenTtlSeconds: 2_592_000 },
      { userId: null },
    );
  }
  staff = await t.staffToken('root@example.com');
});

describe('GET /api/admin/settings/', () => {
  it('answers the lifetimes with their defaults, changed flags and bounds', async () => {
    const response = await t.client.get('/api/admin/settings/', { token: staff });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...DEFAULTS,
      defaults: DEFAULTS,
      changed: { access_token_lifetime: false, refresh_token_lifetime: false },
      bounds: {
        access_token_lifetime: { min: 1, max: 86_400 },
        refresh_token_lifetime: { min: 1, max: 31_536_000 },
      },
    });
  });

  it('answers 401 without a token', async () => {
    const response = await t.client.get('/api/admin/settings/');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('answers 403 to a user who is not staff', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.get('/api/admin/settings/', { token: access });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('forbidden');
  });

  it('answers 403 at once when the staff flag is removed, with the same token', async () => {
    const address = email();
    const token = await t.staffToken(address);
    const user = await t.store.getUserByEmailKey(address);
    await t.auth.setUserFlags(user?.id ?? 0, { isStaff: false });
    const response = await t.client.get('/api/admin/settings/', { token });
    expect(response.status).toBe(403);
  });
});

describe('PUT /api/admin/settings/', () => {
  it('changes one lifetime and marks it changed', async () => {
    const response = await t.client.put(
      '/api/admin/settings/',
      { access_token_lifetime: 120 },
      { token: staff },
    );
    expect(response.status).toBe(200);
    expect(response.body.access_token_lifetime).toBe(120);
    expect(response.body.refresh_token_lifetime).toBe(2_592_000);
    expect(response.body.changed).toEqual({ access_token_lifetime: true, refresh_token_lifetime: false });
  });

  it('applies a new access lifetime to tokens issued after the change', async () => {
    await t.client.put('/api/admin/settings/', { access_token_lifetime: 2 }, { token: staff });
    const { access } = await t.client.signUp(email());
    const claims = decodeJwt(access);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(2);
  });

  it('leaves tokens issued before the change with their lifetime', async () => {
    const { access } = await t.client.signUp(email());
    await t.client.put('/api/admin/settings/', { access_token_lifetime: 2 }, { token: staff });
    t.clock.advance(5_000);
    const response = await t.client.get('/api/me/', { token: access });
    expect(response.status).toBe(200);
  });

  it('applies a new refresh lifetime to refresh tokens issued after the change', async () => {
    await t.client.put('/api/admin/settings/', { refresh_token_lifetime: 60 }, { token: staff });
    const { refresh } = await t.client.signUp(email());
    t.clock.advance(61_000);
    const response = await t.client.post('/api/refresh/', { refresh_token: refresh });
    expect(response.status).toBe(401);
  });

  it('rejects a value above the bound, naming the field', async () => {
    const response = await t.client.put(
      '/api/admin/settings/',
      { access_token_lifetime: 86_401 },
      { token: staff },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'access_token_lifetime', message: 'Ensure this value is less than or equal to 86400.' },
    ]);
  });

  it('rejects zero, naming the field', async () => {
    const response = await t.client.put(
      '/api/admin/settings/',
      { refresh_token_lifetime: 0 },
      { token: staff },
    );
    expect(response.body.errors).toEqual([
      { field: 'refresh_token_lifetime', message: 'Ensure this value is greater than or equal to 1.' },
    ]);
  });

  it('rejects a fractional number of seconds', async () => {
    const response = await t.client.put(
      '/api/admin/settings/',
      { access_token_lifetime: 1.5 },
      { token: staff },
    );
    expect(response.body.errors).toEqual([
      { field: 'access_token_lifetime', message: 'Must be an integer.' },
    ]);
  });

  it('rejects a number sent as a string', async () => {
    const response = await t.client.put(
      '/api/admin/settings/',
      { access_token_lifetime: '60' },
      { token: staff },
    );
    expect(response.body.errors).toEqual([
      { field: 'access_token_lifetime', message: 'Must be an integer.' },
    ]);
  });

  it('rejects an unknown setting by name', async () => {
    const response = await t.client.put('/api/admin/settings/', { session_lifetime: 60 }, { token: staff });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['session_lifetime']);
  });

  it('rejects an empty body', async () => {
    const response = await t.client.put('/api/admin/settings/', {}, { token: staff });
    expect(response.status).toBe(400);
  });

  it('answers 403 to a user who is not staff, and changes nothing', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.put(
      '/api/admin/settings/',
      { access_token_lifetime: 5 },
      { token: access },
    );
    expect(response.status).toBe(403);
    expect((await t.auth.getSettings()).values.accessTokenTtlSeconds).toBe(30);
  });
});

describe('GET /api/admin/settings/history/', () => {
  it('lists a change with who, when, the setting, the old and the new value', async () => {
    const before = t.clock.now();
    await t.client.put('/api/admin/settings/', { access_token_lifetime: 45 }, { token: staff });
    const response = await t.client.get('/api/admin/settings/history/', { token: staff });
    expect(response.status).toBe(200);
    const root = await t.store.getUserByEmailKey('root@example.com');
    expect(response.body.history[0]).toEqual({
      setting: 'access_token_lifetime',
      old_value: 30,
      new_value: 45,
      changed_at: new Date(before).toISOString(),
      changed_by: { id: root?.id, email: 'root@example.com' },
    });
  });

  it('lists newest first and honours limit', async () => {
    await t.client.put('/api/admin/settings/', { access_token_lifetime: 40 }, { token: staff });
    t.clock.advance(1000);
    await t.client.put('/api/admin/settings/', { access_token_lifetime: 50 }, { token: staff });
    const response = await t.client.get('/api/admin/settings/history/?limit=1', { token: staff });
    expect(response.body.history).toHaveLength(1);
    expect(response.body.history[0].new_value).toBe(50);
  });

  it('still names a staff user who changed a setting and was deactivated since', async () => {
    const former = await t.staffToken('former@example.com');
    await t.client.put('/api/admin/settings/', { access_token_lifetime: 33 }, { token: former });
    const formerUser = await t.store.getUserByEmailKey('former@example.com');
    await t.auth.setUserFlags(formerUser?.id ?? 0, { isActive: false });
    const response = await t.client.get('/api/admin/settings/history/', { token: staff });
    expect(response.status).toBe(200);
    expect(response.body.history[0].changed_by).toEqual({ id: formerUser?.id, email: 'former@example.com' });
  });

  it('shows a system change with changed_by null', async () => {
    await t.auth.updateSettings({ refreshTokenTtlSeconds: 3600 }, { userId: null });
    const response = await t.client.get('/api/admin/settings/history/', { token: staff });
    expect(response.body.history[0]).toMatchObject({ setting: 'refresh_token_lifetime', changed_by: null });
  });

  it('rejects a limit out of range, naming it', async () => {
    const response = await t.client.get('/api/admin/settings/history/?limit=0', { token: staff });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(['limit']);
  });

  it('answers 403 to a user who is not staff', async () => {
    const { access } = await t.client.signUp(email());
    const response = await t.client.get('/api/admin/settings/history/', { token: access });
    expect(response.status).toBe(403);
  });
});
