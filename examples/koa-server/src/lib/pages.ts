/**
 * Where the HTML pages live, for both servers: which request path is which file, and the
 * redirects around them (`/` to the documentation, `/admin` and `/api/docs` to their
 * trailing-slash form).
 *
 * @module
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The swagger-ui-dist files the docs page uses (nothing else of the package is served). */
const SWAGGER_UI_FILES: ReadonlySet<string> = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-16x16.png',
  'favicon-32x32.png',
]);

/**
 * The folder of the installed swagger-ui-dist package.
 *
 * @returns Its absolute path.
 * @example
 * ```ts
 * swaggerUiDistDir(); // ".../node_modules/swagger-ui-dist"
 * ```
 */
export function swaggerUiDistDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

/** Where the page files are. */
export interface PageFolders {
  /** The folder holding `admin/` and `docs/`. */
  publicDir: string;
  /** The installed swagger-ui-dist folder. */
  swaggerUiDir: string;
  /** Serve the admin page (the node:http server, which has no admin API, does not). */
  admin: boolean;
}

/** What a GET of a page path answers: a redirect, or a file looked up in folders in order. */
export type PageRoute =
  | { kind: 'redirect'; status: 302 | 308; location: string }
  | { kind: 'file'; folders: readonly string[]; name: string };

/**
 * The page route of a GET (or HEAD) request path.
 *
 * @param path - The request path, still percent-encoded (an encoded slash stays inside a
 *   file name, which then matches no file).
 * @param search - The query string with its `?`, or `''`; kept by the slash redirects.
 * @param folders - Where the files are, and whether the admin page is served.
 * @returns The route, or `undefined` when the path is no page.
 * @example
 * ```ts
 * routePage('/', '', folders); // { kind: 'redirect', status: 302, location: '/api/docs/' }
 * routePage('/api/docs/', '', folders); // { kind: 'file', folders: ['<public>/docs'], name: 'index.html' }
 * ```
 */
export function routePage(path: string, search: string, folders: PageFolders): PageRoute | undefined {
  // The documentation is where a newcomer who opens the bare address should land.
  if (path === '/') return { kind: 'redirect', status: 302, location: '/api/docs/' };
  const docsDir = join(folders.publicDir, 'docs');
  const pages: [prefix: string, dir: string][] = [['/api/docs', docsDir]];
  if (folders.admin) pages.push(['/admin', join(folders.publicDir, 'admin')]);
  for (const [prefix, dir] of pages) {
    if (path === prefix) return { kind: 'redirect', status: 308, location: `${prefix}/${search}` };
    if (!path.startsWith(`${prefix}/`)) continue;
    const name = path.slice(prefix.length + 1) || 'index.html';
    if (name.includes('/')) return undefined;
    const extra = dir === docsDir && SWAGGER_UI_FILES.has(name) ? [folders.swaggerUiDir] : [];
    return { kind: 'file', folders: [dir, ...extra], name };
  }
  return undefined;
}
