/**
 * Real OS processes for the SQL store tests: the `token-auth` bin, and groups of store
 * processes released at once to race on one database.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
const RACE_CHILD = fileURLToPath(new URL('./race-child.ts', import.meta.url));

/** What a finished process printed, and its exit status. */
export interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns a TypeScript file with Node (through tsx) from the package directory. */
function spawnTs(file: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const { DATABASE_URL: _, ...inherited } = process.env;
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: PACKAGE_DIR,
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Starts the `token-auth` bin (its TypeScript source) in a process of its own.
 *
 * @param args - The command line after `token-auth`.
 * @param env - Extra environment (DATABASE_URL is not inherited).
 * @returns The process, and a promise of what it printed and its status.
 */
export function startBin(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawnTs(BIN, args, env);
  child.stdin?.end();
  return { child, done: collect(child) };
}

/**
 * Runs the `token-auth` bin to its end.
 *
 * @param args - The command line after `token-auth`.
 * @param env - Extra environment (DATABASE_URL is not inherited).
 * @returns What it printed and its exit status.
 */
export function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return startBin(args, env).done;
}

/** A store call for one racing process (see race-child.ts). */
export type RaceTask =
  | { url: string; call: 'rotate'; hash: string; now: number }
  | { url: string; call: 'createUser'; email: string };

/**
 * Starts one process per task, waits until every one has opened its store, then releases
 * them together and returns each call's outcome (`rotated`, `parent`, `created`,
 * `email_taken`, …).
 *
 * @param tasks - One task per process.
 * @returns The outcomes, in task order.
 */
export async function race(tasks: RaceTask[]): Promise<string[]> {
  const children = tasks.map((task) => spawnTs(RACE_CHILD, [JSON.stringify(task)]));
  const finished = children.map(collect);
  try {
    await Promise.all(children.map((child, i) => ready(child, finished[i] as Promise<Finished>)));
    for (const child of children) child.stdin?.write('go\n');
    const results = await Promise.all(finished);
    return results.map((result, i) => {
      const line = result.stdout.split('\n').find((text) => text.startsWith('{'));
      if (result.status !== 0 || !line)
        throw new Error(`process ${i} failed (${result.status}): ${result.stderr}`);
      return (JSON.parse(line) as { outcome: string }).outcome;
    });
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Resolves once `child` printed `ready`; rejects with its stderr if it exits first. */
function ready(child: ChildProcess, finished: Promise<Finished>): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (!seen.includes('ready\n')) return;
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      resolve();
    };
    const onExit = () => {
      finished.then(
        ({ stderr }) => reject(new Error(`a process exited before it was ready: ${stderr}`)),
        reject,
      );
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}
