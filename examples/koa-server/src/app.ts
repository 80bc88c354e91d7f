/**
 * The Koa application: the brief's endpoints, the admin API, health, the OpenAPI
 * document and the HTML pages, with RFC 9457 errors. Built without listening.
 *
 * @module
 */

import { fileURLToPath } from 'node:url';
import type { Middleware, ParameterizedContext } from 'koa';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { TokenAuth } from 'token-auth';
import type { Endpoint, EndpointDeps } from './http/endpoints.js';
import {
  endpoints as allEndpoints,
  matchRoute,
  methodNotAllowed,
  notFound,
  score as scoreEndpoint,
} from './http/endpoints.js';
import { DEFAULT_BODY_LIMIT_BYTES } from './http/request.js';
import { bearerAuth, staffOnly } from './koa/bearer-auth.js';
import { jsonBody } from './koa/json-body.js';
import { pages } from './koa/pages.js';
import { problemHandler } from './koa/problem-handler.js';
import { requestContext } from './koa/request-context.js';
import type { AppState } from './koa/state.js';
import { swaggerUiDistDir } from './lib/pages.js';
import { buildOpenApiDocument } from './openapi.js';

export type { AppState } from './koa/state.js';

/** Request limits of the app. */
export interface AppLimits {
  /**
   * Largest JSON body accepted, in bytes; larger bodies are a 413.
   * @defaultValue `16384` (16 KiB)
   */
  bodyBytes?: number;
}

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /** The token-auth core. */
  auth: TokenAuth;
  /** The root logger (pino); the app logs one line per request and every unexpected error. */
  logger: Logger;
  /**
   * A cheap store round trip for /healthz; it rejects when the store is unusable.
   * @example `() => Promise.resolve(store.getSettings()).then(() => undefined)`
   */
  checkHealth: () => Promise<void>;
  /** Request limits. */
  limits?: AppLimits;
  /**
   * Trust `X-Forwarded-For` (set only behind one reverse proxy): the client IP, used as the
   * login throttling key, is then the entry that proxy appended (the last one).
   * @defaultValue `false`
   */
  trustProxy?: boolean;
  /**
   * Mounts GET /api/score/ (the @game/score demo) when given: the score at an offset.
   * @defaultValue not mounted
   */
  score?: (offset: number) => { home: number; away: number };
  /**
   * The folder of the HTML pages (`admin/`, `docs/`).
   * @defaultValue the package's `public/` folder
   */
  publicDir?: string;
}

/** The app, as {@link createApp} returns it. */
export type App = Koa<AppState>;

/**
 * Builds the Koa app without listening: call `app.listen()` or pass `app.callback()` to
 * `http.createServer`.
 *
 * @param options - The token-auth core, logger, health check and limits.
 * @returns The Koa app.
 * @throws TypeError when a required option is missing; RangeError for an invalid limit.
 * @example
 * ```ts
 * const app = createApp({ auth, logger, checkHealth: async () => {} });
 * const server = app.listen(8000, '127.0.0.1');
 * ```
 */
export function createApp(options: CreateAppOptions): App {
  const { auth, logger } = options;
  if (typeof auth?.login !== 'function') throw new TypeError('createApp: options.auth must be a TokenAuth');
  if (typeof logger?.child !== 'function')
    throw new TypeError('createApp: options.logger must be a pino logger');
  if (typeof options.checkHealth !== 'function')
    throw new TypeError('createApp: options.checkHealth must be a function');
  const bodyBytes = options.limits?.bodyBytes ?? DEFAULT_BODY_LIMIT_BYTES;

  const mounted = mountedEndpoints(Boolean(options.score));
  const openApiDocument = buildOpenApiDocument(mounted);
  const deps: EndpointDeps = {
    auth,
    checkHealth: options.checkHealth,
    openApiDocument: () => openApiDocument,
    ...(options.score ? { score: options.score } : {}),
  };

  // Behind one trusted proxy: the client IP is the last X-Forwarded-For entry (the one the
  // proxy appended), never an earlier one a client could have written itself.
  const app = new Koa<AppState>({ proxy: options.trustProxy ?? false, maxIpsCount: 1 });
  app.silent = true;
  app.on('error', (error: unknown) => {
    // A client that hangs up before its response is written is routine, not a server fault.
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE') {
      logger.debug({ code }, 'client closed the connection early');
      return;
    }
    logger.error({ err: error }, 'response error');
  });

  const authenticate = bearerAuth({ auth });
  const requireStaff = staffOnly({ auth });
  const parseJson = jsonBody({ limitBytes: bodyBytes });
  const chains = new Map<Endpoint, Chain>();
  for (const endpoint of mounted) {
    const chain: Middleware<AppState>[] = [];
    if (endpoint.security !== 'none') chain.push(authenticate);
    if (endpoint.security === 'staff') chain.push(requireStaff);
    if (endpoint.requestSchema) chain.push(parseJson);
    chain.push(runEndpoint(endpoint, deps));
    chains.set(endpoint, composeChain(chain));
  }

  const publicDir = options.publicDir ?? fileURLToPath(new URL('../public/', import.meta.url));

  app.use(requestContext({ logger }));
  app.use(problemHandler());
  app.use(apiRoutes(mounted, chains));
  app.use(pages({ publicDir, swaggerUiDir: swaggerUiDistDir() }));
  return app;
}

