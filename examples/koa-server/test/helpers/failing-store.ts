import type { TokenAuthStore } from 'token-auth';

/** A real store behind a switch: while `failing`, every call throws like a broken disk. */
export interface FailingStore {
  store: TokenAuthStore;
  failing: boolean;
}

/** Wraps `inner` so that a test can simulate an outage (`control.failing = true`). */
export function failingStore(control: { failing: boolean }): (inner: TokenAuthStore) => TokenAuthStore {
  return (inner) =>
    new Proxy(inner, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || property === 'close') return value;
        return (...args: unknown[]) => {
          if (control.failing) throw new Error('SQLITE_IOERR: disk I/O error (simulated)');
          return value.apply(target, args);
        };
      },
    });
}
