import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../../src/create-token-auth.js';
import { ConfigError } from '../../../src/errors.js';
import { limitHasher } from '../../../src/lib/limit-hasher.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import type { PasswordHasher } from '../../../src/types.js';

/** A hasher whose calls finish only when the test says so; it records how many run at once. */
function gatedHasher() {
  const gates: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  const started: string[] = [];
  const call = async (label: string, result: string) => {
    running++;
    peak = Math.max(peak, running);
    started.push(label);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
    return result;
  };
  const hasher: PasswordHasher = {
    hash: (password) => call(`hash:${password}`, `h:${password}`),
    verify: (hash, password) => call(`verify:${password}`, hash).then(() => true),
    needsRehash: (hash) => hash === 'old',
  };
  const releaseOne = async () => {
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { hasher, releaseOne, started, peak: () => peak };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('limitHasher', () => {
  it('runs at most `limit` hash and verify calls at once', async () => {
    const gated = gatedHasher();
    const limited = limitHasher(gated.hasher, 2);
    const calls = [limited.hash('a'), limited.verify('x', 'b'), limited.hash('c'), limited.hash('d')];
    await settle();
    expect(gated.started).toEqual(['hash:a', 'verify:b']);
    for (let i = 0; i < 4; i++) await gated.releaseOne();
    await expect(Promise.all(calls)).resolves.toEqual(['h:a', true, 'h:c', 'h:d']);
    expect(gated.peak()).toBe(2);
  });

  it('starts waiting calls in arrival order', async () => {
    const gated = gatedHasher();
    const limited = limitHasher(gated.hasher, 1);
    const calls = ['a', 'b', 'c'].map((p) => limited.hash(p));
    await settle();
    await gated.releaseOne();
    await gated.releaseOne();
    await gated.releaseOne();
    await Promise.all(calls);
    expect(gated.started).toEqual(['hash:a', 'hash:b', 'hash:c']);
  });

  it('frees the slot when a call fails', async () => {
    const failing: PasswordHasher = {
      hash: async () => {
        throw new Error('boom');
      },
      verify: async () => true,
      needsRehash: () => false,
    };
    const limited = limitHasher(failing, 1);
    await expect(limited.hash('a')).rejects.toThrow('boom');
    await expect(limited.verify('h', 'a')).resolves.toBe(true);
  });

  it('passes needsRehash through without queueing', () => {
    const limited = limitHasher(gatedHasher().hasher, 1);
    expect(limited.needsRehash('old')).toBe(true);
    expect(limited.needsRehash('new')).toBe(false);
  });
});

describe('createTokenAuth maxConcurrentHashes', () => {
  it('refuses a cap below 1', () => {
    expect(() =>
      createTokenAuth({ store: new MemoryStore(), secret: 'x'.repeat(32), maxConcurrentHashes: 0 }),
    ).toThrow(ConfigError);
  });

  it('queues registrations beyond the cap', async () => {
    const gated = gatedHasher();
    const auth = createTokenAuth({
      store: new MemoryStore(),
      secret: 'x'.repeat(32),
      passwordHasher: gated.hasher,
      maxConcurrentHashes: 1,
    });
    const registrations = ['a', 'b'].map((name) =>
      auth.register({ email: `${name}@example.com`, password: `password-${name}` }),
    );
    await settle();
    expect(gated.started).toEqual(['hash:password-a']);
    await gated.releaseOne();
    await gated.releaseOne();
    await expect(Promise.all(registrations)).resolves.toHaveLength(2);
    expect(gated.peak()).toBe(1);
  });
});
