import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { KeyvStore } from '../../../src/stores/keyv/index.js';
import { BackendDown, FailingAdapter, newUser, RecordingAdapter } from '../fixtures.js';

describe('KeyvStore user cache', () => {
  it('serves a user read again from memory, without a backend read', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(new Keyv(adapter));
    const ada = await store.createUser(newUser('ada@example.com'));
    adapter.take();
    await store.getUserById(ada.id);
    expect(adapter.take().reads).toEqual([]);
  });

  it('reads the backend on every call with userCacheSize 0', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(new Keyv(adapter), { userCacheSize: 0 });
    const ada = await store.createUser(newUser('ada@example.com'));
    adapter.take();
    await store.getUserById(ada.id);
    expect(adapter.take().reads).toEqual([`keyv:token-auth:user:${ada.id}`]);
  });

  it('answers its own updates at once', async () => {
    const store = new KeyvStore(new Keyv(new RecordingAdapter()));
    const ada = await store.createUser(newUser('ada@example.com'));
    await store.getUserById(ada.id);
    await store.updateUser(ada.id, { username: 'Ada' });
    await expect(store.getUserById(ada.id)).resolves.toMatchObject({ username: 'Ada' });
  });

  it('does not let a caller change the cached record', async () => {
    const store = new KeyvStore(new Keyv(new RecordingAdapter()));
    const ada = await store.createUser(newUser('ada@example.com'));
    const read = await store.getUserById(ada.id);
    if (read) read.username = 'changed by the caller';
    await expect(store.getUserById(ada.id)).resolves.toMatchObject({ username: '' });
  });

  it('drops a user from the cache when writing it fails', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(new Keyv(adapter));
    const ada = await store.createUser(newUser('ada@example.com'));
    adapter.broken = true;
    await expect(store.updateUser(ada.id, { username: 'Ada' })).rejects.toBeInstanceOf(BackendDown);
    await expect(store.getUserById(ada.id)).rejects.toBeInstanceOf(BackendDown);
  });

  it('does not cache a read that a write overtook (a backend answering reads late)', async () => {
    /** Answers the armed read with the value it had when asked, but only once released. */
    class LateReads extends FailingAdapter {
      armed: string | undefined;
      release: (() => void) | undefined;
      override async get<Value>(key: string): Promise<Value | undefined> {
        const value = this.data.get(key) as Value | undefined;
        if (key !== this.armed) return value;
        this.armed = undefined;
        await new Promise<void>((resolve) => {
          this.release = resolve;
        });
        return value;
      }
    }
    const adapter = new LateReads();
    const store = new KeyvStore(new Keyv(adapter), { userCacheSize: 1 });
    const ada = await store.createUser(newUser('ada@example.com'));
    await store.createUser(newUser('bob@example.com')); // evicts ada from the one-entry cache
    adapter.armed = `keyv:token-auth:user:${ada.id}`;
    const lateRead = store.getUserById(ada.id);
    await store.updateUser(ada.id, { isActive: false });
    adapter.release?.();
    await expect(lateRead).resolves.toMatchObject({ isActive: true });
    await expect(store.getUserById(ada.id)).resolves.toMatchObject({ isActive: false });
  });
});
