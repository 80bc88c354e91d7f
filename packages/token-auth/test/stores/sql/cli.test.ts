import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SQL_SCHEMA_VERSION } from '../../../src/stores/sql/index.js';
import { runBin } from './processes.js';
import { tempDir, usePostgres } from './use-databases.js';

const postgres = usePostgres();
const removals: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const remove of removals) await remove();
});

async function sqliteUrl(): Promise<string> {
  const { dir, remove } = await tempDir();
  removals.push(remove);
  return `sqlite://${join(dir, 'auth.sqlite')}`;
}

// Every case spawns the bin, a Node process of its own: allow for a loaded machine.
const SLOW = 60_000;

describe('the token-auth bin', () => {
  it(
    '--help prints the usage and exits 0',
    async () => {
      const { status, stdout } = await runBin(['--help']);
      expect(status).toBe(0);
      expect(stdout).toContain('Usage: token-auth migrate <up|status> [--url URL]');
    },
    SLOW,
  );

  it.each([
    ['no command', [], /a command is required/],
    ['an unknown command', ['migrate', 'down'], /unknown command "migrate down"/],
    ['an unknown option', ['migrate', 'up', '--force'], /Unknown option '--force'/],
    ['no database', ['migrate', 'status'], /pass --url URL or set DATABASE_URL/],
    [
      'a URL of another database',
      ['migrate', 'up', '--url', 'mysql://root:hunter2@db/app'],
      /must start with postgres/,
    ],
  ])(
    'exits 2 with a message on stderr for %s',
    async (_, args, message) => {
      const { status, stderr } = await runBin(args);
      expect(status).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr).not.toContain('hunter2');
    },
    SLOW,
  );

  it(
    'migrate status of a new SQLite file lists the pending migrations, exits 3 and creates no file',
    async () => {
      const url = await sqliteUrl();
      const { status, stdout } = await runBin(['migrate', 'status', '--url', url]);
      expect(status).toBe(3);
      expect(stdout).toContain(`schema version: 0 (this token-auth needs ${SQL_SCHEMA_VERSION})`);
      expect(stdout).toContain('pending migrations:');
      expect(existsSync(url.slice('sqlite://'.length))).toBe(false);
    },
    SLOW,
  );

  it(
    'migrate up applies the migrations and exits 0; migrate status then exits 0',
    async () => {
      const url = await sqliteUrl();
      const up = await runBin(['migrate', 'up', '--url', url]);
      expect(up.status).toBe(0);
      expect(up.stdout).toContain(`applied ${SQL_SCHEMA_VERSION}:`);
      const status = await runBin(['migrate', 'status', '--url', url]);
      expect([status.status, status.stdout.includes('up to date')]).toEqual([0, true]);
    },
    SLOW,
  );

  it(
    'takes the database from DATABASE_URL when --url is absent',
    async () => {
      const url = await sqliteUrl();
      const { status, stdout } = await runBin(['migrate', 'up'], { DATABASE_URL: url });
      expect(status).toBe(0);
      expect(stdout).toContain(`database: ${url}`);
    },
    SLOW,
  );

  it(
    'migrates PostgreSQL and prints the database without its user name and password',
    async () => {
      const url = (await postgres.schema()).url;
      const { status, stdout, stderr } = await runBin(['migrate', 'up', '--url', url]);
      expect(status).toBe(0);
      expect(stdout).toContain(`database: postgres://127.0.0.1:${postgres.server.port}/postgres\n`);
      expect(stdout + stderr).not.toContain(postgres.server.password);
    },
    SLOW,
  );

  it(
    'exits 1 when the server refuses the password, without printing it',
    async () => {
      const url = postgres.server.url().replace(postgres.server.password, 'not-the-password');
      const { status, stdout, stderr } = await runBin(['migrate', 'status', '--url', url]);
      expect(status).toBe(1);
      expect(stderr).toMatch(/password authentication failed/);
      expect(stdout + stderr).not.toContain('not-the-password');
    },
    SLOW,
  );
});
