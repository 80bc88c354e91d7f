/**
 * Starting and stopping the server from a configuration: open the store, resolve the
 * secret, ensure the admin user, listen; and the graceful close.
 *
 * @module
 */

import type { Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { TokenAuth, TokenAuthStore } from 'token-auth';
import { createTokenAuth, isTokenAuthError } from 'token-auth';
import { createApp } from './app.js';
import type { ServerConfig } from './config.js';
import { ConfigEnvError } from './config.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { ensurePrivateDatabaseFile } from './lib/private-files.js';
import { redactDatabaseUrl } from './lib/redact-url.js';
import { createScoreDemo } from './score-demo.js';
import { dataDirOf, openStore, sqliteFileOf } from './store.js';

export { redactDatabaseUrl } from './lib/redact-url.js';

/**
 * The `iss` claim of this server's access tokens (checked on verification). They carry an
 * `aud` claim only when `JWT_AUDIENCE` is set (see {@link ServerConfig.jwtAudience}).
 */
export const TOKEN_ISSUER = 'koa-server';

/** How long a graceful close waits for in-flight requests before cutting connections, in ms. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** A running server. */
export interface RunningServer {
  /** The HTTP server. */
  server: Server;
  /** The token-auth core. */
  auth: TokenAuth;
  /** The open store. */
  store: TokenAuthStore;
  /** The base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /**
   * Stops accepting connections, lets in-flight requests finish (at most
   * {@link SHUTDOWN_GRACE_MS}), then closes the store.
   */
  close(): Promise<void>;
}

/**
 * Starts the server: opens the store, resolves the JWT secret, ensures the admin user,
 * builds the app and listens.
 *
 * @param config - The checked configuration.
 * @param logger - The root logger.
 * @returns The running server.
 * @throws {@link ConfigEnvError} for a configuration the store or the core rejects
 *   (e.g. an invalid ADMIN_EMAIL); the store's errors when it cannot be opened.
 * @example
 * ```ts
 * const running = await startServer(parseConfig(process.env), logger);
 * process.once('SIGTERM', () => running.close());
 * ```
 */
export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const databaseFile = sqliteFileOf(config.databaseUrl);
  if (databaseFile !== undefined) ensurePrivateDatabaseFile(databaseFile);
  // A database without a folder of its own (postgres://, redis://) keeps a generated secret in
  // ./data, so that processes started from one directory sign alike; memory:// keeps it in memory.
  const dataDir =
    dataDirOf(config.databaseUrl) ?? (/^memory:/i.test(config.databaseUrl) ? undefined : resolve('data'));
  const resolved = resolveJwtSecret({ configured: config.jwtSecret, dataDir });
  if (resolved.source === 'generated' || resolved.source === 'file') {
    logger.warn(
      { secretFile: resolved.file, generated: resolved.source === 'generated' },
      'JWT_SECRET is not set: using a random secret kept in the secret file beside the database; set JWT_SECRET in production',
    );
  } else if (resolved.source === 'ephemeral') {
    logger.warn('JWT_SECRET is not set: using a random secret for this process only (tokens die with it)');
  }

  const store = await openStore(config.databaseUrl, {
    sqlitePurgeIntervalSeconds: config.sqlitePurgeIntervalSeconds,
    sqliteBackgroundCheckpoints: config.sqliteBackgroundCheckpoints,
    autoMigrate: config.autoMigrate,
  });
  try {
    const auth = createTokenAuth({
      store,
      secret: resolved.secret,
      issuer: TOKEN_ISSUER,
      ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
      reuseGraceMs: config.refreshReuseGraceMs,
      throttle: { maxFailuresPerClient: config.loginMaxFailuresPerClient },
    });
    if (config.admin) await ensureAdmin(auth, config.admin, logger);

    const app = createApp({
      auth,
      logger,
      trustProxy: config.trustProxy,
      checkHealth: async () => {
        await store.getSettings();
      },
      score: createScoreDemo(),
    });
    const server = createServer(app.callback());
    server.keepAliveTimeout = 5_000;
    trackInFlight(server);
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(config.port, config.host, () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    logger.info({ url, database: redactDatabaseUrl(config.databaseUrl), pid: process.pid }, 'listening');
    // Out now rather than with the next batch: whoever started the server waits for this line.
    logger.flush();

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        await closeGracefully(server);
        await store.close();
      })();
      return closing;
    };
    return { server, auth, store, url, close };
  } catch (error) {
    await Promise.resolve(store.close()).catch(() => undefined);
    throw error;
  }
}

async function ensureAdmin(
  auth: TokenAuth,
  admin: { email: string; password: string },
  logger: Logger,
): Promise<void> {
  try {
    const user = await auth.ensureUser({ email: admin.email, password: admin.password, isStaff: true });
    logger.info({ userId: user.id }, 'staff user from ADMIN_EMAIL is ready');
  } catch (error) {
    if (isTokenAuthError(error) && error.code === 'validation_failed') {
      const fields = (error as unknown as { fields: { field: string; message: string }[] }).fields;
      const field = fields[0]?.field === 'password' ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL';
      throw new ConfigEnvError(field, fields.map((f) => f.message).join('; '));
    }
    throw error;
  }
}

/**
 * Stops accepting, closes idle keep-alive connections, lets in-flight requests finish
 * (answered with `Connection: close`, their connection closed once idle), and cuts what
 * is left after {@link SHUTDOWN_GRACE_MS}.
 */
function closeGracefully(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    timer.unref();
    const closeWhenIdle = (res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
    };
    for (const res of inFlight.get(server) ?? []) closeWhenIdle(res);
    server.on('request', (_req, res: ServerResponse) => closeWhenIdle(res));
    server.close(() => {
      clearTimeout(timer);
      resolveClose();
    });
    server.closeIdleConnections();
  });
}

/** The responses each server is writing, so that a shutdown can see what is in flight. */
const inFlight = new WeakMap<Server, Set<ServerResponse>>();

function trackInFlight(server: Server): void {
  const active = new Set<ServerResponse>();
  inFlight.set(server, active);
  server.on('request', (_req, res: ServerResponse) => {
    active.add(res);
    res.once('close', () => active.delete(res));
  });
}
