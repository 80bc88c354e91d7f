/**
 * Starts and stops a real, throwaway PostgreSQL server on a free loopback port, for the SQL
 * store tests and benchmarks.
 *
 * `initdb` creates a cluster in a temporary directory (removed on stop); the server listens
 * on 127.0.0.1 only, with its Unix socket in that directory, and password (SCRAM)
 * authentication over TCP, so URLs carry a real password. PostgreSQL refuses to run as root:
 * when the tests run as root, the server programs run as the `postgres` system user through
 * `runuser`, and the directory is handed to that user.
 *
 * The programs are found in `$POSTGRES_BIN_DIR`, else `pg_config --bindir`, else the newest
 * `/usr/lib/postgresql/<version>/bin` (the Debian layout), else on the `PATH`. When none is
 * there, {@link startPostgresServer} fails with a message that says so: these tests are meant
 * to run, not to be skipped.
 */

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

/** A running PostgreSQL server started by {@link startPostgresServer}. */
export interface PostgresServerHandle {
  /** The loopback port it listens on. */
  port: number;
  /** The postmaster's process id (for CPU accounting in benchmarks). */
  pid: number | undefined;
  /** The superuser's name. */
  user: string;
  /** The superuser's password (random per server). */
  password: string;
  /**
   * `postgres://user:password@127.0.0.1:<port>/<database>`, optionally with a `search_path`
   * so that unqualified tables live in one schema.
   */
  url(database?: string, options?: { searchPath?: string | undefined }): string;
  /** Stops the server (immediate shutdown) and removes its temporary directory. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgresServer}. */
export interface PostgresServerOptions {
  /**
   * Keep PostgreSQL's durability settings (`fsync`, `synchronous_commit`). Off by default:
   * a throwaway test cluster needs no durability; benchmarks turn it on.
   */
  durable?: boolean | undefined;
}

const USER = 'postgres';

/**
 * Creates a cluster in a temporary directory and starts PostgreSQL on a free port of
 * 127.0.0.1, waiting until it accepts connections.
 *
 * @param options - See {@link PostgresServerOptions}.
 * @returns A handle to build URLs and stop the server.
 * @throws When the PostgreSQL programs are missing or the server does not start.
 */
export async function startPostgresServer(
  options: PostgresServerOptions = {},
): Promise<PostgresServerHandle> {
  const bin = findBinDir();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? systemUser(USER) : undefined;
  const run = (program: string, args: string[]) => {
    const command = join(bin, program);
    const result = asRoot
      ? spawnSync('runuser', ['-u', USER, '--', command, ...args], { encoding: 'utf8' })
      : spawnSync(command, args, { encoding: 'utf8' });
    if (result.error || result.status !== 0) {
      throw new Error(
        `${program} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`,
      );
    }
  };

  const dir = await mkdtemp(join(tmpdir(), 'token-auth-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  try {
    await writeFile(join(dir, 'password'), `${password}\n`, { mode: 0o600 });
    if (owner) {
      chownSync(dir, owner.uid, owner.gid);
      chownSync(join(dir, 'password'), owner.uid, owner.gid);
    }
    chmodSync(dir, 0o700);
    run('initdb', [
      '-D',
      data,
      '-U',
      USER,
      `--pwfile=${join(dir, 'password')}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const settings = options.durable
    ? []
    : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'];
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      run('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '30',
        '-o',
        [`-p ${port}`, "-h '127.0.0.1'", `-k '${dir}'`, '-c max_connections=200', ...settings].join(' '),
        'start',
      ]);
    } catch (error) {
      lastError = new Error(
        `PostgreSQL did not start on port ${port}: ${(error as Error).message}\n${serverLog(dir)}`,
      );
      continue;
    }
    const stopSync = () => {
      spawnSync(...commandLine(asRoot, join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']));
    };
    // A test worker that dies without `stop()` must not leave a server behind.
    process.once('exit', stopSync);
    return {
      port,
      pid: postmasterPid(data),
      user: USER,
      password,
      url(database = 'postgres', urlOptions = {}) {
        const query = urlOptions.searchPath
          ? `?options=${encodeURIComponent(`-c search_path=${urlOptions.searchPath}`)}`
          : '';
        return `postgres://${USER}:${password}@127.0.0.1:${port}/${database}${query}`;
      },
      async stop() {
        process.removeListener('exit', stopSync);
        await new Promise<void>((resolve) => {
          const [command, args] = commandLine(asRoot, join(bin, 'pg_ctl'), [
            '-D',
            data,
            '-m',
            'immediate',
            '-w',
            'stop',
          ]);
          spawn(command, args, { stdio: 'ignore' }).once('exit', () => resolve());
        });
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

function commandLine(asRoot: boolean, command: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', USER, '--', command, ...args]] : [command, args];
}

/** The directory holding `initdb`, `pg_ctl` and `postgres`. */
function findBinDir(): string {
  const candidates: string[] = [];
  if (process.env.POSTGRES_BIN_DIR) candidates.push(process.env.POSTGRES_BIN_DIR);
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (found) return found;
  const onPath = spawnSync('initdb', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) {
    const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
    return join(which.stdout.trim(), '..');
  }
  throw new Error(
    'PostgreSQL server programs (initdb, pg_ctl) are required by these tests but were not found. ' +
      'Install PostgreSQL (for example the "postgresql" package of your distribution) or set POSTGRES_BIN_DIR.',
  );
}

function systemUser(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(`PostgreSQL refuses to run as root and there is no "${name}" user to run it as`);
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function serverLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').slice(-4000);
  } catch {
    return '';
  }
}
