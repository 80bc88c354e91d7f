/**
 * The entry point as `npm start` runs it, in a child process (through tsx, so no build
 * is needed): configuration from the environment, /healthz, and a graceful SIGTERM.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from './helpers/http-client.js';
import { makeTempDir } from './helpers/test-server.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const temp = makeTempDir();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  temp.remove();
});

interface Started {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  exit: Promise<number | null>;
}

function run(env: Record<string, string>): {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PACKAGE_DIR,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function start(env: Record<string, string>): Promise<Started> {
  const started = run(env);
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      for (const line of started.stdout().split('\n')) {
        if (line.includes('"msg":"listening"')) return resolve(JSON.parse(line).url);
      }
    };
    started.child.stdout?.on('data', check);
    started.exit.then((code) => reject(new Error(`exited ${code}: ${started.stderr()}${started.stdout()}`)));
  });
  return { child: started.child, url, stdout: started.stdout, exit: started.exit };
}

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

  it('refuses to start in production without JWT_SECRET: exit 1 and a message naming it', async () => {
    const result = run({ NODE_ENV: 'production', PORT: '0', DATABASE_URL: 'memory://' });
    expect(await result.exit).toBe(1);
    expect(result.stderr()).toContain('JWT_SECRET: is required when NODE_ENV=production');
  });

  it('refuses an invalid PORT: exit 1 and a message naming it', async () => {
    const result = run({ PORT: 'http', DATABASE_URL: 'memory://' });
    expect(await result.exit).toBe(1);
    expect(result.stderr()).toContain('invalid configuration: PORT');
  });

  it('refuses an ADMIN_PASSWORD the core rejects: exit 1 naming ADMIN_PASSWORD', async () => {
    const result = run({
      PORT: '0',
      DATABASE_URL: 'memory://',
      ADMIN_EMAIL: 'a@example.com',
      ADMIN_PASSWORD: 'short',
    });
    expect(await result.exit).toBe(1);
    expect(result.stdout()).toContain('ADMIN_PASSWORD');
    expect(result.stdout()).not.toContain('"short"');
  });
});
