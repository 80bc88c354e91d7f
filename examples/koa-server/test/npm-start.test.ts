/**
 * `npm start` as an operator runs it, over the built `dist/`: a SIGTERM sent to the npm process
 * must reach the server, which shuts down gracefully, releases its port and exits with the whole
 * process tree; and the root `npm start` of a built, unchanged checkout starts the server
 * without rebuilding anything (it answers in about a second instead of after a 12-15 s build).
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from './helpers/http-client.js';
import { makeTempDir } from './helpers/test-server.js';

const ROOT_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const BUILT_ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const BUILD_SCRIPT = join(ROOT_DIR, 'scripts/build.mjs');
/** One built file of each workspace: a rebuild rewrites them. */
const BUILT_FILES = [
  BUILT_ENTRY,
  ...['score', 'token-auth'].map((p) => join(ROOT_DIR, 'packages', p, 'dist/index.js')),
];
/** Upper bound of every wait below: a liveness bound, not a timing assertion. */
const WAIT_LIMIT_MS = 30_000;

const temp = makeTempDir();
const started: { npm: ChildProcess; serverPid?: number }[] = [];
afterAll(() => {
  for (const { npm, serverPid } of started) {
    if (serverPid !== undefined && isAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
    // npm leads its own process group: this also reaches a server that never logged its pid.
    if (npm.pid !== undefined && isAlive(-npm.pid)) process.kill(-npm.pid, 'SIGKILL');
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

interface NpmRun {
  npm: ChildProcess;
  serverPid?: number;
  url: string;
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

/** Runs `npm <args>` from the repository root and waits for the server's listening line. */
async function startWithNpm(args: string[]): Promise<NpmRun> {
  const npm = spawn('npm', args, {
    cwd: ROOT_DIR,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite://${join(temp.dir, `auth-${started.length}.sqlite`)}`,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const entry: { npm: ChildProcess; serverPid?: number } = { npm };
  started.push(entry);
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
  entry.serverPid = listening.pid;
  return { ...entry, url: listening.url, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Sends SIGTERM to npm and waits until npm, the server and its port are gone. */
async function stop(run: NpmRun): Promise<void> {
  run.npm.kill('SIGTERM');
  await within(run.exited, 'npm to exit');
  await until(async () => !(await answers(run.url)), 'the port to stop answering');
  await until(() => run.serverPid === undefined || !isAlive(run.serverPid), 'the server process to exit');
}

describe('npm start', () => {
  it('-w koa-server stops the server when npm gets SIGTERM: graceful shutdown logged, port released, no process left', async () => {
    if (!existsSync(BUILT_ENTRY)) {
      throw new Error('dist/main.js is missing: run `npm run build` first (`npm test` does)');
    }
    const run = await startWithNpm(['start', '-w', 'koa-server']);
    expect(run.serverPid).not.toBe(run.npm.pid);
    expect((await createClient(run.url).get('/healthz')).body).toEqual({ status: 'ok' });

    await stop(run);

    expect(await answers(run.url)).toBe(false);
    expect(isAlive(run.serverPid ?? 0)).toBe(false);
    expect(run.stdout()).toContain('"msg":"shutting down"');
    expect(run.stdout()).toContain('"msg":"stopped"');
  });

  it('at the root of a built, unchanged checkout starts the server without rebuilding', async () => {
    // Precondition, not the behaviour under test: `npm test` builds before running the tests.
    try {
      execFileSync(process.execPath, [BUILD_SCRIPT, '--check'], { cwd: ROOT_DIR, stdio: 'pipe' });
    } catch (error) {
      throw new Error(`the checkout is not built: run \`npm run build\` first (\`npm test\` does)\n${error}`);
    }
    const builtAt = BUILT_FILES.map((file) => statSync(file).mtimeMs);

    const run = await startWithNpm(['start']);
    expect((await createClient(run.url).get('/healthz')).body).toEqual({ status: 'ok' });
    await stop(run);

    expect(run.stderr()).not.toMatch(/^build: /m);
    expect(BUILT_FILES.map((file) => statSync(file).mtimeMs)).toEqual(builtAt);
  });
});
