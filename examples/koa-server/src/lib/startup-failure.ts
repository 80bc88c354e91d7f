/**
 * Why the server could not start, as one line for an operator: the variable or the cause,
 * and what to do about it. No stack trace, no secret.
 *
 * @module
 */

import { ConfigEnvError, type ServerConfig } from '../config.js';
import { redactDatabaseUrl } from './redact-url.js';

/** The errno codes of a failed `listen`, and what each means for `PORT` and `HOST`. */
const LISTEN_FAILURES: ReadonlyMap<string, (config: Pick<ServerConfig, 'port' | 'host'>) => string> = new Map(
  [
    [
      'EADDRINUSE',
      (c: Pick<ServerConfig, 'port' | 'host'>) =>
        `PORT ${c.port} is in use on ${c.host}; set PORT to a free port`,
    ],
    [
      'EACCES',
      (c: Pick<ServerConfig, 'port' | 'host'>) =>
        `PORT ${c.port} needs privileges this process lacks; set PORT to 1024 or above (or 0 for any free port)`,
    ],
    [
      'EADDRNOTAVAIL',
      (c: Pick<ServerConfig, 'port' | 'host'>) =>
        `HOST ${c.host} is not an address of this machine; set HOST to 127.0.0.1, 0.0.0.0 or one of its addresses`,
    ],
    [
      'ENOTFOUND',
      (c: Pick<ServerConfig, 'port' | 'host'>) =>
        `HOST ${c.host} does not resolve to an address; set HOST to an IP address or a known name`,
    ],
    [
      'EAI_AGAIN',
      (c: Pick<ServerConfig, 'port' | 'host'>) =>
        `HOST ${c.host} could not be resolved (name service unavailable); set HOST to an IP address`,
    ],
  ],
);

/** The errno codes of a data folder or file that cannot be created, in words. */
const FILE_FAILURES: ReadonlyMap<string, string> = new Map([
  ['EACCES', 'permission denied'],
  ['EPERM', 'permission denied'],
  ['ENOTDIR', 'a part of the path is a file, not a folder'],
  ['EROFS', 'the file system is read-only'],
  ['EISDIR', 'it is a folder'],
  ['ENOSPC', 'no space left on the device'],
]);

/**
 * The one line that says why the start failed (without the program name).
 *
 * @param error - What `startServer` (or the steps before it) threw.
 * @param config - The configuration it started from (for the port, host and database), when
 *   it was read.
 * @returns e.g. `"PORT 8000 is in use on 127.0.0.1; set PORT to a free port"`.
 * @example
 * ```ts
 * process.stderr.write(`koa-server: ${describeStartupFailure(error, config)}\n`);
 * ```
 */
export function describeStartupFailure(error: unknown, config: ServerConfig | undefined): string {
  if (error instanceof ConfigEnvError) return `invalid configuration: ${error.message}`;
  const chain = causeChain(error);
  const messages = [...new Set(chain.map(messageOf).filter((m) => m !== ''))];
  const unknown = `cannot start: ${messages.join(': ') || 'unknown error'} (LOG_LEVEL=debug logs the stack)`;
  if (config === undefined) return unknown;
  for (const link of chain) {
    const code = codeOf(link);
    const listen = code === undefined ? undefined : LISTEN_FAILURES.get(code);
    if (listen && isListenError(link, config.host)) return listen(config);
  }
  const database = redactDatabaseUrl(config.databaseUrl);
  if (chain.some(isLockError)) {
    return `DATABASE_URL ${database}: the database file is locked by another process; stop that process or set DATABASE_URL to another file`;
  }
  const file = chain.find((link) => typeof (link as { path?: unknown } | null)?.path === 'string');
  // mkdir -p meeting a file on the way reports EEXIST.
  const fileCode =
    codeOf(file) === 'EEXIST' && (file as { syscall?: unknown }).syscall === 'mkdir'
      ? 'ENOTDIR'
      : codeOf(file);
  if (file !== undefined && fileCode !== undefined && FILE_FAILURES.has(fileCode)) {
    const path = (file as { path: string }).path;
    return `DATABASE_URL ${database}: cannot create or open ${path}: ${FILE_FAILURES.get(fileCode)}; set DATABASE_URL to a file in a folder this user can write`;
  }
  return unknown;
}

/** The error and its causes, outermost first (at most 8, so a cycle cannot loop). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let link: unknown = error;
  while (link !== undefined && link !== null && chain.length < 8 && !chain.includes(link)) {
    chain.push(link);
    link = (link as { cause?: unknown }).cause;
  }
  return chain;
}

function codeOf(link: unknown): string | undefined {
  const code = (link as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(link: unknown): string {
  const text = link instanceof Error ? link.message : String(link);
  // One line: a driver's multi-line message keeps its first line.
  return (text.split('\n')[0] ?? '').trim();
}

/**
 * A failed `listen` carries `syscall: 'listen'`, or `getaddrinfo` naming HOST when HOST does
 * not resolve (a store's client failing to resolve its own host is not HOST's fault).
 */
function isListenError(link: unknown, host: string): boolean {
  const { syscall, hostname } = (link ?? {}) as { syscall?: unknown; hostname?: unknown };
  return syscall === 'listen' || (syscall === 'getaddrinfo' && hostname === host);
}

/** SQLite's "database is locked" (`SQLITE_BUSY`, `SQLITE_LOCKED`), from any driver. */
function isLockError(link: unknown): boolean {
  const code = codeOf(link) ?? '';
  return (
    code.startsWith('SQLITE_BUSY') ||
    code.startsWith('SQLITE_LOCKED') ||
    /database is locked|in use by another process/i.test(messageOf(link))
  );
}