/**
 * The endpoints mounted by the app.
 *
 * @param withScore - Whether the score demo is mounted.
 * @returns The endpoint table.
 * @example
 * ```ts
 * mountedEndpoints(false).length; // 12
 * ```
 */
export function mountedEndpoints(withScore: boolean): readonly Endpoint[] {
  return allEndpoints.filter((e) => withScore || e !== scoreEndpoint);
}

/** The query of a request without one; endpoints only read it. */
const NO_QUERY = new URLSearchParams();

function runEndpoint(endpoint: Endpoint, deps: EndpointDeps): Middleware<AppState> {
  return async function endpointHandler(ctx) {
    const result = await endpoint.run(deps, {
      body: (ctx.request as { body?: unknown }).body,
      claims: ctx.state.auth,
      clientKey: ctx.ip || undefined,
      userAgent: ctx.get('User-Agent') || undefined,
      query: ctx.querystring === '' ? NO_QUERY : new URLSearchParams(ctx.querystring),
      params: (ctx as { params?: Record<string, string> }).params ?? {},
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = result.status;
    if (result.body === undefined) return;
    // Serialized here with its type set: Koa would otherwise resolve 'json' to a media type
    // through its MIME table on every response (about 1 µs of a 60 µs GET /api/me/).
    ctx.set('Content-Type', JSON_TYPE);
    ctx.body = JSON.stringify(result.body);
  };
}

/** The media type of every JSON answer of the API (Koa's own for `ctx.body = object`). */
const JSON_TYPE = 'application/json; charset=utf-8';

type Context = ParameterizedContext<AppState>;
/** An endpoint's middleware, composed once at startup. */
type Chain = (ctx: Context) => Promise<unknown>;

/**
 * Composes middleware that each call `next` at most once (as Koa's own compose, minus its
 * per-call checks). Each layer returns what its middleware returns, without an async wrapper
 * of its own: every middleware of the app is an async function, so that is a promise, and an
 * error is a rejection, never a synchronous throw out of `next()`.
 */
function composeChain(middleware: readonly Middleware<AppState>[]): Chain {
  return middleware.reduceRight<Chain>(
    (next, current) => (ctx) => current(ctx, () => next(ctx)),
    () => Promise.resolve(),
  );
}

/**
 * The API: each request is matched against the endpoint table (the one OpenAPI documents)
 * and runs its endpoint's chain. A known path with another method answers OPTIONS with 204
 * and `Allow`, anything else with 405; other paths go to the pages, then 404.
 */
function apiRoutes(table: readonly Endpoint[], chains: ReadonlyMap<Endpoint, Chain>): Middleware<AppState> {
  const middleware: Middleware<AppState> = async function apiRouter(ctx, next) {
    const match = matchRoute(table, ctx.method, ctx.path);
    if (match.kind === 'found') {
      (ctx as { params?: Record<string, string> }).params = match.params;
      return (chains.get(match.endpoint) as Chain)(ctx);
    }
    if (match.kind === 'method_not_allowed') {
      if (ctx.method !== 'OPTIONS') throw methodNotAllowed(ctx.method, match.allow);
      ctx.set('Allow', match.allow.join(', '));
      ctx.status = 204;
      return;
    }
    await next();
    if ((ctx.body === undefined || ctx.body === null) && ctx.status === 404) throw notFound(table, ctx.path);
  };
  // What the app serves, for tests that compare it with the OpenAPI document.
  return Object.assign(middleware, { endpoints: table });
}
