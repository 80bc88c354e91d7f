/**
 * The framework-agnostic proof: the brief's six endpoints (and PATCH /api/me/) on a plain node:http server,
 * with the same token-auth core, schemas, error mapping and response shaping as the
 * Koa app (see `src/http/`). Only the routing differs.
 *
 * @module
 */

import { createReadStream } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { TokenAuth } from 'token-auth';
import { authenticateBearer, authorizationHeaders } from './http/bearer.js';
import type { Endpoint, EndpointDeps } from './http/endpoints.js';
import { briefEndpoints, matchRoute, methodNotAllowed, notFound, openApi } from './http/endpoints.js';
import { PROBLEM_CONTENT_TYPE, problemFromError } from './http/problem.js';
import { readJsonBody } from './http/read-json-body.js';
import {
  API_CSP,
  COMMON_SECURITY_HEADERS,
  DEFAULT_BODY_LIMIT_BYTES,
  loggablePath,
  PAGE_CSP,
  requestIdFrom,
} from './http/request.js';
import { type PageFolders, routePage, swaggerUiDistDir } from './lib/pages.js';
import { findStaticFile } from './lib/static-files.js';
import { buildOpenApiDocument } from './openapi.js';

/** Options of {@link createNodeHttpServer}. */
export interface NodeHttpServerOptions {
  /** The token-auth core. */
  auth: TokenAuth;
  /** A pino logger; one line per request and every unexpected error. Silent when unset. */
  logger?: Logger;
  /** Request limits. */
  limits?: {
    /**
     * Largest JSON body accepted, in bytes.
     * @defaultValue `16384`
     */
    bodyBytes?: number;
  };
  /**
   * The folder of the HTML pages (only `docs/` is served here).
   * @defaultValue the package's `public/` folder
   */
  publicDir?: string;
}

/** The brief's endpoints and the OpenAPI document that the documentation page renders. */
const nodeEndpoints: readonly Endpoint[] = [...briefEndpoints, openApi];

/**
 * Creates a node:http server (not listening) serving the brief's six endpoints:
 * POST /api/register/, /api/login/, /api/refresh/, /api/logout/, GET and PUT /api/me/; and
 * PATCH /api/me/, the same partial update as PUT. Around them, as on the Koa app: the
 * OpenAPI document of these endpoints, the documentation page (/api/docs/) and `/`
 * redirecting to it.
 *
 * @param options - The token-auth core, a logger and limits.
 * @returns The server; call `listen()` on it.
 * @throws TypeError when `options.auth` is not a token-auth instance.
 * @example
 * ```ts
 * const server = createNodeHttpServer({ auth });
 * server.listen(8001, '127.0.0.1');
 * ```
 */
export function createNodeHttpServer(options: NodeHttpServerOptions): Server {
  const { auth, logger } = options;
  if (typeof auth?.login !== 'function')
    throw new TypeError('createNodeHttpServer: options.auth must be a TokenAuth');
  const limitBytes = options.limits?.bodyBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const openApiDocument = buildOpenApiDocument(nodeEndpoints);
  const deps: EndpointDeps = { auth, checkHealth: async () => {}, openApiDocument: () => openApiDocument };
  const folders: PageFolders = {
    publicDir: options.publicDir ?? fileURLToPath(new URL('../public/', import.meta.url)),
    swaggerUiDir: swaggerUiDistDir(),
    admin: false,
  };

  return createServer((req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const log = logger?.child({ reqId: requestId });
    res.setHeader('X-Request-Id', requestId);
    for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('Content-Security-Policy', API_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      log?.info(
        {
          method: req.method,
          path: loggablePath(req.url ?? '/'),
          status: res.statusCode,
          durationMs: Math.round(durationMs * 10) / 10,
        },
        'request',
      );
    });
    servePage(req, res, folders)
      .then((served) => (served ? undefined : handle(req, deps, limitBytes)))
      .then(
        (result) => {
          if (result === undefined) return;
          for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
          send(res, result.status, 'application/json; charset=utf-8', result.body);
        },
        (error: unknown) => {
          const { response, unexpected } = problemFromError(error);
          if (unexpected) log?.error({ err: error }, 'unhandled error');
          for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
          send(res, response.status, PROBLEM_CONTENT_TYPE, response.body);
        },
      );
  });
}

/** Routes, authenticates, reads the body and runs the endpoint; throws problems. */
async function handle(
  req: IncomingMessage,
  deps: EndpointDeps,
  limitBytes: number,
): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const match = matchRoute(nodeEndpoints, method, url.pathname);
  if (match.kind === 'not_found') throw notFound(nodeEndpoints, url.pathname);
  if (match.kind === 'method_not_allowed') {
    if (method === 'OPTIONS')
      return { status: 204, body: undefined, headers: { Allow: match.allow.join(', ') } };
    throw methodNotAllowed(method, match.allow);
  }
  const endpoint: Endpoint = match.endpoint;
  const claims =
    endpoint.security === 'none'
      ? undefined
      : await authenticateBearer(deps.auth, authorizationHeaders(req.rawHeaders));
  if (endpoint.security === 'staff' && claims) await deps.auth.requireStaff(claims.userId);
  const body = endpoint.requestSchema ? await readJsonBody(req, { limitBytes }) : undefined;
  return endpoint.run(deps, {
    body,
    claims,
    clientKey: req.socket.remoteAddress,
    userAgent: req.headers['user-agent'],
    query: url.searchParams,
    params: match.params,
  });
}

/** Answers a page path (a redirect or a file) and resolves `true`; `false` when it is none. */
async function servePage(req: IncomingMessage, res: ServerResponse, folders: PageFolders): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = routePage(url.pathname, url.search, folders);
  if (route?.kind === 'redirect') {
    res.statusCode = route.status;
    res.setHeader('Location', route.location);
    res.end();
    return true;
  }
  const file = route?.kind === 'file' ? await findStaticFile(route.folders, route.name) : undefined;
  if (!file) return false;
  res.statusCode = 200;
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('Content-Length', file.size);
  res.setHeader('Last-Modified', file.modified.toUTCString());
  res.setHeader('Cache-Control', 'no-cache');
  if (file.contentType.startsWith('text/html')) res.setHeader('Content-Security-Policy', PAGE_CSP);
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  const stream = createReadStream(file.path);
  stream.once('error', () => res.destroy());
  stream.pipe(res);
  return true;
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  if (body === undefined) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
