/**
 * The HTML pages: the admin page (/admin/) and the API documentation (/api/docs/,
 * Swagger UI from the local swagger-ui-dist package). No CDN, no build step.
 *
 * @module
 */

import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { findStaticFile } from '../lib/static-files.js';
import type { AppState } from './state.js';

/** The swagger-ui-dist files the docs page uses (nothing else of the package is served). */
const SWAGGER_UI_FILES = new Set([
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

/** Options of {@link createPagesRouter}. */
export interface PagesOptions {
  /** The folder holding `admin/` and `docs/`. */
  publicDir: string;
  /** The swagger-ui-dist folder. */
  swaggerUiDir: string;
}

/**
 * Creates the router of the HTML pages and their assets. `/admin` and `/api/docs`
 * redirect (308) to their trailing-slash form.
 *
 * @param options - Where the files are.
 * @returns The router.
 * @example
 * ```ts
 * app.use(createPagesRouter({ publicDir, swaggerUiDir: swaggerUiDistDir() }).routes());
 * ```
 */
export function createPagesRouter(options: PagesOptions): Router<AppState> {
  const adminDir = join(options.publicDir, 'admin');
  const docsDir = join(options.publicDir, 'docs');
  const router = new Router<AppState>({ strict: true, sensitive: true });

  const serve = (folders: readonly string[], name: string, ctx: ParameterizedContext<AppState>) =>
    sendFile(ctx, folders, name);

  router.get('/admin', (ctx) => redirectToSlash(ctx));
  router.get('/admin/', (ctx) => serve([adminDir], 'index.html', ctx));
  router.get('/admin/:file', (ctx) => serve([adminDir], ctx.params.file ?? '', ctx));
  router.get('/api/docs', (ctx) => redirectToSlash(ctx));
  router.get('/api/docs/', (ctx) => serve([docsDir], 'index.html', ctx));
  router.get('/api/docs/:file', (ctx) => {
    const name = ctx.params.file ?? '';
    const folders = SWAGGER_UI_FILES.has(name) ? [docsDir, options.swaggerUiDir] : [docsDir];
    return serve(folders, name, ctx);
  });
  return router;
}

function redirectToSlash(ctx: ParameterizedContext<AppState>): void {
  ctx.status = 308;
  ctx.redirect(`${ctx.path}/${ctx.search}`);
}

/** Streams a file, or leaves the response alone (→ 404 by the fallback) when there is none. */
async function sendFile(
  ctx: ParameterizedContext<AppState>,
  folders: readonly string[],
  name: string,
): Promise<void> {
  const file = await findStaticFile(folders, name);
  if (!file) return;
  ctx.status = 200;
  ctx.type = file.contentType;
  ctx.length = file.size;
  ctx.lastModified = file.modified;
  ctx.set('Cache-Control', 'no-cache');
  ctx.body = createReadStream(file.path);
}
