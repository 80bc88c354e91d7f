/**
 * `npm start -w koa-server` as an operator runs it (from the repository root, over the built
 * `dist/`): a SIGTERM sent to the npm process must reach the server, which shuts down
 * gracefully, releases its port and exits with the whole process tree.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from './helpers/http-client.js';
import { makeTempDir } from './helpers/test-server.js';

const ROOT_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const BUILT_ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** Upper bound of every wait below: a liveness bound, not a timing assertion. */
const WAIT_LIMIT_MS = 30_000;

const temp = makeTempDir();
const started: { npm: ChildProcess; serverPid?: number }[] = [];
afterAll(() => {
  for (const { npm, serverPid } of started) {
    if (serverPid !== undefined && isAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
  }
  temp.remove();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: still waiting after ${WAIT_LIMIT_MS} ms`)),
      WAIT_LIMIT_MS,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  await within(
    (async () => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
    })(),
    what,
  );
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

describe('npm start -w koa-server', () => {
  it('stops the server when npm gets SIGTERM: graceful shutdown logged, port released, no process left', async () => {
    if (!existsSync(BUILT_ENTRY)) {
      throw new Error('dist/main.js is missing: run `npm run build` first (`npm test` does)');
    }
    const npm = spawn('npm', ['start', '-w', 'koa-server'], {
      cwd: ROOT_DIR,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite://${join(temp.dir, 'auth.sqlite')}`,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: { npm: ChildProcess; serverPid?: number } = { npm };
    started.push(run);
    let stdout = '';
    let stderr = '';
    npm.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    npm.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));

    const listening = await within(
      new Promise<{ url: string; pid: number }>((resolve, reject) => {
        const check = () => {
          const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
          if (line) resolve(JSON.parse(line) as { url: string; pid: number });
        };
        npm.stdout?.on('data', check);
        void exited.then((code) => reject(new Error(`npm exited ${code} before listening: ${stderr}`)));
      }),
      'the listening log line',
    );
    run.serverPid = listening.pid;
    expect(listening.pid).not.toBe(npm.pid);
    expect((await createClient(listening.url).get('/healthz')).body).toEqual({ status: 'ok' });

    npm.kill('SIGTERM');
    await within(exited, 'npm to exit');
    await until(async () => !(await answers(listening.url)), 'the port to stop answering');
    await until(() => !isAlive(listening.pid), 'the server process to exit');

    expect(await answers(listening.url)).toBe(false);
    expect(isAlive(listening.pid)).toBe(false);
    expect(stdout).toContain('"msg":"shutting down"');
    expect(stdout).toContain('"msg":"stopped"');
  });
});
