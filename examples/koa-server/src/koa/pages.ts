/**
 * The HTML pages: the admin page (/admin/) and the API documentation (/api/docs/,
 * Swagger UI from the local swagger-ui-dist package), and `/` redirecting to the
 * documentation. No CDN, no build step. The path table is shared with the node:http server
 * (src/lib/pages.ts).
 *
 * @module
 */

import { createReadStream } from 'node:fs';
import type { Middleware } from 'koa';
import { routePage } from '../lib/pages.js';
import { findStaticFile } from '../lib/static-files.js';
import type { AppState } from './state.js';

/** Options of {@link pages}. */
export interface PagesOptions {
  /** The folder holding `admin/` and `docs/`. */
  publicDir: string;
  /** The swagger-ui-dist folder. */
  swaggerUiDir: string;
}

/**
 * Creates the middleware of the HTML pages and their assets (GET and HEAD). `/` redirects
 * (302) to `/api/docs/`; `/admin` and `/api/docs` redirect (308) to their trailing-slash
 * form. A path that is no page, or a missing file, is left to the next middleware (a 404).
 *
 * @param options - Where the files are.
 * @returns The middleware.
 * @example
 * ```ts
 * app.use(pages({ publicDir, swaggerUiDir: swaggerUiDistDir() }));
 * ```
 */
export function pages(options: PagesOptions): Middleware<AppState> {
  const folders = { ...options, admin: true };
  return async function pagesMiddleware(ctx, next) {
    const route =
      ctx.method === 'GET' || ctx.method === 'HEAD' ? routePage(ctx.path, ctx.search, folders) : undefined;
    if (route?.kind === 'redirect') {
      ctx.status = route.status;
      ctx.redirect(route.location);
      return;
    }
    if (route?.kind === 'file') {
      const file = await findStaticFile(route.folders, route.name);
      if (file) {
        ctx.status = 200;
        ctx.type = file.contentType;
        ctx.length = file.size;
        ctx.lastModified = file.modified;
        ctx.set('Cache-Control', 'no-cache');
        ctx.body = createReadStream(file.path);
        return;
      }
    }
    await next();
  };
}
