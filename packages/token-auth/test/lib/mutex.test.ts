import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../src/lib/mutex.js';

/** A promise with its resolve function, to hold a critical section open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('KeyedMutex', () => {
  it('runs critical sections of one key one after another, in call order', async () => {
    const mutex = new KeyedMutex();
    const first = gate();
    const events: string[] = [];
    const a = mutex.run('k', async () => {
      events.push('a:start');
      await first.promise;
      events.push('a:end');
    });
    const b = mutex.run('k', async () => {
      events.push('b');
    });
    await Promise.resolve();
    expect(events).toEqual(['a:start']);
    first.open();
    await Promise.all([a, b]);
    expect(events).toEqual(['a:start', 'a:end', 'b']);
  });

  it('runs critical sections of different keys concurrently', async () => {
    const mutex = new KeyedMutex();
    const held = gate();
    const a = mutex.run('k1', () => held.promise);
    const b = await mutex.run('k2', async () => 'ran while k1 was held');
    expect(b).toBe('ran while k1 was held');
    held.open();
    await a;
  });

  it('passes a rejection to its caller and still lets the next holder run', async () => {
    const mutex = new KeyedMutex();
    const failed = mutex.run('k', async () => {
      throw new Error('boom');
    });
    const next = mutex.run('k', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });

  it('forgets a key once its last holder is done', async () => {
    const mutex = new KeyedMutex();
    await Promise.all([
      mutex.run('a', async () => 1),
      mutex.run('a', async () => 2),
      mutex.run('b', async () => 3),
    ]);
    expect(mutex.size).toBe(0);
  });
});
