import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../../src/stores/sql/cli.js';
import { SQL_SCHEMA_VERSION } from '../../../src/stores/sql/index.js';
import { tempDir } from './use-databases.js';

/** Runs the command in-process with captured output (the bin tests run it as a child). */
async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { status, stdout, stderr };
}

async function sqliteUrl(): Promise<string> {
  const { dir } = await tempDir();
  return `sqlite://${join(dir, 'auth.sqlite')}`;
}

describe('runCli (the token-auth command, in-process)', () => {
  it.each([['--help'], ['-h'], ['migrate', '--help']])(
    'prints the usage for %s and exits 0',
    async (...args) => {
      const { status, stdout } = await cli(args);
      expect(status).toBe(EXIT.ok);
      expect(stdout).toContain('Usage: token-auth migrate <up|status> [--url URL]');
    },
  );

  it.each([[['migrate']], [['migrate', 'down']], [['serve']], [['migrate', 'up', '--nope']]])(
    'refuses the command line %j with the usage and exit 2',
    async (args) => {
      const { status, stderr } = await cli(args);
      expect(status).toBe(EXIT.usage);
      expect(stderr).toContain('Usage:');
    },
  );

  it('exits 2 naming --url and DATABASE_URL when no database is given', async () => {
    const { status, stderr } = await cli(['migrate', 'up']);
    expect(status).toBe(EXIT.usage);
    expect(stderr).toContain('pass --url URL or set DATABASE_URL');
  });

  it('exits 2 for a URL of another database, without echoing it', async () => {
    const { status, stderr } = await cli(['migrate', 'up', '--url', 'mysql://root:hunter2@db/app']);
    expect(status).toBe(EXIT.usage);
    expect(stderr).not.toContain('hunter2');
  });

  it('reports pending migrations with exit 3, applies them, then reports none with exit 0', async () => {
    const url = await sqliteUrl();
    expect((await cli(['migrate', 'status', '--url', url])).status).toBe(EXIT.pending);
    const up = await cli(['migrate', 'up', '--url', url]);
    expect(up.status).toBe(EXIT.ok);
    expect(up.stdout).toContain(`applied ${SQL_SCHEMA_VERSION}:`);
    expect((await cli(['migrate', 'up', '--url', url])).stdout).toContain('nothing to apply');
    expect((await cli(['migrate', 'status'], { DATABASE_URL: url })).status).toBe(EXIT.ok);
  });

  it('exits 1 when the database cannot be reached, without printing its password', async () => {
    const { status, stderr, stdout } = await cli([
      'migrate',
      'status',
      '--url',
      'postgres://app:s3cret-pass@127.0.0.1:1/app',
    ]);
    expect(status).toBe(EXIT.failed);
    expect(stdout + stderr).not.toContain('s3cret-pass');
  });
});
