/**
 * The entry point as `npm start` runs it, in a child process (through tsx, so no build
 * is needed): `--help`, configuration from the environment, /healthz, private data files
 * and a graceful SIGTERM. Refusals to start are in startup-failures.test.ts.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES } from '../src/config.js';
import { createClient } from './helpers/http-client.js';
import { killAll, runMain, startMain } from './helpers/run-main.js';
import { makeTempDir } from './helpers/test-server.js';

const temp = makeTempDir();
afterAll(() => {
  killAll();
  temp.remove();
});

const start = (env: Record<string, string>) => startMain({ env });

const ADMIN = { ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'admin-password-1' };

describe('the entry point', () => {
  it('starts from the environment, serves /healthz and lets ADMIN_EMAIL log in as staff', async () => {
    const dir = join(temp.dir, 'first');
    const server = await start({ PORT: '0', DATABASE_URL: `sqlite://${dir}/auth.sqlite`, ...ADMIN });
    try {
      const client = createClient(server.url);
      expect((await client.get('/healthz')).body).toEqual({ status: 'ok' });
      const { access } = await client.login(ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD);
      expect((await client.get('/api/admin/settings/', { token: access })).status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
    }
  });

  it('exits 0 on SIGTERM after logging that it stopped', async () => {
    const server = await start({ PORT: '0', DATABASE_URL: 'memory://' });
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(server.stdout()).toContain('"msg":"stopped"');
  });

  it('finishes an in-flight request before exiting on SIGTERM', async () => {
    const server = await start({ PORT: '0', DATABASE_URL: 'memory://' });
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const body = JSON.stringify({ email: 'late@example.com', password: 'password' });
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk.toString();
    });
    const half = Math.floor(body.length / 2);
    socket.write(
      `POST /api/register/ HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
    );
    // Give the server a moment to parse the headers: the request is then in flight.
    await new Promise((resolve) => setTimeout(resolve, 500));
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write(body.slice(half));
    const code = await server.exit;
    socket.destroy();
    expect(response).toMatch(/^HTTP\/1\.1 201 Created/);
    expect(code).toBe(0);
  });

  it('without JWT_SECRET keeps a generated secret in a 0600 file beside the database and never logs it', async () => {
    const dir = join(temp.dir, 'secret');
    const server = await start({ PORT: '0', DATABASE_URL: `sqlite://${dir}/auth.sqlite` });
    server.child.kill('SIGTERM');
    await server.exit;
    const file = join(dir, 'jwt-secret');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(server.stdout()).toContain('JWT_SECRET is not set');
    expect(server.stdout()).not.toContain(secret);
  });
});

describe('the entry point with --help', () => {
  it.each(['--help', '-h'])('%s prints every environment variable and exits 0', async (flag) => {
    const cwd = join(temp.dir, `help${flag}`);
    mkdirSync(cwd);
    const result = runMain({ args: [flag], cwd });
    expect(await result.exit).toBe(0);
    for (const { name } of ENVIRONMENT_VARIABLES)
      expect(result.stdout()).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(result.stdout()).toMatch(/AUTO_MIGRATE +Apply pending SQL migrations at start.*Default: true\./s);
    expect(result.stderr()).toBe('');
  });

  it('creates no data folder and does not listen', async () => {
    const cwd = join(temp.dir, 'help-quiet');
    mkdirSync(cwd);
    const result = runMain({ args: ['--help'], cwd, env: { PORT: '0' } });
    expect(await result.exit).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
    expect(result.stdout()).not.toContain('"msg":"listening"');
  });
});

describe('the SQLite files', () => {
  it('are created private: the database and its -wal and -shm files are mode 0600 in a 0700 folder', async () => {
    const dir = join(temp.dir, 'private', 'data');
    const server = await start({ PORT: '0', DATABASE_URL: `sqlite://${dir}/auth.sqlite` });
    try {
      // A write, so that the write-ahead log and its index certainly exist.
      expect(
        (
          await createClient(server.url).post('/api/register/', {
            email: 'w@example.com',
            password: 'password',
          })
        ).status,
      ).toBe(201);
      const files = ['auth.sqlite', 'auth.sqlite-wal', 'auth.sqlite-shm'];
      const modes = files.map((name) => [name, (statSync(join(dir, name)).mode & 0o777).toString(8)]);
      expect(modes).toEqual(files.map((name) => [name, '600']));
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      await server.stop();
    }
  });
});
