/**
 * Loads an optional peer dependency (a database driver) on first use, so that the package
 * root and the subpaths a user does not call never require it.
 *
 * @module
 */

import { ConfigError } from '../errors.js';

/**
 * Imports `name`, or fails with a message naming the package to install.
 *
 * @param name - The package, for example `'ioredis'`.
 * @param subpath - The token-auth entry that needs it, for the message (`'token-auth/redis'`).
 * @returns The module namespace.
 * @throws {@link ConfigError} `token-auth/redis needs the package "ioredis": npm install ioredis`
 *   when it is not installed; other load failures keep their cause.
 */
export async function loadPeer<T>(name: string, subpath: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new ConfigError(`${subpath} needs the package "${name}": npm install ${name}`, { cause: error });
    }
    throw error;
  }
}
