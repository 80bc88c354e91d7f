/**
 * Every kind of refusal to start, in a child process: one line on stderr naming the variable
 * or the cause (with a hint where one helps), exit code 1, and no JSON log line with a stack
 * trace. (Each variable's own checks are in config.test.ts; here one case per kind of failure.)
 */

import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { killAll, runMain } from './helpers/run-main.js';
import { makeTempDir } from './helpers/test-server.js';

const SECRET = 'startup-test-secret-of-at-least-32-bytes';
const temp = makeTempDir();
let busyPort: number;
let portHolder: Server;
let lockedFile: string;
let lockHolder: Database.Database;

beforeAll(async () => {
  portHolder = createServer();
  await new Promise<void>((resolve) => portHolder.listen(0, '127.0.0.1', resolve));
  busyPort = (portHolder.address() as { port: number }).port;
  // Another process's write transaction, as a migration or a backup tool would hold it.
  mkdirSync(join(temp.dir, 'locked'));
  lockedFile = join(temp.dir, 'locked', 'auth.sqlite');
  lockHolder = new Database(lockedFile);
  lockHolder.exec('CREATE TABLE held (x)');
  lockHolder.exec('BEGIN EXCLUSIVE');
});

afterAll(async () => {
  killAll();
  portHolder?.close();
  lockHolder?.close();
  temp.remove();
});

/** A runnable environment: memory store, a secret, a free port. Each case overrides some of it. */
const base = { PORT: '0', DATABASE_URL: 'memory://', JWT_SECRET: SECRET };

interface Case {
  what: string;
  env: () => Record<string, string>;
  args?: string[];
  line: () => string | RegExp;
}

const cases: Case[] = [
  {
    what: 'a PORT in use',
    env: () => ({ ...base, PORT: String(busyPort) }),
    line: () => `koa-server: PORT ${busyPort} is in use on 127.0.0.1; set PORT to a free port`,
  },
  {
    what: 'a database file another process holds',
    env: () => ({ ...base, DATABASE_URL: `sqlite://${lockedFile}` }),
    line: () =>
      `koa-server: DATABASE_URL sqlite://${lockedFile}: the database file is locked by another process; stop that process or set DATABASE_URL to another file`,
  },
  {
    what: 'a data folder that cannot be created',
    env: () => ({ ...base, DATABASE_URL: `sqlite://${join(temp.dir, 'locked', 'auth.sqlite', 'x.sqlite')}` }),
    line: () =>
      /^koa-server: DATABASE_URL sqlite:\/\/\S+: cannot create or open \S+: a part of the path is a file, not a folder; set DATABASE_URL to a file in a folder this user can write$/,
  },
  {
    what: 'an invalid ADMIN_EMAIL',
    env: () => ({ ...base, ADMIN_EMAIL: 'not-an-email', ADMIN_PASSWORD: 'admin-password-1' }),
    line: () => /^koa-server: invalid configuration: ADMIN_EMAIL: .+$/,
  },
  {
    what: 'a short ADMIN_PASSWORD',
    env: () => ({ ...base, ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'short' }),
    line: () => /^koa-server: invalid configuration: ADMIN_PASSWORD: .*8 characters.*$/,
  },
  {
    what: 'a HOST that is not a host name',
    env: () => ({ ...base, HOST: 'local host' }),
    line: () => 'koa-server: invalid configuration: HOST: must be a host name or an IP address',
  },
  {
    what: 'a HOST that is not an address of this machine',
    env: () => ({ ...base, HOST: '192.0.2.1' }),
    line: () =>
      'koa-server: HOST 192.0.2.1 is not an address of this machine; set HOST to 127.0.0.1, 0.0.0.0 or one of its addresses',
  },
  {
    what: 'a HOST that does not resolve',
    env: () => ({ ...base, HOST: 'no-such-host.invalid' }),
    line: () =>
      'koa-server: HOST no-such-host.invalid does not resolve to an address; set HOST to an IP address or a known name',
  },
  {
    what: 'an empty PORT',
    env: () => ({ ...base, PORT: '' }),
    line: () =>
      'koa-server: invalid configuration: PORT: is set but empty; unset it to use the default (8000) or give it a value',
  },
  {
    what: 'a PORT that is not a number',
    env: () => ({ ...base, PORT: 'http' }),
    line: () => 'koa-server: invalid configuration: PORT: must be an integer from 0 to 65535, got "http"',
  },
  {
    what: 'a fractional SQLITE_PURGE_INTERVAL',
    env: () => ({ ...base, SQLITE_PURGE_INTERVAL: '1.5' }),
    line: () =>
      'koa-server: invalid configuration: SQLITE_PURGE_INTERVAL: must be whole seconds from 0 to 86400, got "1.5"',
  },
  {
    what: 'production without JWT_SECRET',
    env: () => ({ PORT: '0', DATABASE_URL: 'memory://', NODE_ENV: 'production' }),
    line: () => /^koa-server: invalid configuration: JWT_SECRET: is required when NODE_ENV=production\. .+$/,
  },
  {
    what: 'a command-line argument',
    env: () => base,
    args: ['--port', '8080'],
    line: () =>
      'koa-server: unknown argument "--port": the server is configured by environment variables (PORT=8080 node dist/main.js); see --help',
  },
];

describe.concurrent('a start that fails', () => {
  it.for(cases)('on $what prints one line naming the cause and exits 1', async (c, { expect }) => {
    const result = runMain({ env: c.env(), ...(c.args ? { args: c.args } : {}) });
    expect(await result.exit).toBe(1);
    const expected = c.line();
    const stderr = result.stderr();
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    if (typeof expected === 'string') expect(stderr.trimEnd()).toBe(expected);
    else expect(stderr.trimEnd()).toMatch(expected);
    expect(result.stdout()).not.toMatch(/"level":(50|60)|"stack"/);
  });

  it('never echoes the ADMIN_PASSWORD it refuses', async ({ expect }) => {
    const result = runMain({ env: { ...base, ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'short' } });
    expect(await result.exit).toBe(1);
    expect(result.stderr() + result.stdout()).not.toContain('short"');
    expect(result.stderr() + result.stdout()).not.toMatch(/\bshort\b(?! )/);
  });
});
