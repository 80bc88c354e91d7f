import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { KeyvStore } from '../../../src/stores/keyv/index.js';
import { DAY_MS, MINUTE_MS, newHead, newSession, RecordingAdapter } from '../fixtures.js';

const T0 = Math.floor(Date.now() / 1000) * 1000;
const HOUR_MS = 3_600_000;

/** The Keyv expiry (wall clock) of one of the store's records. */
async function expiryOf(store: KeyvStore, key: string): Promise<number | undefined> {
  return (await store.keyv.getRaw(`${store.keyPrefix}${key}`))?.expires ?? undefined;
}

describe('KeyvStore session records', () => {
  it('writes a session under session:<id>, its head under token:<hash> and its id under user-sessions:<userId>', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(new Keyv(adapter));
    const session = newSession({ userId: 7, createdAt: T0 });
    await store.startSession(session);
    expect(adapter.writes.map(({ key }) => key)).toEqual([
      'keyv:token-auth:user-sessions:7',
      `keyv:token-auth:session:${session.id}`,
      `keyv:token-auth:token:${session.headHash}`,
    ]);
  });

  it('keeps a token entry until the token expires plus the grace period, counted from the now passed in', async () => {
    const store = new KeyvStore(new Keyv(), { gcGraceMs: 30_000 });
    // A clock far from the wall clock: the entry must still live as long as the token.
    const session = newSession({ userId: 1, createdAt: 1_000_000, expiresAt: 1_000_000 + MINUTE_MS });
    const before = Date.now();
    await store.startSession(session);
    const expires = (await expiryOf(store, `token:${session.headHash}`)) ?? 0;
    expect(expires - before).toBeGreaterThanOrEqual(MINUTE_MS + 30_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(MINUTE_MS + 30_000);
  });

  it('leaves the entry of a rotated token to expire with the token, not with the session', async () => {
    const store = new KeyvStore(new Keyv());
    const session = newSession({ userId: 1, createdAt: T0, expiresAt: T0 + MINUTE_MS });
    await store.startSession(session);
    const before = await expiryOf(store, `token:${session.headHash}`);
    await store.rotate(session.headHash, newHead(T0 + DAY_MS), T0 + 1_000);
    expect(await expiryOf(store, `token:${session.headHash}`)).toBe(before);
  });

  it('reads two records and writes two for a rotation, as many after a thousand rotations as after ten', async () => {
    const adapter = new RecordingAdapter();
    const store = new KeyvStore(new Keyv(adapter));
    const session = newSession({ userId: 1, createdAt: T0, expiresAt: T0 + 30 * DAY_MS });
    await store.startSession(session);
    let head = session.headHash;
    const calls: { reads: string[]; writes: string[] }[] = [];
    for (let i = 1; i <= 1_000; i++) {
      const next = newHead(T0 + i * 1_000 + 30 * DAY_MS);
      adapter.take();
      await store.rotate(head, next, T0 + i * 1_000);
      const { reads, writes } = adapter.take();
      const generic = (key: string) => key.replace(/:[0-9a-f-]{32,}$/, ':<id>');
      calls.push({ reads: reads.map(generic), writes: writes.map(({ key }) => generic(key)) });
      head = next.hash;
    }
    expect(calls[999]).toEqual(calls[9]);
    expect(calls[999]).toEqual({
      reads: ['keyv:token-auth:token:<id>', 'keyv:token-auth:session:<id>'],
      writes: ['keyv:token-auth:token:<id>', 'keyv:token-auth:session:<id>'],
    });
  });

  it('keeps the user list as long as a session that keeps rotating, rewriting it about once per lifetime', async () => {
    // A Map, which the sweep can iterate.
    const store = new KeyvStore(new Keyv());
    const listWrites: string[] = [];
    store.keyv.hooks.addHandler('preSet', ({ key }: { key: string }) => {
      if (key.endsWith(':user-sessions:1')) listWrites.push(key);
    });
    // One-day tokens, refreshed every hour for ten days.
    const session = newSession({ userId: 1, createdAt: T0, expiresAt: T0 + DAY_MS });
    await store.startSession(session);
    let head = session.headHash;
    const end = T0 + 10 * DAY_MS;
    for (let now = T0 + HOUR_MS; now <= end; now += HOUR_MS) {
      const next = newHead(now + DAY_MS);
      await store.rotate(head, next, now);
      head = next.hash;
    }
    await store.sweep(end);
    expect((await store.listSessions(1, end)).map(({ id }) => id)).toEqual([session.id]);
    expect(listWrites.length).toBeLessThanOrEqual(11);
  });

  it('drops the ids of sessions that are gone from the user list when it is next read', async () => {
    const store = new KeyvStore(new Keyv());
    const gone = newSession({ userId: 1, createdAt: T0 });
    const kept = newSession({ userId: 1, createdAt: T0 + 1 });
    await store.startSession(gone);
    await store.startSession(kept);
    // What the backend does at the end of the session's TTL.
    await store.keyv.delete(`token-auth:session:${gone.id}`);
    await store.listSessions(1, T0 + 2);
    expect((await store.keyv.get('token-auth:user-sessions:1'))?.ids).toEqual([kept.id]);
  });

  it('deletes the user list once its last session has ended', async () => {
    const store = new KeyvStore(new Keyv());
    const session = newSession({ userId: 1, createdAt: T0 });
    await store.startSession(session);
    await store.endSession(1, session.id);
    expect(await store.keyv.get('token-auth:user-sessions:1')).toBeUndefined();
  });

  it('lets a session started during endUserSessions survive it, listed', async () => {
    const store = new KeyvStore(new Keyv());
    const first = newSession({ userId: 1, createdAt: T0 });
    await store.startSession(first);
    const later = newSession({ userId: 1, createdAt: T0 + 1 });
    const [ended] = await Promise.all([store.endUserSessions(1), store.startSession(later)]);
    const listed = (await store.listSessions(1, T0 + 2)).map((session) => session.id);
    expect({ ended, listed }).toEqual(ended === 1 ? { ended, listed: [later.id] } : { ended: 2, listed: [] });
  });
});
