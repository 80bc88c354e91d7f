/**
 * Where the access-token signing secret comes from: `JWT_SECRET`, or (outside
 * production) a random secret generated once and kept in a file beside the database.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigEnvError, MIN_SECRET_BYTES } from './config.js';

/** Name of the generated secret's file, in the database's folder. */
export const SECRET_FILE_NAME = 'jwt-secret';

/** The secret and where it came from (never log `secret`). */
export interface ResolvedSecret {
  /** The secret. */
  secret: string;
  /** `env`: JWT_SECRET; `file`: read from an earlier start; `generated`: created now; `ephemeral`: in memory only. */
  source: 'env' | 'file' | 'generated' | 'ephemeral';
  /** The file, for `file` and `generated`. */
  file?: string;
}

/**
 * Resolves the signing secret. With `JWT_SECRET` set, that. Otherwise, with a data
 * folder, the secret in `<dataDir>/jwt-secret`, generated (48 random bytes, base64url,
 * mode 0600) on first start; without one (a memory store), an ephemeral secret.
 *
 * @param options - The configured secret and the data folder.
 * @returns The secret and its source.
 * @throws {@link ConfigEnvError} naming `JWT_SECRET` when the kept file is unreadable or too short.
 * @example
 * ```ts
 * const { secret, source } = resolveJwtSecret({ configured: process.env.JWT_SECRET, dataDir: './data' });
 * ```
 */
export function resolveJwtSecret(options: {
  configured: string | undefined;
  dataDir: string | undefined;
}): ResolvedSecret {
  if (options.configured !== undefined) return { secret: options.configured, source: 'env' };
  const generated = randomBytes(48).toString('base64url');
  if (options.dataDir === undefined) return { secret: generated, source: 'ephemeral' };

  const file = join(options.dataDir, SECRET_FILE_NAME);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // Written whole to a private temporary file, then linked to its name: a link never
  // overwrites, so of several first starts racing (workers of one cluster) exactly one
  // secret wins, and no process can read a file that is still being written.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(draft, `${generated}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(draft, file);
    return { secret: generated, source: 'generated', file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigEnvError('JWT_SECRET', `is not set and the secret file ${file} cannot be created`);
    }
  } finally {
    rmSync(draft, { force: true });
  }
  let kept: string;
  try {
    kept = readFileSync(file, 'utf8').trim();
    chmodSync(file, 0o600);
  } catch {
    throw new ConfigEnvError('JWT_SECRET', `is not set and the secret file ${file} cannot be read`);
  }
  if (Buffer.byteLength(kept, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigEnvError(
      'JWT_SECRET',
      `is not set and the secret in ${file} is too short; delete the file to generate a new one`,
    );
  }
  return { secret: kept, source: 'file', file };
}
