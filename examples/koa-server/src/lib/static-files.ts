/**
 * Serving files from a folder: path confinement and content types.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

/** Content type by extension (a `Map`: the extension comes from the request path). */
const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.json', 'application/json; charset=utf-8'],
  ['.png', 'image/png'],
  ['.svg', 'image/svg+xml'],
  ['.ico', 'image/x-icon'],
]);

/** Only plain file names: no folders, no dot files, no traversal. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A file that may be served. */
export interface StaticFile {
  /** Absolute path. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** The Content-Type to send. */
  contentType: string;
  /** Last modification time. */
  modified: Date;
}

/**
 * Finds a servable file by name in the first folder that has it.
 *
 * @param folders - Absolute folders, searched in order.
 * @param name - A plain file name (e.g. `admin.js`); anything with a slash, a leading dot
 *   or an unknown extension is refused.
 * @returns The file, or `undefined` when there is no such servable file.
 * @example
 * ```ts
 * await findStaticFile(['/srv/public/admin'], 'admin.css');
 * ```
 */
export async function findStaticFile(
  folders: readonly string[],
  name: string,
): Promise<StaticFile | undefined> {
  if (!SAFE_NAME.test(name) || name.includes('..')) return undefined;
  const contentType = CONTENT_TYPES.get(extname(name).toLowerCase());
  if (!contentType) return undefined;
  for (const folder of folders) {
    const root = resolve(folder);
    const path = resolve(root, name);
    if (!path.startsWith(root + sep)) continue;
    try {
      const info = await stat(path);
      if (info.isFile()) return { path, size: info.size, contentType, modified: info.mtime };
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
