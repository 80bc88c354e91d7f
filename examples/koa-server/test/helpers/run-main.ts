/**
 * The entry point (src/main.ts) in a child process through tsx, so no build is needed: its
 * output, its exit, and the URL it logs once listening.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The koa-server package folder. */
export const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
/** tsx's loader by its URL, so that a child in any working directory finds it. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A running (or finished) entry point. */
export interface MainProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (`null` when a signal ended it). */
  exit: Promise<number | null>;
}

/** A started entry point, with the URL of its `listening` line. */
export interface StartedMain extends MainProcess {
  url: string;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<number | null>;
}

const running: ChildProcess[] = [];

/** Kills what is still running (for `afterAll`). */
export function killAll(): void {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Runs the entry point with exactly `env` (plus PATH and HOME): the tests' own environment
 * never leaks into the server's configuration.
 */
export function runMain(
  options: { env?: Record<string, string>; args?: string[]; cwd?: string } = {},
): MainProcess {
  const base = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    // Whatever the working directory, resolve the workspace packages as the package's tsconfig says.
    TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH ?? `${PACKAGE_DIR}tsconfig.json`,
  };
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...(options.args ?? [])], {
    cwd: options.cwd ?? PACKAGE_DIR,
    env: { ...base, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
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

/** Runs the entry point and waits for its `listening` line; rejects if it exits first. */
export async function startMain(
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<StartedMain> {
  const started = runMain(options);
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      for (const line of started.stdout().split('\n')) {
        if (line.includes('"msg":"listening"')) return resolve(JSON.parse(line).url);
      }
    };
    started.child.stdout?.on('data', check);
    started.exit.then((code) => reject(new Error(`exited ${code}: ${started.stderr()}${started.stdout()}`)));
  });
  const stop = () => {
    started.child.kill('SIGTERM');
    return started.exit;
  };
  return { ...started, url, stop };
}
