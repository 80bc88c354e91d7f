/**
 * Starts and stops a real, throwaway `redis-server` on a free loopback port, for the
 * Redis store tests and the server's multi-process tests.
 *
 * Nothing is persisted (`--save ''`, `--appendonly no`, a temporary working directory
 * removed on stop). When `redis-server` is not installed, {@link startRedisServer} fails
 * with a message that says so: these tests are meant to run, not to be skipped.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcess } from './stop-process.js';

/** A running `redis-server` started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** The loopback port it listens on. */
  port: number;
  /** The server's process id (for CPU accounting in benchmarks). */
  pid: number | undefined;
  /** `redis://127.0.0.1:<port>/<db>` for database `db` (0 by default). */
  url(db?: number): string;
  /** Kills the server abruptly (SIGKILL) without removing its directory. */
  kill(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temporary directory. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * Starts `redis-server` on a free port of 127.0.0.1 and waits until it answers `PING`.
 *
 * @returns A handle to build URLs and stop the server.
 * @throws When `redis-server` is missing or does not become ready within 10 s.
 */
export async function startRedisServer(): Promise<RedisServerHandle> {
  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server is required by these tests but "${binary} --version" failed (${probe.error?.message ?? `exit ${probe.status}`}). ` +
        'Install it (for example the "redis-server" package of your distribution) or set REDIS_SERVER_BIN.',
    );
  }

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'token-auth-redis-'));
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    try {
      await waitForPing(port, child);
      return handle(port, dir, child);
    } catch (error) {
      lastError = new Error(
        `redis-server did not start on port ${port}: ${(error as Error).message}\n${output}`,
      );
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}

function handle(port: number, dir: string, child: ChildProcess): RedisServerHandle {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    port,
    pid: child.pid,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      await stopProcess(child, 3000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode}`);
    if (await pingOnce(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no PONG within ${READY_TIMEOUT_MS} ms`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}
