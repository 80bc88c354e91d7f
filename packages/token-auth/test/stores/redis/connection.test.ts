import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, StoreError } from '../../../src/errors.js';
import { createRedisStore } from '../../../src/stores/redis/create-redis-store.js';
import { RedisStore } from '../../../src/stores/redis/store.js';
import { newHead, newSession, newUser } from '../../../src/testing/index.js';
import { freePort, startRedisServer } from '../../helpers/redis-server.js';
import { useRedis } from './use-redis.js';

const redis = useRedis();

/** Whether the client with this id is blocked on the server (flag `b`, as by CLIENT PAUSE). */
async function clientBlocked(clientId: unknown): Promise<boolean> {
  return /\bflags=\S*b/.test(String(await redis.admin.client('LIST', 'ID', String(clientId))));
}

/** Polls `check` until it holds (a readiness wait on the server, not a timing assertion). */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 2 s');
}

/** A store from the factory, closed when the test ends. */
async function created(...args: Parameters<typeof createRedisStore>): Promise<RedisStore> {
  const store = await createRedisStore(...args);
  onTestFinished(() => store.close());
  return store;
}

describe('createRedisStore', () => {
  it('creates a client that neither resends commands after a reconnection nor auto-pipelines', async () => {
    const store = await created(redis.server.url());

    expect(store.client.options).toMatchObject({
      autoResendUnfulfilledCommands: false,
      enableAutoPipelining: false,
      maxRetriesPerRequest: 1,
    });
  });

  it('uses the database the URL names', async () => {
    const store = await created(redis.server.url(3), { keyPrefix: 'db3:' });

    await store.createUser(newUser('db3@example.com'));

    expect(await redis.admin.exists('db3:email:db3@example.com')).toBe(0);
    expect(await store.client.exists('db3:email:db3@example.com')).toBe(1);
  });

  it('connects with ioredis options instead of a URL', async () => {
    const store = await created({ host: '127.0.0.1', port: redis.server.port, db: 4 });

    expect(await store.client.call('CLIENT', 'INFO')).toMatch(/\bdb=4\b/);
  });

  it.each([
    ['a URL of another scheme, naming the scheme', 'sqlite://auth.db', /redis:\/\/.*sqlite:\/\//],
    ['a string that is not a URL', 'not a url', /not a valid URL/],
    ['neither a URL nor options', 42, /redis:\/\/ URL or ioredis options/],
  ])('rejects %s with a ConfigError', async (_, connection, message) => {
    const attempt = createRedisStore(connection as string);

    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('never repeats a URL, which may hold a password, in its error', async () => {
    const error = await createRedisStore('redis://:hunter2@[bad').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigError);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('hunter2');
    expect((error as Error).cause).toBeUndefined();
  });

  it.each([
    ['gcGraceMs', { gcGraceMs: -1 }],
    ['maxHistoryEntries', { maxHistoryEntries: 0 }],
    ['keyPrefix', { keyPrefix: 7 as unknown as string }],
  ])('rejects an invalid %s with a ConfigError naming it', async (name, options) => {
    const attempt = createRedisStore(redis.server.url(), options);

    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(name);
  });

  it('refuses redisOptions that set ioredis’s own keyPrefix', async () => {
    const attempt = createRedisStore(redis.server.url(), { redisOptions: { keyPrefix: 'x:' } });

    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/keyPrefix/);
  });

  it('rejects with the connection error when nothing listens at the URL', async () => {
    const port = await freePort();

    await expect(createRedisStore(`redis://127.0.0.1:${port}/0`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('names the package to install when ioredis is missing', async () => {
    const entry = pathToFileURL(
      fileURLToPath(new URL('../../../src/stores/redis/index.ts', import.meta.url)),
    );
    // A resolve hook that makes `ioredis` resolve to a package that is not installed.
    const hook = `data:text/javascript,${encodeURIComponent(
      "export const resolve = (s, c, next) => next(s === 'ioredis' ? 'ioredis-is-not-installed' : s, c);",
    )}`;
    const script = [
      `import { register } from 'node:module';`,
      `register(${JSON.stringify(hook)});`,
      `const { createRedisStore } = await import(${JSON.stringify(entry.href)});`,
      `await createRedisStore('redis://127.0.0.1:1/0').catch((e) => console.log(e.name + ': ' + e.message));`,
    ].join('\n');

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: fileURLToPath(new URL('.', import.meta.url)) },
    );

    expect(stdout.trim()).toBe(
      'ConfigError: token-auth/redis needs the package "ioredis": npm install ioredis',
    );
  });
});

describe('RedisStore', () => {
  it('refuses an ioredis client that sets its own keyPrefix', () => {
    const client = new Redis(redis.server.url(), { keyPrefix: 'x:', lazyConnect: true });

    expect(() => new RedisStore(client)).toThrow(ConfigError);
  });

  it('refuses an ioredis client that auto-pipelines without resending commands', () => {
    const client = new Redis(redis.server.url(), {
      enableAutoPipelining: true,
      autoResendUnfulfilledCommands: false,
      lazyConnect: true,
    });

    expect(() => new RedisStore(client)).toThrow(/enableAutoPipelining/);
  });

  it('fails a rotation whose connection dropped before the reply and does not apply it again', async () => {
    const store = await created(redis.server.url());
    const session = newSession({ userId: 1, createdAt: 1_000, expiresAt: 1_000 + 86_400_000 });
    await store.startSession(session);
    const next = newHead(2_000 + 86_400_000);
    const clientId = await store.client.client('ID');
    // Hold writes on the server so that the script is still unanswered when its connection dies.
    await redis.admin.client('PAUSE', 10_000, 'WRITE');
    const first = store.rotate(session.headHash, next, 2_000).catch((caught: unknown) => caught);
    await waitUntil(() => clientBlocked(clientId));
    await redis.admin.client('KILL', 'ID', String(clientId));
    await redis.admin.client('UNPAUSE');

    const error = await first;
    const retried = await store.rotate(session.headHash, next, 2_000);

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreError);
    // Resent after the reconnection, the first call would have rotated: 'parent' here.
    expect(retried.status).toBe('rotated');
  });

  it('quits the client on close and rejects later calls', async () => {
    const store = await createRedisStore(redis.server.url());

    await store.close();

    expect(store.client.status).toBe('end');
    await expect(store.getUserById(1)).rejects.toThrow(/closed/);
  });

  it('rejects calls once the server died, rather than answering not found', async () => {
    const doomed = await startRedisServer();
    onTestFinished(() => doomed.stop());
    const store = await created(doomed.url());
    const user = await store.createUser(newUser('doomed@example.com'));

    await doomed.kill();

    await expect(store.getUserById(user.id)).rejects.toBeInstanceOf(Error);
  });
});
