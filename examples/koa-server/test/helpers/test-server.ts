/**
 * Starts the real app on a free loopback port over a real SQLite file in a temp dir.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ThrottleOptions, TokenAuth, TokenAuthStore } from 'token-auth';
import { createTokenAuth } from 'token-auth';
import type { App } from '../../src/app.js';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createNodeHttpServer } from '../../src/node-http.js';
import { createScoreDemo } from '../../src/score-demo.js';
import { TOKEN_ISSUER } from '../../src/server.js';
import { openStore } from '../../src/store.js';
import { createClock, type TestClock } from './clock.js';
import { type ApiClient, createClient } from './http-client.js';

/** The signing secret of the test servers (tests only). */
export const TEST_SECRET = 'test-secret-of-at-least-thirty-two-bytes-0123456789';

/** A temp folder, removed by the returned function. */
export function makeTempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'koa-server-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** The folder of the SQLite file (a new temp folder when unset; kept by `close`). */
  dir?: string;
  /** The clock given to token-auth. */
  clock?: TestClock;
  /** The `aud` claim to issue and require (like `JWT_AUDIENCE`); none by default, as the server. */
  audience?: string;
  /** Login throttling of token-auth. */
  throttle?: ThrottleOptions | false;
  /** token-auth's `reuseGraceMs` (the server's `REFRESH_REUSE_GRACE_MS`). */
  reuseGraceMs?: number;
  /** Wraps the token-auth instance (e.g. to make one operation fail unexpectedly). */
  wrapAuth?: (auth: TokenAuth) => TokenAuth;
  /** Wraps the store (e.g. to simulate an outage). */
  wrapStore?: (store: TokenAuthStore) => TokenAuthStore;
  /** Which server: the Koa app (default) or the plain node:http one. */
  kind?: 'koa' | 'node';
  /** Trust X-Forwarded-For. */
  trustProxy?: boolean;
  /** Body limit in bytes. */
  bodyBytes?: number;
  /** Mount the score demo. */
  score?: boolean;
}

/** A running test server. */
export interface TestServer {
  url: string;
  client: ApiClient;
  auth: TokenAuth;
  store: TokenAuthStore;
  clock: TestClock;
  dir: string;
  app: App | undefined;
  server: Server;
  /** Every log line written so far (JSON strings). */
  logs: string[];
  logger: Logger;
  /** Creates a staff user and returns its access token. */
  staffToken(email?: string): Promise<string>;
  /** Closes the server and the store; removes the temp folder when the helper made it. */
  close(): Promise<void>;
}

/** Starts a server for one test file (or one test). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const temp = options.dir === undefined ? makeTempDir() : undefined;
  const dir = options.dir ?? (temp as { dir: string }).dir;
  const clock = options.clock ?? createClock();
  const opened = await openStore(`sqlite://${join(dir, 'auth.sqlite')}`);
  const store = options.wrapStore ? options.wrapStore(opened) : opened;
  const realAuth = createTokenAuth({
    store,
    secret: TEST_SECRET,
    issuer: TOKEN_ISSUER,
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    now: clock.now,
    ...(options.throttle === undefined ? {} : { throttle: options.throttle }),
    ...(options.reuseGraceMs === undefined ? {} : { reuseGraceMs: options.reuseGraceMs }),
  });
  const auth = options.wrapAuth ? options.wrapAuth(realAuth) : realAuth;
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void logs.push(line) },
  });
  let app: App | undefined;
  let server: Server;
  if (options.kind === 'node') {
    server = createNodeHttpServer({ auth, logger, limits: { bodyBytes: options.bodyBytes ?? 16 * 1024 } });
  } else {
    app = createApp({
      auth,
      logger,
      checkHealth: async () => {
        await store.getSettings();
      },
      limits: { bodyBytes: options.bodyBytes ?? 16 * 1024 },
      trustProxy: options.trustProxy ?? false,
      ...(options.score ? { score: createScoreDemo() } : {}),
    });
    server = createServer(app.callback());
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createClient(url);
  let staffCount = 0;
  return {
    url,
    client,
    auth,
    store,
    clock,
    dir,
    app,
    server,
    logs,
    logger,
    async staffToken(email = `staff${++staffCount}@example.com`) {
      await realAuth.ensureUser({ email, password: 'staff-password', isStaff: true });
      return (await client.login(email, 'staff-password')).access;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await opened.close();
      temp?.remove();
    },
  };
}
