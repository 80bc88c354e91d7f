/**
 * Login throttling: failed logins counted per account and per client in fixed windows.
 *
 * @module
 */

import { TooManyAttemptsError } from './errors.js';
import { integerOption } from './lib/options.js';
import type { HitResult, TokenAuthStore } from './stores/port.js';
import type { ThrottleOptions } from './types.js';

/**
 * The throttling limits used when `throttle` is not given: 10 failures per account and 100
 * per client key in 15-minute windows.
 *
 * @example
 * ```ts
 * createTokenAuth({ store, secret, throttle: { ...DEFAULT_THROTTLE, maxFailuresPerAccount: 5 } });
 * ```
 */
export const DEFAULT_THROTTLE: Readonly<Required<ThrottleOptions>> = Object.freeze({
  maxFailuresPerAccount: 10,
  maxFailuresPerClient: 100,
  windowSeconds: 900,
});

/**
 * Counts failed logins with the store's atomic `hit`, and refuses further attempts while a
 * counter is at its limit. Internal to `createTokenAuth`.
 *
 * The check (`peekHits`) runs before the password is verified, so a throttled attempt costs
 * no hashing; the count (`hit`) runs after a failure. Attempts already in flight when the
 * limit is reached still complete, so the limit can be overshot by the number of concurrent
 * attempts, never more. A success resets the account counter only: resetting the client
 * counter would let an attacker holding one valid account clear it at will.
 */
export class LoginThrottle {
  readonly #store: TokenAuthStore;
  readonly #now: () => number;
  readonly #limits: Readonly<Required<ThrottleOptions>>;

  /**
   * @param store - Where the counters live.
   * @param now - The clock, epoch ms.
   * @param options - Limits; see {@link ThrottleOptions}.
   * @throws {@link ConfigError} when a limit is not a positive integer.
   */
  constructor(store: TokenAuthStore, now: () => number, options: ThrottleOptions = {}) {
    this.#store = store;
    this.#now = now;
    this.#limits = {
      maxFailuresPerAccount: integerOption(
        'throttle.maxFailuresPerAccount',
        options.maxFailuresPerAccount,
        DEFAULT_THROTTLE.maxFailuresPerAccount,
        1,
        1_000_000,
      ),
      maxFailuresPerClient: integerOption(
        'throttle.maxFailuresPerClient',
        options.maxFailuresPerClient,
        DEFAULT_THROTTLE.maxFailuresPerClient,
        1,
        1_000_000,
      ),
      windowSeconds: integerOption(
        'throttle.windowSeconds',
        options.windowSeconds,
        DEFAULT_THROTTLE.windowSeconds,
        1,
        86_400,
      ),
    };
  }

  /**
   * Throws when the account or the client has used up its failures in the current window.
   *
   * @param emailKey - The canonical email the attempt is for (registered or not).
   * @param clientKey - The client's key, if the caller gave one.
   * @throws {@link TooManyAttemptsError} with the whole seconds until the window ends.
   */
  async check(emailKey: string, clientKey: string | undefined): Promise<void> {
    const now = this.#now();
    const [account, client] = await Promise.all([
      this.#store.peekHits(accountKey(emailKey), now),
      clientKey === undefined ? undefined : this.#store.peekHits(clientCounterKey(clientKey), now),
    ]);
    const blocked = [
      account.count >= this.#limits.maxFailuresPerAccount ? account : undefined,
      client !== undefined && client.count >= this.#limits.maxFailuresPerClient ? client : undefined,
    ].filter((counter): counter is HitResult => counter !== undefined);
    if (blocked.length === 0) return;
    const resetAt = Math.max(...blocked.map((counter) => counter.resetAt));
    throw new TooManyAttemptsError(Math.max(1, Math.ceil((resetAt - now) / 1000)));
  }

  /**
   * Counts one failed attempt against the account and the client.
   *
   * @param emailKey - The canonical email the attempt was for.
   * @param clientKey - The client's key, if any.
   */
  async recordFailure(emailKey: string, clientKey: string | undefined): Promise<void> {
    const now = this.#now();
    const windowMs = this.#limits.windowSeconds * 1000;
    await Promise.all([
      this.#store.hit(accountKey(emailKey), windowMs, now),
      clientKey === undefined ? undefined : this.#store.hit(clientCounterKey(clientKey), windowMs, now),
    ]);
  }

  /**
   * Forgets the account's failures after a successful login.
   *
   * @param emailKey - The canonical email that logged in.
   */
  async recordSuccess(emailKey: string): Promise<void> {
    await this.#store.resetHits(accountKey(emailKey));
  }
}

function accountKey(emailKey: string): string {
  return `login:account:${emailKey}`;
}

function clientCounterKey(clientKey: string): string {
  return `login:client:${clientKey}`;
}
